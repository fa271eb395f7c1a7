"""Hooks on the incident lifecycle (incidents.signals_lifecycle)."""

from django.dispatch import receiver

from incidents.choices import Status
from incidents.signals_lifecycle import status_changed, transition_requested


@receiver(transition_requested, dispatch_uid="postmortems.closing_needs_postmortem")
def closing_needs_postmortem(sender, *, incident, to_status, **kwargs):
    if to_status == Status.CLOSED:
        from .services import closing_check

        closing_check(incident=incident)


@receiver(status_changed, dispatch_uid="postmortems.on_resolution")
def on_resolution(sender, *, incident, from_status, to_status, user, now, **kwargs):
    from incidents.communications.services import clock_restart, clock_stop
    from incidents.domain import OPEN_STATUSES

    from .services import post_incident_open

    if to_status == Status.RESOLVED:
        post_incident_open(incident=incident, user=user, now=now)
    if to_status not in OPEN_STATUSES:
        clock_stop(incident, user=user)
    elif from_status == Status.RESOLVED:
        clock_restart(incident, user=user, now=now)

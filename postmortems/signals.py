"""Hooks on the incident lifecycle (incidents.signals_lifecycle)."""

from django.dispatch import receiver

from incidents.choices import Status
from incidents.signals_lifecycle import status_changed, transition_requested

from .services import closing_check, post_incident_open


@receiver(transition_requested, dispatch_uid="postmortems.closing_needs_postmortem")
def closing_needs_postmortem(sender, *, incident, to_status, **kwargs):
    if to_status == Status.CLOSED:
        closing_check(incident=incident)


@receiver(status_changed, dispatch_uid="postmortems.on_resolution")
def on_resolution(sender, *, incident, to_status, user, now, **kwargs):
    if to_status == Status.RESOLVED:
        post_incident_open(incident=incident, user=user, now=now)

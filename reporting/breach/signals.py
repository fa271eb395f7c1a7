"""Lifecycle hooks: a data breach (or any incident with personal data) cannot be closed
without its breach assessment, nor while a regulatory notification is pending; pending
notifications are listed as the incident's open work."""

from django.dispatch import receiver

from incidents.choices import Status
from incidents.kernel.durations import format_moment
from incidents.kernel.errors import DomainError
from incidents.signals_lifecycle import open_work_requested, transition_requested

from .choices import ObligationStatus
from .models import BreachAssessment, NotificationObligation
from .services import requires_assessment

OPEN_WORK_KIND = "Regulatory notification"


def _pending_obligations(incident):
    return (
        NotificationObligation.objects.filter(
            assessment__incident=incident, status=ObligationStatus.PENDING
        )
        .select_related("stage__regime")
        .order_by("due_at", "pk")
    )


def _describe(obligation) -> str:
    due = (
        f", due {format_moment(obligation.due_at)}"
        if obligation.due_at
        else ", deadline not started"
    )
    return f"{obligation.stage} to {obligation.recipient}{due}"


@receiver(transition_requested, dispatch_uid="reporting.require_breach_assessment")
def require_breach_assessment(sender, incident, to_status, **kwargs):
    if to_status != Status.CLOSED or not requires_assessment(incident):
        return
    if not BreachAssessment.objects.filter(incident=incident).exists():
        raise DomainError(
            f"{incident.reference} involves personal data or is a data breach: start its "
            "breach assessment (admin: Breach assessment on the incident page) before closing."
        )


@receiver(transition_requested, dispatch_uid="reporting.no_close_with_pending_notification")
def refuse_close_with_pending_notification(sender, incident, to_status, **kwargs):
    if to_status != Status.CLOSED:
        return
    pending = list(_pending_obligations(incident))
    if pending:
        raise DomainError(
            f"{incident.reference} cannot be closed while a regulatory notification is "
            f"pending ({len(pending)}: " + "; ".join(_describe(o) for o in pending) + "). "
            "Submit each one or mark it not required on the breach assessment first."
        )


@receiver(open_work_requested, dispatch_uid="reporting.pending_notifications")
def pending_notifications(sender, incident, **kwargs):
    return [(OPEN_WORK_KIND, _describe(o)) for o in _pending_obligations(incident)]

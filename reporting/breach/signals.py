"""Lifecycle hooks: a data breach (or any incident with personal data) cannot be closed
without its breach assessment."""

from django.dispatch import receiver

from incidents.choices import Status
from incidents.kernel.errors import DomainError
from incidents.signals_lifecycle import transition_requested

from .models import BreachAssessment
from .services import requires_assessment


@receiver(transition_requested, dispatch_uid="reporting.require_breach_assessment")
def require_breach_assessment(sender, incident, to_status, **kwargs):
    if to_status != Status.CLOSED or not requires_assessment(incident):
        return
    if not BreachAssessment.objects.filter(incident=incident).exists():
        raise DomainError(
            f"{incident.reference} involves personal data or is a data breach: start its "
            "breach assessment (admin: Breach assessment on the incident page) before closing."
        )

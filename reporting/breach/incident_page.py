"""What compliance adds to the incident page (incidents.admin.page.incident_page),
registered from ReportingConfig.ready(): the breach assessment button (open it, or start
one), the breach assessment section (its regulatory notifications and their deadlines),
the evidence pack button and the list actions that export the audit trail of the selected
incidents."""

from django.urls import reverse
from django.utils import timezone

from incidents.admin.page import incident_page
from incidents.kernel.durations import format_moment

from ..audit.admin import AUDIT_PERM, audit_download, audit_filter_for
from .choices import ObligationStatus
from .models import BreachAssessment
from .services import requires_assessment


def breach_assessment_button(request, incident):
    assessment = BreachAssessment.objects.filter(incident=incident).only("pk").first()
    if assessment is not None:
        return (
            "Breach assessment",
            reverse("admin:reporting_breachassessment_change", args=[assessment.pk]),
        )
    if request.user.has_perm("reporting.add_breachassessment"):
        return (
            "Start breach assessment",
            reverse("admin:reporting_breachassessment_start", args=[incident.pk]),
        )
    return None


def breach_panel(request, incident):
    """The breach assessment and each regulatory notification with its deadline; for an
    incident that needs one and has none, the offer to start it."""
    if not request.user.has_perm("reporting.view_breachassessment"):
        return None
    assessment = BreachAssessment.objects.filter(incident=incident).first()
    if assessment is None and not requires_assessment(incident):
        return None
    now = timezone.now()
    obligations = []
    if assessment is not None:
        for obligation in assessment.obligations.select_related("stage__regime").order_by(
            "due_at", "pk"
        ):
            pending = obligation.status == ObligationStatus.PENDING
            obligations.append(
                {
                    "name": str(obligation.stage),
                    "recipient": obligation.recipient,
                    "due": format_moment(obligation.due_at) or "no fixed deadline",
                    "overdue": pending
                    and obligation.due_at is not None
                    and obligation.due_at < now,
                    "state": obligation.get_status_display(),
                    "pending": pending,
                }
            )
    start_url = ""
    if assessment is None and request.user.has_perm("reporting.add_breachassessment"):
        start_url = reverse("admin:reporting_breachassessment_start", args=[incident.pk])
    context = {
        "assessment": assessment,
        "assessment_url": (
            reverse("admin:reporting_breachassessment_change", args=[assessment.pk])
            if assessment is not None
            else ""
        ),
        "awareness": format_moment(assessment.awareness_at) if assessment else "",
        "start_url": start_url,
        "obligations": obligations,
        "pending": sum(1 for o in obligations if o["pending"]),
    }
    return ("Breach assessment", "reporting/breach/incident_panel.html", context)


def evidence_pack_button(request, incident):
    if request.user.has_perm(AUDIT_PERM):
        return ("Evidence pack", reverse("admin:reporting_evidence_pack", args=[incident.pk]))
    return None


def may_export_audit(request) -> bool:
    return request.user.has_perm(AUDIT_PERM)


def _export_audit(request, queryset, fmt):
    # The changelist queryset is already need-to-know scoped; the filter scopes again
    # for rows of other incidents reached through relations.
    references = list(queryset.values_list("reference", flat=True))
    return audit_download(
        audit_filter_for(request, incidents=references), fmt, name="audit-incidents"
    )


def export_audit_csv(model_admin, request, queryset):
    return _export_audit(request, queryset, "csv")


def export_audit_jsonl(model_admin, request, queryset):
    return _export_audit(request, queryset, "jsonl")


def register() -> None:
    incident_page.add_button(breach_assessment_button, order=400)
    incident_page.add_button(evidence_pack_button, order=500)
    incident_page.add_panel(breach_panel, order=400)
    incident_page.add_bulk_action(
        export_audit_csv,
        name="export_audit_csv",
        description="Export audit trail of selected incidents (CSV)",
        allowed=may_export_audit,
        order=400,
    )
    incident_page.add_bulk_action(
        export_audit_jsonl,
        name="export_audit_jsonl",
        description="Export audit trail of selected incidents (JSON Lines)",
        allowed=may_export_audit,
        order=401,
    )

"""What compliance adds to the incident page (incidents.admin.page.incident_page),
registered from ReportingConfig.ready(): the breach assessment button (open it, or start
one), the evidence pack button and the list actions that export the audit trail of the
selected incidents."""

from django.urls import reverse

from incidents.admin.page import incident_page

from ..audit.admin import AUDIT_PERM, audit_download, audit_filter_for
from .models import BreachAssessment


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

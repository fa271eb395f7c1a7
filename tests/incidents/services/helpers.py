"""What the incidents.services tests share: a fixed clock, opening and walking an
incident, and row counts for 'nothing was written' checks."""

from datetime import UTC, datetime, timedelta

from incidents.models import ChecklistItem, Incident, RoleAssignment, TimelineEntry
from incidents.services import incident_create, incident_transition

T0 = datetime(2026, 3, 14, 9, 0, 0, tzinfo=UTC)

TRIAGE_STEPS = [
    "Assess severity level",
    "Identify affected systems",
    "Estimate user impact",
    "Activate response team",
    "Create incident record",
]
RESOLUTION_STEPS = [
    "Develop fix strategy",
    "Test solution in staging",
    "Implement fix in production",
    "Verify resolution",
    "Monitor for recurrence",
]
DATA_RECOVERY_TYPES = {"data_corruption", "data_breach", "infrastructure_failure"}
ALL_TYPES = [
    "unauthorized_access",
    "data_breach",
    "malware",
    "ddos",
    "insider_threat",
    "service_outage",
    "performance_degradation",
    "infrastructure_failure",
    "deployment_issue",
    "data_corruption",
    "software_bug",
    "api_failure",
    "integration_problem",
    "ui_issue",
    "mobile_app_crash",
]


def open_incident(user, **kwargs):
    params = {
        "title": "Checkout returns 502",
        "severity": "P2",
        "type": "service_outage",
        "detection_source": "cloudwatch_alarm",
        "detected_at": T0,
        "now": T0,
    }
    params.update(kwargs)
    return incident_create(user=user, **params)


def snapshot():
    """How many rows of everything a service may write."""
    return {
        "incidents": Incident.objects.count(),
        "incident_history": Incident.history.count(),
        "timeline": TimelineEntry.objects.count(),
        "timeline_history": TimelineEntry.history.count(),
        "checklist": ChecklistItem.objects.count(),
        "checklist_history": ChecklistItem.history.count(),
        "roles": RoleAssignment.objects.count(),
        "role_history": RoleAssignment.history.count(),
    }


def row(incident):
    """The persisted state of an incident, for 'nothing changed' checks."""
    return Incident.objects.values().get(pk=incident.pk)


def timeline(incident, kind=None):
    entries = TimelineEntry.objects.filter(incident=incident)
    if kind:
        entries = entries.filter(kind=kind)
    return list(entries.order_by("at", "id"))


def latest_history(incident):
    return Incident.history.filter(id=incident.pk).order_by("-history_id").first()


def sections(incident, phase):
    return set(
        ChecklistItem.objects.filter(incident=incident, phase=phase).values_list(
            "section", flat=True
        )
    )


def walk(incident, user, *statuses, start=T0, step=timedelta(minutes=10)):
    """Move through `statuses`, `step` apart, giving each move what it needs."""
    at = start
    for status in statuses:
        at += step
        incident = incident_transition(
            incident=incident,
            to_status=status,
            user=user,
            now=at,
            resolution_summary="Rolled back release 812" if status == "resolved" else "",
            cancel_reason="False alarm" if status == "cancelled" else "",
            # Closing with open work (unticked steps, post-incident tasks) needs a reason.
            reason="Open work tracked in OPS-1" if status == "closed" else "",
        )
    return incident

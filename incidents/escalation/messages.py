"""Text of a page: severity, reference, title, level and the link to the incident."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from ..choices import EscalationReason, Position


def incident_admin_url(incident) -> str:
    path = reverse("admin:incidents_incident_change", args=[incident.pk])
    return settings.HARBORMASTER_BASE_URL.rstrip("/") + path


def page_subject(incident, level: int) -> str:
    drill = "[DRILL] " if incident.is_drill else ""
    return (
        f"{drill}[{incident.severity}] {incident.reference} {incident.title}"
        f" — escalation level {level}"
    )


def page_body(incident, *, level: int, positions: list[str], reason: str, people: list) -> str:
    who = ", ".join(Position(p).label for p in positions)
    why = "Response SLA breached — " if reason == EscalationReason.SLA_BREACH else ""
    names = ", ".join(person.get_username() for person in people) or "nobody mapped"
    drill = "[DRILL] " if incident.is_drill else ""
    return "\n".join(
        [
            f"{drill}INCIDENT ALERT - {incident.severity}",
            f"Incident ID: {incident.reference}",
            f"Title: {incident.title}",
            f"Severity: {incident.get_severity_display()}",
            f"Status: {incident.get_status_display()}",
            f"Escalation level {level}: {why}{who}",
            f"Paged: {names}",
            f"Respond by: {incident.response_due_at.isoformat()}",
            f"Link: {incident_admin_url(incident)}",
        ]
    )


def page_payload(incident, *, level: int, positions: list[str], reason: str, people: list):
    return {
        "event": "incident.escalated",
        "incident": {
            "reference": incident.reference,
            "title": incident.title,
            "severity": incident.severity,
            "status": incident.status,
            "category": incident.category,
            "type": incident.type,
            "is_drill": incident.is_drill,
            "detected_at": incident.detected_at.isoformat(),
            "response_due_at": incident.response_due_at.isoformat(),
            "url": incident_admin_url(incident),
        },
        "level": level,
        "reason": reason,
        "positions": positions,
        "paged": [person.get_username() for person in people],
    }

"""Text of a page: severity, reference, title, level, the link to the incident and, while
it is not acknowledged, each paged person's one-click acknowledge link. Every link is
absolute, built from settings.HARBORMASTER_BASE_URL (incidents.paging.links)."""

from __future__ import annotations

from ..choices import EscalationReason, Position
from ..paging.links import ACK_PREFIX, acknowledge_url, incident_url


def incident_admin_url(incident) -> str:
    return incident_url(incident.pk)


def acknowledge_line(incident, person) -> str:
    """`Acknowledge: <link>` for the person's own e-mail; empty once acknowledged."""
    if incident.acknowledged_at is not None:
        return ""
    return ACK_PREFIX + acknowledge_url(incident_id=incident.pk, user_id=person.pk)


def personal_body(body: str, incident, person) -> str:
    """The page as e-mailed to one person: the shared text and their acknowledge link."""
    line = acknowledge_line(incident, person)
    return f"{body}\n{line}" if line else body


def chat_acknowledge_lines(incident, people: list) -> str:
    """Added to the team chat's message: one acknowledge link per person paged (each link
    works only for that person's login); empty once acknowledged."""
    if incident.acknowledged_at is not None:
        return ""
    return "".join(
        f"\nAcknowledge as {person.get_username()}: "
        + acknowledge_url(incident_id=incident.pk, user_id=person.pk)
        for person in people
    )


def position_labels(positions) -> str:
    """Positions as people read them ("On-call engineer, CTO"), never their codes."""
    labels = dict(Position.choices)
    return ", ".join(str(labels.get(code, code)) for code in positions or ())


def page_subject(incident, level: int) -> str:
    drill = "[DRILL] " if incident.is_drill else ""
    return (
        f"{drill}[{incident.severity}] {incident.reference} {incident.title}"
        f" — escalation level {level}"
    )


def page_body(incident, *, level: int, positions: list[str], reason: str, people: list) -> str:
    who = position_labels(positions)
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

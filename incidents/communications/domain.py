"""Pure rendering of the spec's communication templates: no ORM, no clock.

A template body holds `{placeholder}` names from PLACEHOLDERS. Rendering never fails: an
empty value is shown as `[missing: name]`, and the caller refuses to *send* while any is
missing (the preview shows them)."""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..kernel.durations import format_duration

PLACEHOLDERS: dict[str, str] = {
    "severity": "Severity (P0–P3)",
    "incident_id": "Incident reference, INC-…",
    "title": "Incident title",
    "summary": "Brief description (the incident's summary, else its title)",
    "impact": "User/system impact (customer impact, else business impact)",
    "status": "Current status",
    "eta": "Estimated resolution time (filled in when sending)",
    "updates": "Where updates are posted (filled in when sending)",
    "progress": "What has been done (filled in when sending)",
    "next_steps": "Planned actions (filled in when sending)",
    "resolution": "What was fixed (the incident's resolution summary)",
    "root_cause": "Brief explanation (filled in when sending)",
    "prevention": "Steps to prevent recurrence (filled in when sending)",
    "duration": "Total incident time (start or detection → resolution)",
}
# Filled in by the person sending, per message.
SENDER_FIELDS = ("eta", "updates", "progress", "next_steps", "root_cause", "prevention")

# The spec's formats ("Communication Templates"), line by line.
DEFAULT_TEMPLATES = {
    "initial": (
        "Initial incident notification",
        "INCIDENT ALERT - {severity}: {incident_id}",
        "INCIDENT ALERT - {severity}\n"
        "Incident ID: {incident_id}\n"
        "Summary: {summary}\n"
        "Impact: {impact}\n"
        "Status: Investigating\n"
        "ETA: {eta}\n"
        "Updates: {updates}",
    ),
    "update": (
        "Status update",
        "INCIDENT UPDATE - {severity}: {incident_id}",
        "INCIDENT UPDATE - {severity}\n"
        "Incident ID: {incident_id}\n"
        "Status: {status}\n"
        "Progress: {progress}\n"
        "Next Steps: {next_steps}\n"
        "ETA: {eta}",
    ),
    "resolution": (
        "Resolution notification",
        "INCIDENT RESOLVED: {incident_id}",
        "INCIDENT RESOLVED\n"
        "Incident ID: {incident_id}\n"
        "Resolution: {resolution}\n"
        "Root Cause: {root_cause}\n"
        "Prevention: {prevention}\n"
        "Duration: {duration}",
    ),
}


class TemplateSyntaxProblem(ValueError):
    pass


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    missing: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return not self.missing


def placeholders_in(text: str) -> list[str]:
    """Placeholder names used in `text`; raises TemplateSyntaxProblem on bad syntax or an
    unknown name."""
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError as error:
        raise TemplateSyntaxProblem(f"Bad placeholder syntax: {error}") from None
    unknown = sorted({n for n in names if n not in PLACEHOLDERS})
    if unknown:
        raise TemplateSyntaxProblem(
            "Unknown placeholder(s): "
            + ", ".join("{" + n + "}" for n in unknown)
            + ". Known: "
            + ", ".join("{" + n + "}" for n in PLACEHOLDERS)
        )
    return names


def missing_marker(name: str) -> str:
    return f"[missing: {name}]"


def _fill(text: str, values: dict[str, str], missing: list[str]) -> str:
    out = []
    for literal, name, _spec, _conv in string.Formatter().parse(text):
        out.append(literal)
        if name is None:
            continue
        value = (values.get(name) or "").strip()
        if not value:
            if name not in missing:
                missing.append(name)
            value = missing_marker(name)
        out.append(value)
    return "".join(out)


def render(*, subject: str, body: str, values: dict[str, str]) -> Rendered:
    placeholders_in(subject)
    placeholders_in(body)
    missing: list[str] = []
    rendered_subject = _fill(subject, values, missing)
    rendered_body = _fill(body, values, missing)
    return Rendered(subject=rendered_subject, body=rendered_body, missing=tuple(missing))


def incident_values(
    *,
    reference: str,
    severity: str,
    title: str,
    summary: str,
    customer_impact: str,
    business_impact: str,
    status_label: str,
    resolution_summary: str,
    started_at: datetime | None,
    detected_at: datetime,
    resolved_at: datetime | None,
    sender_fields: dict[str, str] | None = None,
) -> dict[str, str]:
    """The values a template is filled with, from the incident's plain fields."""
    values = {
        "severity": severity,
        "incident_id": reference,
        "title": title,
        "summary": summary.strip() or title,
        "impact": customer_impact.strip() or business_impact.strip(),
        "status": status_label,
        "resolution": resolution_summary,
        "duration": (
            format_duration(resolved_at - (started_at or detected_at)) if resolved_at else ""
        ),
    }
    for name in SENDER_FIELDS:
        values[name] = ""
    for name, value in (sender_fields or {}).items():
        if name in PLACEHOLDERS and (value or "").strip():
            values[name] = value.strip()
    return values


def next_update_due(*, sent_at: datetime, interval_minutes: int | None) -> datetime | None:
    return sent_at + timedelta(minutes=interval_minutes) if interval_minutes else None

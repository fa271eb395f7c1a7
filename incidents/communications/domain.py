"""Pure rendering of the spec's communication templates: no ORM, no clock.

A template body holds `{placeholder}` names from PLACEHOLDERS. Rendering never fails: an
empty value is shown as `[missing: name]`, and the caller refuses to *send* while any is
missing (the preview shows them)."""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..kernel.durations import format_duration
from ..kernel.errors import DomainError

PLACEHOLDERS: dict[str, str] = {
    "severity": "Severity (P0–P3)",
    "incident_id": "Incident reference, INC-…",
    "title": "Incident title (external: the public title)",
    "summary": "Brief description (internal: the summary, else the title; external: the "
    "public summary)",
    "impact": "User/system impact (internal: customer impact, else business impact; "
    "external: the public impact)",
    "status": "Current status (external: the public status, e.g. Investigating)",
    "eta": "Estimated resolution time (filled in when sending)",
    "updates": "Where updates are posted (filled in when sending)",
    "progress": "What has been done (filled in when sending)",
    "next_steps": "Planned actions (filled in when sending)",
    "resolution": "What was fixed (internal: the resolution summary; external: the public "
    "resolution)",
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


# The public wording (Incident fields) and the placeholders an external message fills from
# them. An external message never reads an internal field for these.
PUBLIC_FIELDS: dict[str, str] = {
    "public_title": "Public title",
    "public_summary": "Public summary",
    "public_impact": "Public impact",
    "public_resolution": "Public resolution",
}
PUBLIC_SOURCE = {
    "title": "public_title",
    "summary": "public_summary",
    "impact": "public_impact",
    "resolution": "public_resolution",
}
# Always needed before anything goes out to customers (the status page card's heading
# and text), whatever the template.
PUBLIC_ALWAYS = ("public_title", "public_summary")

# What customers are told about an incident's status (status page cards, {status}).
PUBLIC_STATUS = {
    "detected": "Investigating",
    "triaged": "Investigating",
    "investigating": "Investigating",
    "contained": "Identified — mitigation in place",
    "resolved": "Resolved",
    "closed": "Resolved",
}
PUBLIC_STATUS_BY_KIND = {"initial": "Investigating", "resolution": "Resolved"}


class TemplateSyntaxProblem(ValueError):
    pass


class PublicWordingMissing(DomainError):
    """An external message needs the incident's public wording; `fields` names what is
    missing (Incident field names)."""

    def __init__(self, fields: list[str]):
        labels = ", ".join(PUBLIC_FIELDS[name].lower() for name in fields)
        super().__init__(
            "Not sent: an external message uses only the public wording, and this incident "
            f"has no {labels} yet. Write it under “Public wording” first.",
            field=fields[0],
        )
        self.fields = list(fields)


class PlaceholdersMissing(DomainError):
    """A placeholder of the template has no value (`names`)."""

    def __init__(self, names: list[str]):
        super().__init__(
            "Not sent: fill in " + ", ".join(names) + " (shown as [missing: …]).",
        )
        self.names = list(names)


def public_wording_missing(*, template_texts: list[str], public: dict[str, str]) -> list[str]:
    """The public fields an external message from this template still needs."""
    used = {name for text in template_texts for name in placeholders_in(text)}
    needed = list(PUBLIC_ALWAYS) + [
        source for name, source in PUBLIC_SOURCE.items() if name in used
    ]
    needed = list(dict.fromkeys(needed))
    return [name for name in needed if not (public.get(name) or "").strip()]


def public_status_for(*, kind: str, status: str) -> str:
    """The status an external message tells customers: what the status page card shows
    while that message is the latest."""
    return PUBLIC_STATUS_BY_KIND.get(kind) or PUBLIC_STATUS.get(status, "Investigating")


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
    external: bool = False,
    public: dict[str, str] | None = None,
    public_status: str = "",
) -> dict[str, str]:
    """The values a template is filled with, from the incident's plain fields. For an
    external message the descriptive placeholders come only from the public wording
    (`public`, PUBLIC_FIELDS names) — never from the internal fields."""
    if external:
        public = public or {}
        described = {
            name: (public.get(source) or "").strip() for name, source in PUBLIC_SOURCE.items()
        }
        described["status"] = public_status
    else:
        described = {
            "title": title,
            "summary": summary.strip() or title,
            "impact": customer_impact.strip() or business_impact.strip(),
            "status": status_label,
            "resolution": resolution_summary,
        }
    values = {
        "severity": severity,
        "incident_id": reference,
        **described,
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

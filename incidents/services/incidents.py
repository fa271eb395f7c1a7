"""The incident's own writes: open, edit, severity, acknowledge, lifecycle transitions,
notes. Each call: one transaction, the incident row locked, the rule decided by `domain`,
history stamped with user and reason, a timeline entry."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import cast

from django.db import IntegrityError, transaction

from .. import domain, signals_lifecycle
from ..choices import DetectionSource, IncidentType, Phase, Severity, Status, TimelineKind
from ..communications.services import clock_follow_status
from ..domain import ConcurrentModification
from ..escalation.services import (
    escalation_first_check_at,
    escalation_plan,
    escalation_reschedule,
)
from ..kernel.errors import DomainError
from ..kernel.history import history_m2m_set, history_save
from ..models import (
    ChecklistItem,
    Incident,
    Service,
    SeverityPolicy,
    TimelineEntry,
)
from .checklists import checklists_open
from .common import lock_incident, now_or_current, timeline_write, validate_choice

# Fields a person may edit directly; lifecycle fields change only through transitions.
EDITABLE_FIELDS = (
    "title",
    "summary",
    "type",
    "detection_source",
    "is_drill",
    "started_at",
    "users_affected",
    "customer_impact",
    "business_impact",
    "data_integrity_impact",
    "security_implications",
    "personal_data_involved",
    # The customer-facing wording (incidents.communications.domain.PUBLIC_FIELDS).
    "public_title",
    "public_summary",
    "public_impact",
    "public_resolution",
)
STAMP_FIELDS = (
    "acknowledged_at",
    "triaged_at",
    "contained_at",
    "resolved_at",
    "closed_at",
    "cancelled_at",
)


def _policy(severity: str) -> SeverityPolicy:
    if severity not in Severity.values:
        raise DomainError(f"Unknown severity {severity!r}.", field="severity")
    try:
        return SeverityPolicy.objects.get(severity=severity)
    except SeverityPolicy.DoesNotExist:
        raise DomainError(
            f"No severity policy for {severity}; add it under Severity policies.",
            field="severity",
        ) from None


def _field_label(name: str) -> str:
    """The verbose name of an incident field, for timeline texts."""
    return str(getattr(Incident._meta.get_field(name), "verbose_name", name))


def _next_reference(detected_at: datetime, also_taken: Iterable[str] = ()) -> str:
    base = domain.format_reference(detected_at.astimezone(UTC))
    taken = set(
        Incident.objects.filter(reference__startswith=base).values_list("reference", flat=True)
    ) | set(also_taken)
    sequence = 1
    while domain.format_reference(detected_at.astimezone(UTC), sequence) in taken:
        sequence += 1
    return domain.format_reference(detected_at.astimezone(UTC), sequence)


@transaction.atomic
def incident_create(
    *,
    title: str,
    severity: str,
    type: str,
    detection_source: str,
    user=None,
    detected_at: datetime | None = None,
    summary: str = "",
    started_at: datetime | None = None,
    is_drill: bool = False,
    affected_services: Iterable[Service] = (),
    reason: str = "",
    now: datetime | None = None,
    **details,
) -> Incident:
    """Open an incident: reference, response SLA from the severity policy, triage checklist."""
    now = now_or_current(now)
    title = (title or "").strip()
    if not title:
        raise DomainError("A title is required.", field="title")
    validate_choice(type, IncidentType, "type", "incident type")
    validate_choice(detection_source, DetectionSource, "detection_source", "detection source")
    unknown = set(details) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"incident_create() got unexpected fields: {sorted(unknown)}")
    policy = _policy(severity)
    detected_at = detected_at or now
    if detected_at > now:
        raise DomainError("Detection time cannot be in the future.", field="detected_at")
    if started_at and started_at > detected_at:
        raise DomainError("The start cannot be after detection.", field="started_at")

    incident = Incident(
        title=title,
        summary=summary,
        severity=severity,
        type=type,
        category=domain.category_for_type(type),
        detection_source=detection_source,
        is_drill=is_drill,
        started_at=started_at,
        detected_at=detected_at,
        response_due_at=domain.response_due_at(detected_at, policy.response_minutes),
        **details,
    )
    # Two incidents detected in the same second race for the same reference; the loser
    # retries with the next suffix.
    incident.next_escalation_at = escalation_first_check_at(incident)
    # An alert storm opens many incidents in one second; each loser moves past every
    # reference it has seen taken (its own failed tries included) and tries again.
    tried: set[str] = set()
    for _attempt in range(100):
        incident.reference = _next_reference(detected_at, also_taken=tried)
        try:
            with transaction.atomic():
                history_save(incident, user=user, reason=reason or "Incident opened")
            break
        except IntegrityError:
            incident.pk = None
            if not Incident.objects.filter(reference=incident.reference).exists():
                raise
            tried.add(incident.reference)
    else:  # pragma: no cover - a hundred incidents detected in one second
        raise DomainError("Could not allocate an incident reference; try again.")

    services = list(affected_services)
    if services:
        history_m2m_set(
            incident, "affected_services", services, user=user, reason="Affected services set"
        )

    source = DetectionSource(detection_source).label
    timeline_write(
        incident,
        kind=TimelineKind.CREATED,
        text=f"{severity} {IncidentType(type).label} detected via {source}: {title}",
        user=user,
        at=now,
    )
    checklists_open(incident, domain.PHASES_ON_ENTRY[incident.status], user=user, now=now)
    escalation_plan(incident, user=user, now=now, replace=False)
    return incident


@transaction.atomic
def incident_update(
    *,
    incident: Incident | int,
    user,
    expected_version: int | None = None,
    reason: str = "",
    now: datetime | None = None,
    affected_services: Iterable[Service] | None = None,
    severity: str | None = None,
    **fields,
) -> Incident:
    """Edit the descriptive fields. A stale `expected_version` is refused, never merged."""
    now = now_or_current(now)
    locked = lock_incident(incident)
    if expected_version is not None and locked.version != expected_version:
        raise ConcurrentModification(
            f"{locked.reference} was changed by someone else while you were editing "
            f"(your version {expected_version}, now {locked.version}). Load it again to "
            "see their changes, then apply yours."
        )
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise DomainError(f"These fields cannot be edited directly: {', '.join(sorted(unknown))}.")
    if "title" in fields:
        fields["title"] = (fields["title"] or "").strip()
        if not fields["title"]:
            raise DomainError("A title is required.", field="title")
    if (
        severity is not None
        and severity != locked.severity
        and locked.status in domain.FINAL_STATUSES
    ):
        raise DomainError(f"A {locked.status} incident's severity cannot change.", field="severity")
    if "type" in fields:
        validate_choice(fields["type"], IncidentType, "type", "incident type")
    if "detection_source" in fields:
        validate_choice(
            fields["detection_source"], DetectionSource, "detection_source", "detection source"
        )
    started_at = fields.get("started_at", locked.started_at)
    if started_at and started_at > locked.detected_at:
        raise DomainError("The start cannot be after detection.", field="started_at")

    changed = [name for name, value in fields.items() if getattr(locked, name) != value]
    for name in changed:
        setattr(locked, name, fields[name])

    services_changed = False
    if affected_services is not None:
        affected_services = list(affected_services)  # may be a one-shot iterator
        new_ids = {service.pk for service in affected_services}
        services_changed = new_ids != set(locked.affected_services.values_list("pk", flat=True))

    if changed or services_changed:
        locked.category = domain.category_for_type(locked.type)
        locked.version += 1
        labels = [_field_label(name) for name in changed]
        if services_changed:
            labels.append("affected services")
        text = "Updated " + ", ".join(labels)
        history_save(locked, user=user, reason=reason or text)
        if services_changed and affected_services is not None:
            history_m2m_set(
                locked,
                "affected_services",
                list(affected_services),
                user=user,
                reason=reason or "Affected services changed",
            )
        timeline_write(locked, kind=TimelineKind.UPDATED, text=text, user=user, at=now)
    # After the descriptive save, so each history row carries its own reason.
    if severity is not None and severity != locked.severity:
        locked = _apply_severity(locked, severity=severity, user=user, reason=reason, now=now)
    return locked


def _apply_severity(locked: Incident, *, severity: str, user, reason: str, now) -> Incident:
    policy = _policy(severity)
    old = locked.severity
    locked.severity = severity
    locked.response_due_at = domain.response_due_at(locked.detected_at, policy.response_minutes)
    locked.version += 1
    text = f"Severity {old} → {severity}" + (f": {reason}" if reason else "")
    # The new severity's matrix replaces unfired levels; past-due ones fire at once.
    escalation_plan(locked, user=user, now=now, replace=True)
    history_save(locked, user=user, reason=text)
    timeline_write(locked, kind=TimelineKind.SEVERITY_CHANGE, text=text, user=user, at=now)
    return locked


@transaction.atomic
def incident_change_severity(
    *, incident: Incident | int, severity: str, user, reason: str = "", now: datetime | None = None
) -> Incident:
    """Change severity; the response deadline is recomputed from detection."""
    now = now_or_current(now)
    locked = lock_incident(incident)
    if locked.status in domain.FINAL_STATUSES:
        raise DomainError(f"A {locked.status} incident's severity cannot change.")
    if severity == locked.severity:
        raise DomainError(f"The incident is already {severity}.", field="severity")
    return _apply_severity(locked, severity=severity, user=user, reason=reason, now=now)


@transaction.atomic
def incident_acknowledge(
    *, incident: Incident | int, user, now: datetime | None = None
) -> Incident:
    now = now_or_current(now)
    locked = lock_incident(incident)
    domain.can_acknowledge(locked.status, locked.acknowledged_at)
    locked.acknowledged_at = now
    locked.version += 1
    sla = domain.sla_state(response_due_at=locked.response_due_at, acknowledged_at=now, now=now)
    who = user.get_username() if user else "system"
    text = f"Acknowledged by {who} (response SLA {sla.label})"
    escalation_reschedule(locked, now=now)
    history_save(locked, user=user, reason=text)
    timeline_write(locked, kind=TimelineKind.ACKNOWLEDGED, text=text, user=user, at=now)
    return locked


@transaction.atomic
def incident_transition(
    *,
    incident: Incident | int,
    to_status: str,
    user,
    resolution_summary: str = "",
    cancel_reason: str = "",
    reason: str = "",
    now: datetime | None = None,
) -> Incident:
    """Move the incident through its lifecycle (see domain.allowed_transitions)."""
    now = now_or_current(now)
    locked = lock_incident(incident)
    plan = domain.plan_transition(
        from_status=locked.status,
        to_status=to_status,
        now=now,
        stamps={name: getattr(locked, name) for name in STAMP_FIELDS},
        resolution_summary=resolution_summary,
        cancel_reason=cancel_reason,
        reason=reason,
    )
    hook = dict(incident=locked, from_status=plan.from_status, to_status=to_status, user=user)
    signals_lifecycle.transition_requested.send(sender=Incident, now=now, **hook)
    summary = plan.summary
    if to_status == Status.CLOSED:
        summary = _closing_summary(locked, plan.summary, reason)
    for name, value in plan.changes.items():
        setattr(locked, name, value)
    locked.version += 1
    escalation_reschedule(locked, now=now)
    history_save(locked, user=user, reason=summary)
    timeline_write(locked, kind=TimelineKind.STATUS_CHANGE, text=summary, user=user, at=now)
    checklists_open(locked, plan.phases_due, user=user, now=now)
    clock_follow_status(
        locked, from_status=plan.from_status, to_status=to_status, user=user, now=now
    )
    signals_lifecycle.status_changed.send(sender=Incident, now=now, **hook)
    return locked


def incident_open_work(incident: Incident) -> list[tuple[str, str]]:
    """What is still open on the incident, as (kind, text) pairs: its unticked checklist
    steps, then what other apps answer to signals_lifecycle.open_work_requested
    (post-incident tasks, action items, regulatory notifications)."""
    phases = dict(Phase.choices)
    work = [
        ("Checklist step", f"{phases.get(phase, phase)}: {text}")
        for phase, text in ChecklistItem.objects.filter(
            incident=incident, done_at__isnull=True
        ).values_list("phase", "text")
    ]
    responses = signals_lifecycle.open_work_requested.send(sender=Incident, incident=incident)
    for _receiver, answer in responses:
        # Each receiver answers with (kind, text) pairs, or with nothing.
        work.extend(cast("list[tuple[str, str]]", answer or []))
    return work


def _closing_summary(incident: Incident, summary: str, reason: str) -> str:
    """Closing with open work needs a reason, kept in the history and the timeline."""
    work = incident_open_work(incident)
    if not work:
        return summary
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            f"{incident.reference} still has {len(work)} open item(s) "
            f"({_count_by_kind(work)}): say why it is closed anyway.",
            field="reason",
        )
    # plan.summary already carries the reason as its detail.
    return f"{summary} (closed with {len(work)} open item(s): {_count_by_kind(work)})"


def _count_by_kind(work: list[tuple[str, str]]) -> str:
    counts: dict[str, int] = {}
    for kind, _text in work:
        counts[kind] = counts.get(kind, 0) + 1
    return ", ".join(f"{count} × {kind.lower()}" for kind, count in counts.items())


@transaction.atomic
def incident_add_note(
    *,
    incident: Incident | int,
    text: str,
    user,
    at: datetime | None = None,
    now: datetime | None = None,
) -> TimelineEntry:
    """A free note on the timeline; `at` may back-date it to when something happened."""
    now = now_or_current(now)
    text = (text or "").strip()
    if not text:
        raise DomainError("A note needs some text.", field="text")
    if at is not None and at > now:
        raise DomainError("A note cannot be dated in the future.", field="at")
    locked = lock_incident(incident)
    return timeline_write(locked, kind=TimelineKind.NOTE, text=text, user=user, at=at or now)

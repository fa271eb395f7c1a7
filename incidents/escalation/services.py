"""Escalation writes: copy the matrix onto an incident, re-plan it, fire due levels.

The clock is `Incident.next_escalation_at` (indexed). Beat runs `escalations_dispatch`
every minute; it locks each due incident on its own (SKIP LOCKED on PostgreSQL), fires
what is due exactly once (EscalationEvent is unique per incident and level), writes the
deliveries and a timeline entry, and sets the next check time."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from ..choices import EscalationReason, TimelineKind
from ..kernel.broker import publish_task
from ..kernel.due_rows import claim_row
from ..kernel.history import history_save
from ..models import (
    EscalationEvent,
    EscalationLevel,
    Incident,
    IncidentEscalationStep,
    TimelineEntry,
)
from ..outbox.services import notification_send
from . import messages, rules
from .targets import resolve_targets

logger = logging.getLogger(__name__)


def _state(incident: Incident) -> rules.IncidentState:
    return rules.IncidentState(
        status=incident.status,
        detected_at=incident.detected_at,
        response_due_at=incident.response_due_at,
        acknowledged_at=incident.acknowledged_at,
        contained_at=incident.contained_at,
        sla_breached_at=incident.sla_breached_at,
    )


def _steps(incident: Incident) -> list[rules.StepState]:
    return [
        rules.StepState(level=s.level, due_at=s.due_at, stop_condition=s.stop_condition)
        for s in IncidentEscalationStep.objects.filter(incident=incident)
    ]


def _fired(incident: Incident) -> set[int]:
    return set(EscalationEvent.objects.filter(incident=incident).values_list("level", flat=True))


def _matrix(severity: str) -> list[rules.LevelSpec]:
    return [
        rules.LevelSpec(
            level=row.level,
            delay_minutes=row.delay_minutes,
            positions=tuple(row.positions),
            stop_condition=row.stop_condition,
        )
        for row in EscalationLevel.objects.filter(severity=severity)
    ]


def escalation_first_check_at(incident: Incident) -> datetime | None:
    """For a new incident (no rows yet): when its clock first needs looking at."""
    planned = rules.plan_steps(
        _matrix(incident.severity), detected_at=incident.detected_at, fired_levels=set()
    )
    steps = [rules.StepState(lvl.level, due, lvl.stop_condition) for lvl, due in planned]
    return rules.next_check_at(steps, _state(incident), fired_levels=set())


def escalation_plan(incident: Incident, *, user=None, now: datetime, replace: bool) -> None:
    """Copy the current matrix of the incident's severity onto it (inside the caller's
    transaction, with the incident row locked). `replace` re-plans after a severity
    change: unfired steps are replaced, fired levels are never planned again.
    Sets `next_escalation_at` on the instance; the caller saves it."""
    fired = _fired(incident)
    if replace:
        IncidentEscalationStep.objects.filter(incident=incident).exclude(level__in=fired).delete()
    for level, due_at in rules.plan_steps(
        _matrix(incident.severity), detected_at=incident.detected_at, fired_levels=fired
    ):
        step = IncidentEscalationStep(
            incident=incident,
            level=level.level,
            delay_minutes=level.delay_minutes,
            positions=list(level.positions),
            stop_condition=level.stop_condition,
            due_at=due_at,
        )
        history_save(step, user=user, reason="Escalation planned")
    escalation_reschedule(incident, now=now)


def escalation_reschedule(incident: Incident, *, now: datetime) -> None:
    """Recompute when the dispatcher must next look at the incident, on the instance
    (the caller saves it with its own change). A clock already due kicks the dispatcher
    once the transaction commits."""
    incident.next_escalation_at = rules.next_check_at(
        _steps(incident), _state(incident), fired_levels=_fired(incident)
    )
    if incident.next_escalation_at is not None and incident.next_escalation_at <= now:
        transaction.on_commit(kick_dispatcher)


def kick_dispatcher() -> None:
    """Ask a worker to dispatch now; beat does it within a minute anyway."""
    publish_task("incidents.dispatch_escalations", what="Escalation dispatch")


@dataclass
class DispatchResult:
    incidents: int = 0
    levels_fired: int = 0
    sla_breaches: int = 0
    references: list[str] = field(default_factory=list)


def due_incidents(
    now: datetime, limit: int, after: tuple[datetime, int] | None = None
) -> list[tuple[datetime, int]]:
    """(next_escalation_at, pk) of due incidents in clock order, after `after` (keyset)."""
    query = Incident.objects.filter(next_escalation_at__lte=now)
    if after is not None:
        at, pk = after
        query = query.filter(Q(next_escalation_at__gt=at) | Q(next_escalation_at=at, pk__gt=pk))
    rows = query.order_by("next_escalation_at", "pk").values_list("next_escalation_at", "pk")
    # next_escalation_at__lte filters out NULLs, so every clock here is a datetime.
    return cast(list[tuple[datetime, int]], list(rows[:limit]))


def escalations_dispatch(*, now: datetime | None = None, limit: int = 500) -> DispatchResult:
    """Fire every level that is due. Safe to run concurrently and repeatedly.

    Works through all due incidents in batches of `limit` (keyset order, so each is
    looked at once per run); one that another dispatcher holds is skipped, it fires it."""
    now = now or timezone.now()
    result = DispatchResult()
    after = None
    while True:
        batch = due_incidents(now, limit, after)
        for _due_at, incident_id in batch:
            fired, breached = _dispatch_one(incident_id, now)
            if fired is None:
                continue
            result.incidents += 1
            result.levels_fired += fired
            result.sla_breaches += int(breached)
        if len(batch) < limit:
            return result
        after = batch[-1]


def _lock_if_due(incident_id: int, now: datetime) -> Incident | None:
    return claim_row(Incident.objects.filter(pk=incident_id, next_escalation_at__lte=now))


def escalations_settle(*, incident_ids, now: datetime, reason: str) -> DispatchResult:
    """Mark every level (and response-SLA breach) already due on these incidents as
    handled without paging anyone: the events, timeline and history say so, and no
    delivery is written. For data loaded with its past already played (the demo), so
    the dispatcher does not page everyone about a past that never happened live."""
    result = DispatchResult()
    for incident_id in incident_ids:
        fired, breached = _dispatch_one(incident_id, now, settle_reason=reason)
        if fired is None:
            continue
        result.incidents += 1
        result.levels_fired += fired
        result.sla_breaches += int(breached)
    return result


@transaction.atomic
def _dispatch_one(
    incident_id: int, now: datetime, *, settle_reason: str = ""
) -> tuple[int | None, bool]:
    """Fire what is due on one incident; with `settle_reason`, record it without paging."""
    incident = _lock_if_due(incident_id, now)
    if incident is None:  # another dispatcher has it, or it is no longer due
        return None, False
    state = _state(incident)
    steps = _steps(incident)
    fired = _fired(incident)
    breached = False
    to_fire: list[tuple[rules.StepState, str]] = [
        (step, EscalationReason.SCHEDULED)
        for step in rules.due_steps(steps, state, fired_levels=fired, now=now)
    ]
    if rules.sla_breach_pending(state) and incident.response_due_at <= now:
        breached = True
        incident.sla_breached_at = incident.response_due_at
        TimelineEntry.objects.create(
            incident=incident,
            at=now,
            kind=TimelineKind.ESCALATION,
            text=f"Response SLA breached: not acknowledged by {incident.response_due_at:%H:%M} UTC",
        )
        already = {step.level for step, _ in to_fire}
        pulled = rules.next_unfired_step(
            [s for s in steps if s.level not in already], _state(incident), fired_levels=fired
        )
        if pulled is not None:
            to_fire.append((pulled, EscalationReason.SLA_BREACH))
    fired_now = [
        step.level
        for step, reason in sorted(to_fire, key=lambda item: item[0].level)
        if _fire_level(incident, step, reason=reason, now=now, settle_reason=settle_reason)
    ]
    incident.next_escalation_at = rules.next_check_at(
        _steps(incident), _state(incident), fired_levels=_fired(incident)
    )
    notes = []
    if breached:
        notes.append("response SLA breached")
    if fired_now:
        notes.append("escalation level " + ", ".join(map(str, fired_now)) + " fired")
    if settle_reason:
        notes.append(f"not paged: {settle_reason}")
    history_save(incident, user=None, reason="; ".join(notes).capitalize() or "Escalation clock")
    return len(fired_now), breached


def _fire_level(
    incident: Incident, step: rules.StepState, *, reason: str, now: datetime, settle_reason=""
) -> bool:
    positions = next(
        s.positions
        for s in IncidentEscalationStep.objects.filter(incident=incident, level=step.level)
    )
    people = resolve_targets(incident, positions, now)
    event = EscalationEvent(
        incident=incident,
        level=step.level,
        fired_at=now,
        due_at=step.due_at,
        reason=reason,
        positions=positions,
        targets=[person.get_username() for person in people],
    )
    if settle_reason:  # recorded as handled; nobody is paged
        event.targets = []
    try:
        with transaction.atomic():
            history_save(
                event,
                user=None,
                reason=f"Level {step.level} "
                + (f"settled without paging: {settle_reason}" if settle_reason else "fired"),
            )
    except IntegrityError:  # fired already by someone else: never twice
        return False
    if settle_reason:
        TimelineEntry.objects.create(
            incident=incident,
            at=now,
            kind=TimelineKind.ESCALATION,
            text=f"Escalation level {step.level} ({messages.position_labels(positions)}) was due: "
            f"nobody paged ({settle_reason})",
        )
        return True
    _write_pages(incident, event, people, now=now)
    names = ", ".join(event.targets) or "nobody (no one holds these positions)"
    TimelineEntry.objects.create(
        incident=incident,
        at=now,
        kind=TimelineKind.ESCALATION,
        text=f"Escalation level {step.level} ({messages.position_labels(positions)}): "
        f"paged {names}",
    )
    if not people:
        logger.error(
            "%s level %s: nobody holds %s", incident.reference, step.level, ", ".join(positions)
        )
    return True


def _write_pages(incident: Incident, event: EscalationEvent, people: list, *, now) -> None:
    kwargs = dict(level=event.level, positions=event.positions, reason=event.reason, people=people)
    subject = messages.page_subject(incident, event.level)
    body = messages.page_body(incident, **kwargs)
    payload = messages.page_payload(incident, **kwargs)
    notification_send(
        people=people,
        key=f"escalation:{event.pk}",
        subject=subject,
        body=body,
        payload=payload,
        incident=incident,
        now=now,
        chat=True,
        mention_people=True,
        webhook=True,
        body_for=lambda person: messages.personal_body(body, incident, person),
        chat_extra=messages.chat_acknowledge_lines(incident, people),
    )


def escalations_overdue(*, now: datetime | None = None, grace_minutes: int | None = None):
    """Incidents whose escalation clock is past due by more than the grace period: the
    dispatcher is not running, or keeps failing on them."""
    now = now or timezone.now()
    grace = timedelta(
        minutes=grace_minutes
        if grace_minutes is not None
        else settings.HARBORMASTER_ESCALATION_WATCHDOG_MINUTES
    )
    return Incident.objects.filter(next_escalation_at__lt=now - grace).order_by(
        "next_escalation_at"
    )

"""Pure escalation rules: no ORM, no clock of their own."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..choices import Status, StopCondition

CLOSED_FOR_PAGING = frozenset({Status.RESOLVED, Status.CLOSED, Status.CANCELLED})


@dataclass(frozen=True)
class LevelSpec:
    level: int
    delay_minutes: int
    positions: tuple[str, ...]
    stop_condition: str


@dataclass(frozen=True)
class IncidentState:
    status: str
    detected_at: datetime
    response_due_at: datetime
    acknowledged_at: datetime | None
    contained_at: datetime | None
    sla_breached_at: datetime | None


@dataclass(frozen=True)
class StepState:
    level: int
    due_at: datetime
    stop_condition: str


def step_due_at(detected_at: datetime, delay_minutes: int) -> datetime:
    return detected_at + timedelta(minutes=delay_minutes)


def is_stopped(stop_condition: str, state: IncidentState) -> bool:
    """A level no longer fires once the incident reached its stop condition.
    Resolved, closed and cancelled incidents stop every level."""
    if state.status in CLOSED_FOR_PAGING:
        return True
    if stop_condition == StopCondition.ACKNOWLEDGED:
        return state.acknowledged_at is not None
    if stop_condition == StopCondition.CONTAINED:
        return state.contained_at is not None or state.status == Status.CONTAINED
    return False


def sla_breach_pending(state: IncidentState) -> bool:
    """The response deadline is still a clock to watch."""
    return (
        state.acknowledged_at is None
        and state.sla_breached_at is None
        and state.status not in CLOSED_FOR_PAGING
    )


def plan_steps(
    levels: Iterable[LevelSpec], *, detected_at: datetime, fired_levels: set[int]
) -> list[tuple[LevelSpec, datetime]]:
    """Steps to copy onto an incident: every level not fired yet, due from detection.
    Used when an incident opens and when its severity changes (then past-due levels are
    due at once, and a level that already fired is never planned again)."""
    return [
        (level, step_due_at(detected_at, level.delay_minutes))
        for level in sorted(levels, key=lambda lvl: lvl.level)
        if level.level not in fired_levels
    ]


def due_steps(
    steps: Iterable[StepState], state: IncidentState, *, fired_levels: set[int], now: datetime
) -> list[StepState]:
    return sorted(
        (
            step
            for step in steps
            if step.level not in fired_levels
            and step.due_at <= now
            and not is_stopped(step.stop_condition, state)
        ),
        key=lambda step: step.level,
    )


def next_unfired_step(
    steps: Iterable[StepState], state: IncidentState, *, fired_levels: set[int]
) -> StepState | None:
    """The level the SLA breach pulls forward: the lowest one not fired and not stopped."""
    candidates = [
        step
        for step in steps
        if step.level not in fired_levels and not is_stopped(step.stop_condition, state)
    ]
    return min(candidates, key=lambda step: step.level) if candidates else None


def next_check_at(
    steps: Iterable[StepState], state: IncidentState, *, fired_levels: set[int]
) -> datetime | None:
    """When the dispatcher must look again: the earliest pending level or the response
    deadline, whichever comes first; None when nothing can fire any more."""
    times = [
        step.due_at
        for step in steps
        if step.level not in fired_levels and not is_stopped(step.stop_condition, state)
    ]
    if sla_breach_pending(state):
        times.append(state.response_due_at)
    return min(times) if times else None


def unique_in_order(items: Iterable) -> list:
    """Each person once per level, in the order the positions name them."""
    seen, result = set(), []
    for item in items:
        if item not in seen:
            seen.add(item)
            result.append(item)
    return result


@dataclass(frozen=True)
class Interval:
    start: datetime
    end: datetime


def coverage_problems(
    shifts: Iterable[Interval], *, window_start: datetime, window_end: datetime
) -> list[tuple[str, datetime, datetime]]:
    """Gaps (nobody on call) and overlaps (two people at once) in a window.
    Returns (kind, start, end) sorted by start; kind is "gap" or "overlap"."""
    clipped = sorted(
        (max(s.start, window_start), min(s.end, window_end))
        for s in shifts
        if s.end > window_start and s.start < window_end
    )
    problems: list[tuple[str, datetime, datetime]] = []
    covered_until = window_start
    for start, end in clipped:
        if start > covered_until:
            problems.append(("gap", covered_until, start))
        elif start < covered_until:
            problems.append(("overlap", start, min(end, covered_until)))
        covered_until = max(covered_until, end)
    if covered_until < window_end:
        problems.append(("gap", covered_until, window_end))
    return sorted(problems, key=lambda p: p[1])

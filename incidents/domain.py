"""Pure incident rules: no ORM, no clock of their own (`now` is passed in)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .choices import CATEGORY_BY_TYPE, Phase, Status
from .kernel.durations import format_duration
from .kernel.errors import DomainError

# Forward order of the lifecycle; `cancelled` sits outside it.
LIFECYCLE = (
    Status.DETECTED,
    Status.TRIAGED,
    Status.INVESTIGATING,
    Status.CONTAINED,
    Status.RESOLVED,
    Status.CLOSED,
)
OPEN_STATUSES = frozenset({Status.DETECTED, Status.TRIAGED, Status.INVESTIGATING, Status.CONTAINED})
FINAL_STATUSES = frozenset({Status.CLOSED, Status.CANCELLED})

# Entering a status stamps this timestamp (once: a later re-entry keeps the first stamp,
# except `resolved_at`, which a reopen clears so MTTR measures the final resolution).
STAMP_ON_ENTRY: dict[str, str] = {
    Status.TRIAGED: "triaged_at",
    Status.CONTAINED: "contained_at",
    Status.RESOLVED: "resolved_at",
    Status.CLOSED: "closed_at",
    Status.CANCELLED: "cancelled_at",
}

# The spec's phase checklists become due when the incident enters these statuses.
PHASES_ON_ENTRY: dict[str, tuple[Phase, ...]] = {
    Status.DETECTED: (Phase.TRIAGE,),
    Status.TRIAGED: (Phase.INVESTIGATION,),
    Status.INVESTIGATING: (Phase.CONTAINMENT,),
    Status.CONTAINED: (Phase.RESOLUTION, Phase.RECOVERY),
}


class InvalidTransition(DomainError):
    pass


class MissingField(DomainError):
    pass


class ConcurrentModification(DomainError):
    pass


def category_for_type(incident_type: str) -> str:
    try:
        return CATEGORY_BY_TYPE[incident_type]
    except KeyError:
        raise DomainError(f"Unknown incident type {incident_type!r}.", field="type") from None


def allowed_transitions(status: str) -> tuple[str, ...]:
    """Every status an incident in `status` may move to, in lifecycle order."""
    if status in FINAL_STATUSES:
        return ()
    if status == Status.RESOLVED:
        # Closing, or reopening on recurrence.
        return (Status.INVESTIGATING, Status.CLOSED)
    position = LIFECYCLE.index(status)
    # Forward moves may skip states, but closing needs a resolution first.
    forward = tuple(s for s in LIFECYCLE[position + 1 :] if s != Status.CLOSED)
    return (*forward, Status.CANCELLED)


def is_reopen(from_status: str, to_status: str) -> bool:
    return from_status == Status.RESOLVED and to_status == Status.INVESTIGATING


@dataclass(frozen=True)
class TransitionPlan:
    """What a transition changes; the service applies it."""

    from_status: str
    to_status: str
    changes: dict
    phases_due: tuple[str, ...]
    summary: str


def plan_transition(
    *,
    from_status: str,
    to_status: str,
    now: datetime,
    stamps: dict[str, datetime | None],
    resolution_summary: str = "",
    cancel_reason: str = "",
    reason: str = "",
) -> TransitionPlan:
    """Validate a move and say which fields it sets.

    `stamps` holds the incident's current lifecycle timestamps (acknowledged_at,
    triaged_at, contained_at, resolved_at, closed_at, cancelled_at).
    """
    if to_status not in Status.values:
        raise InvalidTransition(f"Unknown status {to_status!r}.", field="to")
    if to_status == from_status:
        raise InvalidTransition(f"The incident is already {Status(from_status).label.lower()}.")
    if to_status not in allowed_transitions(from_status):
        allowed = ", ".join(allowed_transitions(from_status)) or "none (it is final)"
        raise InvalidTransition(
            f"Cannot move an incident from {from_status} to {to_status}. "
            f"Allowed from {from_status}: {allowed}."
        )

    changes: dict = {"status": to_status}
    resolution_summary = (resolution_summary or "").strip()
    cancel_reason = (cancel_reason or "").strip()
    reason = (reason or "").strip()

    if to_status == Status.RESOLVED:
        if not resolution_summary:
            raise MissingField(
                "A resolution summary is required to resolve an incident.",
                field="resolution_summary",
            )
        changes["resolution_summary"] = resolution_summary
    if to_status == Status.CANCELLED:
        if not cancel_reason:
            raise MissingField(
                "A reason is required to cancel an incident (e.g. false alarm).",
                field="cancel_reason",
            )
        changes["cancel_reason"] = cancel_reason
    if is_reopen(from_status, to_status):
        if not reason:
            raise MissingField("Say why the incident is reopened.", field="reason")
        changes["resolved_at"] = None

    stamp_field = STAMP_ON_ENTRY.get(to_status)
    if stamp_field and stamps.get(stamp_field) is None:
        changes[stamp_field] = now
    # Any move past detection means somebody is on it.
    if to_status != Status.CANCELLED and stamps.get("acknowledged_at") is None:
        changes["acknowledged_at"] = now

    phases_due = phases_due_on_entry(from_status, to_status)
    summary = f"Status {from_status} → {to_status}"
    detail = resolution_summary or cancel_reason or reason
    if detail:
        summary = f"{summary}: {detail}"
    return TransitionPlan(from_status, to_status, changes, phases_due, summary)


def phases_due_on_entry(from_status: str, to_status: str) -> tuple[str, ...]:
    """Checklist phases to instantiate when moving forward, including skipped states."""
    if to_status not in LIFECYCLE or from_status not in LIFECYCLE:
        return ()
    start, end = LIFECYCLE.index(from_status), LIFECYCLE.index(to_status)
    if end <= start:
        return ()
    phases: list[str] = []
    for status in LIFECYCLE[start + 1 : end + 1]:
        phases.extend(PHASES_ON_ENTRY.get(status, ()))
    return tuple(phases)


def response_due_at(detected_at: datetime, response_minutes: int) -> datetime:
    return detected_at + timedelta(minutes=response_minutes)


def can_acknowledge(status: str, acknowledged_at: datetime | None) -> None:
    if status not in OPEN_STATUSES:
        raise InvalidTransition(f"A {status} incident cannot be acknowledged.")
    if acknowledged_at is not None:
        raise InvalidTransition("The incident is already acknowledged.")


@dataclass(frozen=True)
class SlaState:
    code: str  # met | breached | pending | overdue | none
    label: str
    seconds_left: float | None


def sla_state(
    *,
    response_due_at: datetime | None,
    acknowledged_at: datetime | None,
    now: datetime,
    status: str | None = None,
) -> SlaState:
    """Response SLA: acknowledged by response_due_at. A false alarm cancelled before
    anyone acknowledged it has no SLA state (it is not overdue for ever)."""
    if response_due_at is None:
        return SlaState("none", "—", None)
    if acknowledged_at is None and status in FINAL_STATUSES:
        return SlaState("none", "—", None)
    if acknowledged_at is not None:
        if acknowledged_at <= response_due_at:
            return SlaState("met", "met", None)
        late = acknowledged_at - response_due_at
        return SlaState("breached", f"breached by {format_duration(late)}", None)
    left = (response_due_at - now).total_seconds()
    if left >= 0:
        return SlaState("pending", f"{format_duration(timedelta(seconds=left))} left", left)
    return SlaState("overdue", f"overdue {format_duration(timedelta(seconds=-left))}", left)


def format_reference(detected_at_utc: datetime, sequence: int = 1) -> str:
    """`INC-YYYYMMDD-HHMMSS`, with `-N` only when N incidents share that second."""
    base = "INC-" + detected_at_utc.strftime("%Y%m%d-%H%M%S")
    return base if sequence <= 1 else f"{base}-{sequence}"

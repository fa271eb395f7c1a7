"""Drills: the quarter's scheduled drill, extra drills, running one as a (drill) incident and
recording how it went."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.db import transaction

from incidents import services as incident_services
from incidents.choices import DetectionSource, IncidentType, ResponseRole, Severity
from incidents.kernel.errors import DomainError
from incidents.kernel.history import history_m2m_set, history_save

from .. import domain
from ..models import Drill
from .common import create_once, duty_clock_reset, pk_of, valid_quarter

DRILL_FIELDS = ("title", "scenario", "incident_type", "severity", "scheduled_for", "facilitator")


def _validate_drill(*, incident_type: str, severity: str, title: str, scenario: str) -> None:
    if incident_type not in IncidentType.values:
        raise DomainError(f"Unknown incident type {incident_type!r}.", field="incident_type")
    if severity not in Severity.values:
        raise DomainError(f"Unknown severity {severity!r}.", field="severity")
    if not (title or "").strip():
        raise DomainError("Give the drill a title.", field="title")
    if not (scenario or "").strip():
        raise DomainError("Describe the scenario.", field="scenario")


def drill_stop_on(drill: Drill) -> date:
    return domain.quarter_bounds(domain.quarter_of(drill.scheduled_for))[1].date()


def _drill_clock(drill: Drill) -> None:
    duty_clock_reset(
        drill, due_on=domain.today_utc(drill.scheduled_for), stop_on=drill_stop_on(drill)
    )


@transaction.atomic
def drill_schedule_for_quarter(
    *, quarter: str, now: datetime, facilitator=None, by=None
) -> tuple[Drill, bool]:
    """The quarter's scheduled drill from the scenario rotation (created if missing).
    -> (drill, created)."""
    quarter = valid_quarter(quarter)
    plan = domain.drill_plan_for(quarter)
    drill = Drill(
        quarter=quarter,
        auto_scheduled=True,
        title=plan.title,
        scenario=plan.scenario,
        incident_type=plan.incident_type,
        severity=plan.severity,
        scheduled_for=domain.drill_scheduled_for(quarter),
        facilitator=facilitator,
        created_at=now,
    )
    _drill_clock(drill)
    return create_once(
        drill,
        user=by,
        reason=f"Quarterly drill scheduled for {quarter}",
        lookup={"quarter": quarter, "auto_scheduled": True},
    )


@transaction.atomic
def drill_create(
    *,
    by,
    now: datetime,
    title: str,
    scenario: str,
    incident_type: str,
    severity: str,
    scheduled_for: datetime,
    facilitator=None,
    participants: Iterable = (),
) -> Drill:
    """An extra drill, planned by a person."""
    _validate_drill(incident_type=incident_type, severity=severity, title=title, scenario=scenario)
    drill = Drill(
        quarter=domain.quarter_of(scheduled_for),
        title=title.strip(),
        scenario=scenario.strip(),
        incident_type=incident_type,
        severity=severity,
        scheduled_for=scheduled_for,
        facilitator=facilitator,
        created_at=now,
    )
    _drill_clock(drill)
    history_save(drill, user=by, reason="Drill planned")
    people = list(participants)
    if people:
        history_m2m_set(drill, "participants", people, user=by, reason="Participants set")
    return drill


@transaction.atomic
def drill_update(
    *, drill: Drill | int, by, participants: Iterable | None = None, **fields
) -> Drill:
    """Change the plan of a drill that has not been held (moving it restarts reminders);
    `participants` are the people invited."""
    unknown = set(fields) - set(DRILL_FIELDS)
    if unknown:
        raise DomainError(f"These fields cannot be edited: {', '.join(sorted(unknown))}.")
    locked = Drill.objects.select_for_update().get(pk=pk_of(drill))
    if participants is not None:
        people = list(participants)
        if {p.pk for p in people} != set(locked.participants.values_list("pk", flat=True)):
            history_m2m_set(locked, "participants", people, user=by, reason="Participants set")
    changed = [name for name, value in fields.items() if getattr(locked, name) != value]
    if not changed:
        return locked
    if locked.is_done:
        raise DomainError("A drill that was held keeps its plan; record the outcome instead.")
    for name in changed:
        setattr(locked, name, fields[name])
    _validate_drill(
        incident_type=locked.incident_type,
        severity=locked.severity,
        title=locked.title,
        scenario=locked.scenario,
    )
    if "scheduled_for" in changed:
        new_quarter = domain.quarter_of(locked.scheduled_for)
        if locked.auto_scheduled and new_quarter != locked.quarter:
            raise DomainError(
                f"The {locked.quarter} drill must stay in {locked.quarter}.", field="scheduled_for"
            )
        locked.quarter = new_quarter
        _drill_clock(locked)
    history_save(locked, user=by, reason="Updated " + ", ".join(changed))
    return locked


@transaction.atomic
def drill_run_as_incident(*, drill: Drill | int, by, now: datetime):
    """Open the drill's incident (is_drill=True) through the normal workflow; the
    facilitator (else the person starting it) becomes its incident commander."""
    locked = Drill.objects.select_for_update().get(pk=pk_of(drill))
    if locked.incident is not None:
        raise DomainError(f"This drill already runs as {locked.incident.reference}.")
    if locked.is_done:
        raise DomainError("This drill was already held.")
    if by is None:
        raise DomainError("A drill is started by a person.")
    incident = incident_services.incident_create(
        title=f"[DRILL] {locked.title}",
        summary=f"Drill {locked.quarter} (simulation, not a real incident).\n\n{locked.scenario}",
        severity=locked.severity,
        type=locked.incident_type,
        detection_source=DetectionSource.TEAM_REPORT,
        is_drill=True,
        user=by,
        now=now,
        reason=f"Drill started: {locked.title}",
    )
    commander = locked.facilitator if locked.facilitator and locked.facilitator.is_active else by
    incident_services.incident_assign_role(
        incident=incident,
        role=ResponseRole.INCIDENT_COMMANDER,
        assignee=commander,
        user=by,
        now=now,
    )
    locked.incident = incident
    history_save(locked, user=by, reason=f"Run as incident {incident.reference}")
    return incident


@transaction.atomic
def drill_record_outcome(
    *,
    drill: Drill | int,
    by,
    now: datetime,
    held_at: datetime,
    evaluation: str,
    improvements: str = "",
    participants: Iterable | None = None,
) -> Drill:
    """Record that the drill was held: when, who took part, how it went, what to improve.
    Correcting the record later goes through here too (history keeps every version)."""
    locked = Drill.objects.select_for_update().get(pk=pk_of(drill))
    if by is None:
        raise DomainError("A drill outcome is recorded by a person.")
    if held_at is None:
        raise DomainError("When was the drill held?", field="held_at")
    if held_at > now:
        raise DomainError("A drill cannot be recorded as held in the future.", field="held_at")
    evaluation = (evaluation or "").strip()
    if not evaluation:
        raise DomainError("Evaluate the drill (how did the response go?).", field="evaluation")
    correcting = locked.is_done
    locked.held_at = held_at
    locked.evaluation = evaluation
    locked.improvements = (improvements or "").strip()
    locked.recorded_by = by
    locked.next_reminder_at = None
    history_save(locked, user=by, reason="Drill outcome corrected" if correcting else "Drill held")
    if participants is not None:
        history_m2m_set(
            locked, "participants", list(participants), user=by, reason="Participants recorded"
        )
    elif not correcting and locked.incident is not None:
        # Run through the workflow: whoever held a role on the drill incident took part,
        # beside (never instead of) those invited beforehand.
        role_holders = {a.user for a in locked.incident.roles.select_related("user")}
        history_m2m_set(
            locked, "participants", role_holders, user=by, reason="Participants recorded", add=True
        )
    return locked

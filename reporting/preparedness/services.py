"""Every write of the preparedness area. One transaction each; history user and reason on
every save; reminders go through the notification outbox with one idempotency key per
reminder stage, so a stage is never sent twice. The quarterly openers are idempotent:
running them late, twice or concurrently creates each item once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction

from incidents import services as incident_services
from incidents.choices import DetectionSource, IncidentType, ResponseRole, Severity
from incidents.kernel.errors import DomainError
from incidents.kernel.history import history_save
from incidents.models import ContactPoint

from . import domain
from .choices import ReviewOutcome, TrainingTopic
from .models import ContactVerification, Drill, ProcedureReview, TrainingRecord
from .selectors import responders

MANAGE_VERIFICATIONS_PERM = "reporting.change_contactverification"


def _pk(obj) -> int:
    return obj if isinstance(obj, int) else obj.pk


def _quarter(quarter: str) -> str:
    try:
        domain.parse_quarter(quarter)
    except ValueError as error:
        raise DomainError(str(error), field="quarter") from None
    return quarter


def _create_once(instance, *, user, reason: str, lookup: dict):
    """Insert unless a row matching `lookup` exists; a concurrent insert that wins the race
    (unique constraint) is returned instead. -> (row, created)."""
    model = type(instance)
    existing = model.objects.filter(**lookup).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            history_save(instance, user=user, reason=reason)
    except IntegrityError:
        existing = model.objects.filter(**lookup).first()
        if existing is None:
            raise
        return existing, False
    return instance, True


def _duty_clock(row, *, due_on: date, stop_on: date | None) -> None:
    """Restart the reminders of an open duty for its (new) due day."""
    row.reminders_sent = 0
    row.next_reminder_at = domain.next_reminder_at(
        domain.duty_reminder_plan(due_on=due_on, stop_on=stop_on), sent=0
    )


def training_validity_months() -> int:
    return getattr(
        settings, "HARBORMASTER_TRAINING_VALIDITY_MONTHS", domain.TRAINING_VALIDITY_MONTHS
    )


# --- procedure reviews -----------------------------------------------------------------------
def _review_stop_on(review: ProcedureReview) -> date:
    # Nag until the quarter ends; then the next quarter's review is the one that matters.
    return domain.quarter_bounds(review.quarter)[1].date()


@transaction.atomic
def procedure_review_open_for_quarter(
    *, quarter: str, now: datetime, reviewer=None, by=None
) -> tuple[ProcedureReview, bool]:
    """The quarter's procedure review (created if missing). -> (review, created)."""
    quarter = _quarter(quarter)
    review = ProcedureReview(
        quarter=quarter, due_on=domain.review_due_on(quarter), reviewer=reviewer, opened_at=now
    )
    _duty_clock(review, due_on=review.due_on, stop_on=_review_stop_on(review))
    return _create_once(
        review,
        user=by,
        reason=f"Quarterly procedure review opened for {quarter}",
        lookup={"quarter": quarter},
    )


@transaction.atomic
def procedure_review_update(
    *, review: ProcedureReview | int, by, reviewer=None, due_on: date | None = None, **extra
) -> ProcedureReview:
    """Assign the reviewer or move the due day of an open review."""
    locked = ProcedureReview.objects.select_for_update().get(pk=_pk(review))
    changed = []
    if reviewer != locked.reviewer:
        locked.reviewer = reviewer
        changed.append("reviewer")
    if due_on is not None and due_on != locked.due_on:
        if locked.is_done:
            raise DomainError("A completed review keeps its due date.", field="due_on")
        locked.due_on = due_on
        _duty_clock(locked, due_on=due_on, stop_on=_review_stop_on(locked))
        changed.append("due date")
    if "procedure_version" in extra:
        procedure_version = extra.pop("procedure_version")
        if procedure_version != locked.procedure_version:
            locked.procedure_version = procedure_version
            changed.append("procedure version")
    if extra:
        raise DomainError(f"These fields cannot be edited: {', '.join(sorted(extra))}.")
    if changed:
        history_save(locked, user=by, reason="Updated " + ", ".join(changed))
    return locked


@transaction.atomic
def procedure_review_complete(
    *,
    review: ProcedureReview | int,
    by,
    outcome: str,
    changes_made: str = "",
    now: datetime,
    procedure_version: str | None = None,
) -> ProcedureReview:
    locked = ProcedureReview.objects.select_for_update().get(pk=_pk(review))
    if locked.is_done:
        raise DomainError(f"The {locked.quarter} review was already completed.")
    if by is None:
        raise DomainError("A review is completed by a person.")
    if outcome not in ReviewOutcome.values:
        raise DomainError(f"Unknown outcome {outcome!r}.", field="outcome")
    changes_made = (changes_made or "").strip()
    if outcome == ReviewOutcome.UPDATED and not changes_made:
        raise DomainError("Describe the changes made to the procedures.", field="changes_made")
    locked.completed_at = now
    locked.completed_by = by
    locked.outcome = outcome
    locked.changes_made = changes_made
    if procedure_version is not None:
        locked.procedure_version = procedure_version.strip()
    if locked.reviewer is None:
        locked.reviewer = by
    locked.next_reminder_at = None
    history_save(locked, user=by, reason=f"Review completed: {ReviewOutcome(outcome).label}")
    return locked


# --- drills ----------------------------------------------------------------------------------
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


def _drill_stop_on(drill: Drill) -> date:
    return domain.quarter_bounds(domain.quarter_of(drill.scheduled_for))[1].date()


def _drill_clock(drill: Drill) -> None:
    _duty_clock(drill, due_on=domain.today_utc(drill.scheduled_for), stop_on=_drill_stop_on(drill))


@transaction.atomic
def drill_schedule_for_quarter(
    *, quarter: str, now: datetime, facilitator=None, by=None
) -> tuple[Drill, bool]:
    """The quarter's scheduled drill from the scenario rotation (created if missing).
    -> (drill, created)."""
    quarter = _quarter(quarter)
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
    return _create_once(
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
        drill._history_user, drill._change_reason = by, "Participants set"
        drill.participants.set(people)
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
    locked = Drill.objects.select_for_update().get(pk=_pk(drill))
    if participants is not None:
        people = list(participants)
        if {p.pk for p in people} != set(locked.participants.values_list("pk", flat=True)):
            locked._history_user, locked._change_reason = by, "Participants set"
            locked.participants.set(people)
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
    locked = Drill.objects.select_for_update().get(pk=_pk(drill))
    if locked.incident_id is not None:
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
    locked = Drill.objects.select_for_update().get(pk=_pk(drill))
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
        locked._history_user, locked._change_reason = by, "Participants recorded"
        locked.participants.set(list(participants))
    elif locked.incident_id is not None and not correcting:
        # Run through the workflow: whoever held a role on the drill incident took part,
        # beside (never instead of) those invited beforehand.
        role_holders = {a.user for a in locked.incident.roles.select_related("user")}
        locked._history_user, locked._change_reason = by, "Participants recorded"
        locked.participants.add(*role_holders)
    return locked


# --- training --------------------------------------------------------------------------------
@transaction.atomic
def training_record_add(
    *,
    user,
    topic: str,
    completed_on: date,
    by,
    now: datetime,
    expires_on: date | None = None,
    provider: str = "",
    evidence_url: str = "",
    notes: str = "",
) -> tuple[TrainingRecord, bool]:
    """Record a completed training (idempotent per person, topic and day). Older records on
    the same topic stop reminding: this one supersedes them. -> (record, created)."""
    if user is None:
        raise DomainError("Whose training is it?", field="user")
    if topic not in TrainingTopic.values:
        raise DomainError(f"Unknown training topic {topic!r}.", field="topic")
    if completed_on is None:
        raise DomainError("When was the training completed?", field="completed_on")
    if completed_on > domain.today_utc(now):
        raise DomainError("Training cannot be completed in the future.", field="completed_on")
    expires_on = expires_on or domain.training_expires_on(completed_on, training_validity_months())
    if expires_on <= completed_on:
        raise DomainError("The expiry must be after the completion date.", field="expires_on")
    plan = domain.training_reminder_plan(expires_on=expires_on)
    record = TrainingRecord(
        user=user,
        topic=topic,
        completed_on=completed_on,
        expires_on=expires_on,
        provider=provider.strip(),
        evidence_url=evidence_url,
        notes=notes,
        recorded_at=now,
        recorded_by=by,
        next_reminder_at=domain.next_reminder_at(plan, sent=0),
    )
    record, created = _create_once(
        record,
        user=by,
        reason=f"Training recorded: {TrainingTopic(topic).label}",
        lookup={"user": user, "topic": topic, "completed_on": completed_on},
    )
    if created:
        older = TrainingRecord.objects.select_for_update().filter(
            user=user, topic=topic, completed_on__lt=completed_on, next_reminder_at__isnull=False
        )
        for old in older:
            old.next_reminder_at = None
            history_save(old, user=by, reason="Superseded by a newer training record")
    return record, created


# --- contact verification --------------------------------------------------------------------
@transaction.atomic
def contact_verification_open_for_quarter(
    *, quarter: str, now: datetime, by=None
) -> list[ContactVerification]:
    """One verification per active responder (members of the response-role staff groups,
    auditors excepted) for the quarter; returns the ones created now."""
    quarter = _quarter(quarter)
    due_on = domain.verification_due_on(quarter)
    # Someone who joins mid-quarter gets a week from now rather than a past due date.
    due_on = max(due_on, domain.today_utc(now) + timedelta(days=domain.DUE_SOON_DAYS))
    already = set(
        ContactVerification.objects.filter(quarter=quarter).values_list("user_id", flat=True)
    )
    stop_on = domain.quarter_bounds(quarter)[1].date()
    created = []
    for person in responders().exclude(pk__in=already):
        verification = ContactVerification(
            user=person, quarter=quarter, due_on=due_on, opened_at=now
        )
        _duty_clock(verification, due_on=due_on, stop_on=stop_on)
        verification, new = _create_once(
            verification,
            user=by,
            reason=f"Contact verification opened for {quarter}",
            lookup={"user": person, "quarter": quarter},
        )
        if new:
            created.append(verification)
    return created


@transaction.atomic
def contact_verification_confirm(
    *,
    verification: ContactVerification | int,
    by,
    now: datetime,
    email: str | None = None,
    chat_handle: str | None = None,
) -> ContactVerification:
    """The responder (or a manager of verifications) confirms the contact details; given
    `email` / `chat_handle` update them first. Stamps ContactPoint.verified_at."""
    locked = (
        ContactVerification.objects.select_for_update()
        .select_related("user")
        .get(pk=_pk(verification))
    )
    if by is None or not (by.pk == locked.user_id or by.has_perm(MANAGE_VERIFICATIONS_PERM)):
        raise DomainError("Only the person themselves or an incident commander can confirm.")
    if locked.is_done and email is None and chat_handle is None:
        return locked  # confirming twice changes nothing
    contact = ContactPoint.objects.select_for_update().filter(user=locked.user).first()
    contact = contact or ContactPoint(user=locked.user)
    changed = []
    if email is not None and email.strip() != contact.email:
        contact.email = email.strip()
        changed.append("email")
    if chat_handle is not None and chat_handle.strip() != contact.chat_handle:
        contact.chat_handle = chat_handle.strip()
        changed.append("chat handle")
    if not (contact.email or locked.user.email):
        raise DomainError("There is no email address to confirm; enter one.", field="email")
    contact.verified_at = now
    suffix = f" (updated {', '.join(changed)})" if changed else ""
    history_save(contact, user=by, reason=f"Contact details verified for {locked.quarter}{suffix}")
    locked.verified_at = now
    locked.verified_by = by
    locked.next_reminder_at = None
    locked.confirmed_contact = {
        "email": contact.email or locked.user.email,
        "chat_handle": contact.chat_handle,
        "accepts_email": contact.accepts_email,
        "accepts_chat": contact.accepts_chat,
    }
    history_save(locked, user=by, reason=f"Contact details confirmed{suffix}")
    return locked


# --- the quarter -----------------------------------------------------------------------------
@dataclass
class QuarterOpened:
    quarter: str
    review: ProcedureReview
    review_created: bool
    drill: Drill
    drill_created: bool
    verifications_created: list[ContactVerification]


@transaction.atomic
def quarter_open(*, quarter: str, now: datetime, by=None) -> QuarterOpened:
    """What the three quarterly schedules do, in one call (the open_quarter command)."""
    review, review_created = procedure_review_open_for_quarter(quarter=quarter, now=now, by=by)
    drill, drill_created = drill_schedule_for_quarter(quarter=quarter, now=now, by=by)
    verifications = contact_verification_open_for_quarter(quarter=quarter, now=now, by=by)
    return QuarterOpened(quarter, review, review_created, drill, drill_created, verifications)

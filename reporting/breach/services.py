"""Every write of the breach records: one transaction, history user + reason on each save.

Obligations are (re)planned (`planning.obligations_plan`) whenever the facts that decide
them change: which regimes apply, the clock-starting times, thresholds. Reminders and the
overdue alarm are swept by beat (`reminders.obligation_reminders_dispatch`) and written
through the outbox, each exactly once."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone

from incidents.choices import TimelineKind
from incidents.kernel.errors import DomainError
from incidents.kernel.history import history_m2m_set, history_save
from incidents.models import Incident, TimelineEntry

from ..audit.tables import plain
from . import domain
from .choices import Anchor, ObligationStatus
from .models import BreachAssessment, NotificationObligation, RegimeStage
from .planning import obligations_plan

logger = logging.getLogger(__name__)

ANCHOR_NAMES = ("awareness", "discovery", "classification", "determination")
FACT_FIELDS = (
    "nature",
    "personal_data_involved",
    "data_categories",
    "data_subject_categories",
    "approx_data_subjects",
    "approx_records",
    "residents_by_state",
    "likely_consequences",
    "measures",
    "dpo_contact",
    "jurisdictions",
)


def _now(now):
    return now if now is not None else timezone.now()


def _timeline(incident: Incident, *, text: str, user, at: datetime) -> None:
    entry = TimelineEntry(
        incident=incident, at=at, kind=TimelineKind.COMPLIANCE, text=text, author=user
    )
    history_save(entry, user=user, reason="Timeline: breach record")


def requires_assessment(incident: Incident) -> bool:
    return incident.type == "data_breach" or incident.personal_data_involved


# --- assessment ------------------------------------------------------------------------------
@transaction.atomic
def breach_assessment_start(
    *,
    incident: Incident | int,
    user,
    awareness_at: datetime | None = None,
    awareness_reason: str = "",
    regimes=(),
    now: datetime | None = None,
) -> BreachAssessment:
    """Open the breach record of an incident (once)."""
    now = _now(now)
    pk = incident.pk if isinstance(incident, Incident) else incident
    locked = Incident.objects.select_for_update().get(pk=pk)
    existing = BreachAssessment.objects.filter(incident=locked).first()
    if existing is not None:
        return existing
    if awareness_at is not None:
        if not awareness_reason.strip():
            raise DomainError("Say why this is the awareness time.", field="awareness_reason")
        if awareness_at > now:
            raise DomainError("Awareness cannot be in the future.", field="awareness_at")
    assessment = BreachAssessment(
        incident=locked,
        personal_data_involved=locked.personal_data_involved or locked.type == "data_breach",
        awareness_at=awareness_at,
        awareness_set_by=user if awareness_at else None,
        awareness_reason=awareness_reason.strip(),
        created_at=now,
        created_by=user,
    )
    history_save(assessment, user=user, reason="Breach assessment started")
    if regimes:
        history_m2m_set(assessment, "regimes", regimes, user=user, reason="Regimes chosen")
    _timeline(locked, text="Breach assessment started.", user=user, at=now)
    obligations_plan(assessment, user=user, now=now)
    return assessment


def _lock_assessment(assessment: BreachAssessment | int) -> BreachAssessment:
    pk = assessment.pk if isinstance(assessment, BreachAssessment) else assessment
    return BreachAssessment.objects.select_for_update().select_related("incident").get(pk=pk)


@transaction.atomic
def breach_assessment_set_time(
    *,
    assessment: BreachAssessment | int,
    anchor: str,
    at: datetime | None,
    reason: str,
    user,
    now: datetime | None = None,
) -> BreachAssessment:
    """Set (or correct) awareness, discovery, classification or determination time. The
    reason is required and lands in history; due dates follow."""
    now = _now(now)
    if anchor not in ANCHOR_NAMES:
        raise DomainError(f"Unknown clock start {anchor!r}.", field="anchor")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why this time is right (it is audited).", field=f"{anchor}_reason")
    if at is not None and at > now:
        raise DomainError("The time cannot be in the future.", field=f"{anchor}_at")
    locked = _lock_assessment(assessment)
    old = getattr(locked, f"{anchor}_at")
    if old == at:
        return locked
    setattr(locked, f"{anchor}_at", at)
    setattr(locked, f"{anchor}_set_by", user if at else None)
    setattr(locked, f"{anchor}_reason", reason if at else "")
    locked.version += 1
    label = anchor.capitalize()
    change = f"{label} time {_fmt(old)} → {_fmt(at)}: {reason}"
    history_save(locked, user=user, reason=change)
    _timeline(locked.incident, text=f"Breach record: {change}", user=user, at=now)
    obligations_plan(locked, user=user, now=now)
    return locked


def _fmt(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else "unset"


@transaction.atomic
def breach_assessment_update(
    *,
    assessment: BreachAssessment | int,
    user,
    reason: str = "",
    regimes=None,
    now: datetime | None = None,
    **facts,
) -> BreachAssessment:
    """Edit the descriptive facts (categories, numbers, consequences, measures, …)."""
    now = _now(now)
    unknown = set(facts) - set(FACT_FIELDS)
    if unknown:
        raise DomainError(f"These fields cannot be edited here: {', '.join(sorted(unknown))}.")
    for name, clean in (
        ("residents_by_state", domain.clean_residents_by_state),
        ("jurisdictions", domain.clean_jurisdictions),
    ):
        if name in facts:
            try:
                facts[name] = clean(facts[name])
            except domain.FactError as error:
                raise DomainError(str(error), field=name) from None
    locked = _lock_assessment(assessment)
    changed = [name for name, value in facts.items() if getattr(locked, name) != value]
    for name in changed:
        setattr(locked, name, facts[name])
    regimes_changed = False
    if regimes is not None:
        regimes = list(regimes)
        regimes_changed = {r.pk for r in regimes} != set(
            locked.regimes.values_list("pk", flat=True)
        )
    if changed:
        locked.version += 1
        history_save(locked, user=user, reason=reason or "Updated " + ", ".join(changed))
    if regimes_changed:
        history_m2m_set(locked, "regimes", regimes, user=user, reason=reason or "Regimes changed")
    if changed or regimes_changed:
        obligations_plan(locked, user=user, now=now)
    return locked


@transaction.atomic
def breach_assessment_decide_high_risk(
    *,
    assessment: BreachAssessment | int,
    high_risk: bool | None,
    rationale: str,
    user,
    now: datetime | None = None,
) -> BreachAssessment:
    """Decide (or, with None, reopen) whether the breach is a high risk to individuals; the
    stages that hang on it (GDPR Art. 34) are re-planned either way."""
    now = _now(now)
    rationale = (rationale or "").strip()
    if not rationale:
        raise DomainError("A high-risk decision needs its rationale.", field="high_risk_rationale")
    locked = _lock_assessment(assessment)
    locked.high_risk = high_risk
    locked.high_risk_rationale = rationale
    locked.high_risk_decided_by = user
    locked.version += 1
    if high_risk is None:
        reason = f"Reopened the high-risk decision: {rationale}"
        note = "high-risk decision reopened (undecided)"
    else:
        verdict = "high risk" if high_risk else "no high risk"
        reason = f"Decided {verdict} to individuals: {rationale}"
        note = f"{verdict} decided"
    history_save(locked, user=user, reason=reason)
    _timeline(locked.incident, text=f"Breach record: {note}.", user=user, at=now)
    obligations_plan(locked, user=user, now=now)
    return locked


# Assessment fields a required-contents key may name: facts, times and the risk decision --
# plain values, never relations.
SNAPSHOT_FIELDS = frozenset(
    (*FACT_FIELDS, *(f"{name}_at" for name in ANCHOR_NAMES), "high_risk", "high_risk_rationale")
)


def content_snapshot(assessment: BreachAssessment, stage: RegimeStage, given: dict) -> dict:
    """The fields this stage requires: what was given, else the assessment's value (JSON-safe:
    times as UTC text)."""
    snapshot = {}
    for item in stage.required_contents or []:
        key = item["key"]
        value = given.get(key)
        if value in (None, "") and key in SNAPSHOT_FIELDS:
            value = plain(getattr(assessment, key))
        snapshot[key] = {"label": item.get("label", key), "value": value}
    for key, value in given.items():
        snapshot.setdefault(key, {"label": key, "value": value})
    return snapshot


def _lock_obligation(obligation) -> NotificationObligation:
    pk = obligation.pk if isinstance(obligation, NotificationObligation) else obligation
    assessment_id = NotificationObligation.objects.values_list("assessment_id", flat=True).get(
        pk=pk
    )
    _lock_assessment(assessment_id)
    return (
        NotificationObligation.objects.select_for_update()
        .select_related("stage__regime", "assessment__incident")
        .get(pk=pk)
    )


def submission_too_early(obligation: NotificationObligation, submitted_at: datetime) -> str:
    """Why `submitted_at` cannot be right ("" if it can): a notification is never made
    before the event its clock counts from (for HHS's annual notice of small breaches, the
    discovery itself, not the 1 January its clock starts on)."""
    if obligation.stage.anchor == Anchor.DISCOVERY_YEAR_END:
        floor = obligation.assessment.discovery_at
    else:
        floor = obligation.anchor_at
    if floor is None or submitted_at >= floor:
        return ""
    return (
        "Submission cannot be before the event that starts this notification's clock "
        f"({floor:%Y-%m-%d %H:%M} UTC)."
    )


@transaction.atomic
def obligation_submit(
    *,
    obligation: NotificationObligation | int,
    user,
    submitted_at: datetime | None = None,
    reference_number: str = "",
    recipient: str = "",
    contents: dict | None = None,
    now: datetime | None = None,
) -> NotificationObligation:
    """Record that the notification was made; stages anchored on it start their clock."""
    now = _now(now)
    locked = _lock_obligation(obligation)
    if locked.status == ObligationStatus.SUBMITTED:
        raise DomainError("This notification is already recorded as submitted.")
    submitted_at = submitted_at or now
    if submitted_at > now:
        raise DomainError("Submission cannot be in the future.", field="submitted_at")
    too_early = submission_too_early(locked, submitted_at)
    if too_early:
        raise DomainError(too_early, field="submitted_at")
    if not isinstance(contents or {}, dict):
        raise DomainError("Give the contents as an object of field key to value.", field="contents")
    assessment = locked.assessment
    snapshot = content_snapshot(assessment, locked.stage, contents or {})
    missing = [key for key, item in snapshot.items() if item["value"] in (None, "", [], {})]
    locked.status = ObligationStatus.SUBMITTED
    locked.submitted_at = submitted_at
    locked.submitted_by = user
    locked.reference_number = reference_number.strip()
    locked.recipient = recipient.strip() or locked.recipient
    locked.content_snapshot = snapshot
    locked.next_reminder_at = None
    late = locked.due_at is not None and submitted_at > locked.due_at
    text = f"{locked.stage} submitted to {locked.recipient}" + (" (late)" if late else "")
    if missing:
        text += f"; empty required fields: {', '.join(missing)}"
    history_save(locked, user=user, reason=text)
    _timeline(assessment.incident, text=f"Breach record: {text}.", user=user, at=now)
    obligations_plan(assessment, user=user, now=now)
    return locked


@transaction.atomic
def obligation_mark_not_required(
    *, obligation: NotificationObligation | int, rationale: str, user, now: datetime | None = None
) -> NotificationObligation:
    now = _now(now)
    rationale = (rationale or "").strip()
    if not rationale:
        raise DomainError("Say why this notification is not required.", field="rationale")
    if user is None:
        raise DomainError("A person decides that a notification is not required.")
    locked = _lock_obligation(obligation)
    if locked.status == ObligationStatus.SUBMITTED:
        raise DomainError("A submitted notification cannot become not required.")
    locked.status = ObligationStatus.NOT_REQUIRED
    locked.rationale = rationale
    locked.decided_by = user
    locked.decided_at = now
    locked.next_reminder_at = None
    history_save(locked, user=user, reason=f"Not required: {rationale}")
    _timeline(
        locked.assessment.incident,
        text=f"Breach record: {locked.stage} not required ({rationale}).",
        user=user,
        at=now,
    )
    return locked

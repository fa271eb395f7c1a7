"""Planning the notifications a breach owes: one obligation per active stage of every
chosen regime, its due time and its reminder clock. Called by every service that changes
the facts deciding them (inside their transaction)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings

from incidents.kernel.history import history_save

from . import domain
from .choices import ANCHOR_FIELD, Anchor, ObligationStatus
from .models import BreachAssessment, NotificationObligation


def lead_minutes() -> list[int]:
    return sorted({round(h * 60) for h in settings.HARBORMASTER_BREACH_REMINDER_LEAD_HOURS})


def _facts(assessment: BreachAssessment) -> domain.BreachFacts:
    residents = {
        str(k).upper(): int(v) for k, v in (assessment.residents_by_state or {}).items() if v
    }
    return domain.BreachFacts(assessment.high_risk, assessment.approx_data_subjects, residents)


def _anchor_time(assessment, anchor: str, previous: NotificationObligation | None):
    if anchor == Anchor.PREVIOUS_STAGE:
        return previous.submitted_at if previous is not None else None
    if anchor == Anchor.DISCOVERY_YEAR_END:
        return domain.end_of_year(assessment.discovery_at) if assessment.discovery_at else None
    return getattr(assessment, ANCHOR_FIELD[anchor])


def obligations_plan(assessment: BreachAssessment, *, user, now: datetime) -> list:
    """Create or update one obligation per active stage of every chosen regime. Submitted
    obligations and a person's not-required decision are never rewritten."""
    results = []
    existing = {o.stage_id: o for o in assessment.obligations.select_for_update()}
    facts = _facts(assessment)
    leads = lead_minutes()
    for regime in assessment.regimes.filter(active=True).order_by("name"):
        previous = None
        for stage in regime.stages.filter(active=True).order_by("order", "id"):
            obligation = existing.get(stage.pk)
            applies, why = domain.stage_applies(
                stage.applicability, stage.threshold, facts, state=regime.state
            )
            if obligation is None:
                obligation = NotificationObligation(
                    assessment=assessment, stage=stage, recipient=stage.recipient
                )
            if obligation.status == ObligationStatus.SUBMITTED or (
                obligation.status == ObligationStatus.NOT_REQUIRED
                and obligation.decided_by_id is not None
            ):
                previous = obligation
                results.append(obligation)
                continue
            if applies is False:
                obligation.status = ObligationStatus.NOT_REQUIRED
                obligation.rationale = f"Threshold not met: {why}"
                obligation.decided_at = now
                obligation.decided_by = None
            else:
                obligation.status = ObligationStatus.PENDING
                obligation.rationale = "" if applies else why
            anchor = _anchor_time(assessment, stage.anchor, previous)
            cap_anchor = (
                _anchor_time(assessment, stage.cap_anchor, previous) if stage.cap_anchor else None
            )
            due = domain.stage_due_at(stage.clock, anchor, cap_anchor)
            if due != obligation.due_at:
                obligation.reminders_sent = []
                obligation.overdue_alarmed_at = None
            obligation.anchor_at, obligation.due_at = anchor, due
            obligation.next_reminder_at = (
                domain.next_reminder_at(
                    due=due,
                    leads_minutes=leads,
                    sent=obligation.reminders_sent,
                    alarmed=obligation.overdue_alarmed_at is not None,
                )
                if obligation.status == ObligationStatus.PENDING
                else None
            )
            # A pending notification goes where the stage's rule says now (rules get edited).
            obligation.recipient = stage.recipient
            if obligation.pk is None or _dirty(obligation):
                history_save(obligation, user=user, reason=f"Planned: {stage}")
            previous = obligation
            results.append(obligation)
    # Regimes taken off the assessment: their open obligations stop (and stop reminding).
    planned = {obligation.stage_id for obligation in results}
    for stage_id, obligation in existing.items():
        if stage_id in planned or obligation.status != ObligationStatus.PENDING:
            continue
        obligation.status = ObligationStatus.NOT_REQUIRED
        obligation.rationale = "The regime (or stage) no longer applies to this breach."
        obligation.decided_at = now
        obligation.next_reminder_at = None
        history_save(obligation, user=user, reason="Regime no longer applies")
    return results


def _dirty(obligation: NotificationObligation) -> bool:
    stored = NotificationObligation.objects.filter(pk=obligation.pk).values(
        "status", "due_at", "anchor_at", "next_reminder_at", "rationale", "recipient"
    )[0]
    return any(getattr(obligation, name) != value for name, value in stored.items())

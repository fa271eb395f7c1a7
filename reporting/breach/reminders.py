"""The beat sweep over the obligations' reminder clock: reminders at the lead times, then
the overdue alarm, each sent once through the outbox."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from incidents.choices import ResponseRole, StaffGroup
from incidents.escalation.rules import unique_in_order
from incidents.kernel.due_rows import claim_row
from incidents.kernel.history import history_save
from incidents.models import Incident
from incidents.outbox.services import notification_send
from incidents.selectors import active_role_holder, group_members

from . import domain
from .choices import ObligationStatus
from .models import NotificationObligation
from .planning import lead_minutes
from .selectors import obligations_due


def _alarm_people(incident: Incident) -> list:
    """The incident commander and the Security Lead group, each once."""
    commander = active_role_holder(incident, ResponseRole.INCIDENT_COMMANDER)
    people = [commander] if commander else []
    return unique_in_order(people + group_members(StaffGroup.SECURITY_LEAD))


def _notify(obligation: NotificationObligation, *, kind: str, subject: str, body: str, now):
    incident = obligation.assessment.incident
    due_key = obligation.due_at.strftime("%Y%m%dT%H%M%S") if obligation.due_at else "none"
    notification_send(
        people=_alarm_people(incident),
        key=f"obligation:{obligation.pk}:{due_key}:{kind}",
        subject=subject,
        body=body,
        now=now,
        incident=incident,
        payload={"obligation": obligation.pk, "kind": kind},
        chat=True,
    )


@transaction.atomic
def _remind_one(obligation_id: int, now: datetime) -> str | None:
    obligation = claim_row(
        NotificationObligation.objects.filter(
            pk=obligation_id, status=ObligationStatus.PENDING, next_reminder_at__lte=now
        ).select_related("stage__regime", "assessment__incident")
    )
    if obligation is None or obligation.due_at is None:
        return None
    leads = lead_minutes()
    decision = domain.reminders_due(
        due=obligation.due_at,
        leads_minutes=leads,
        sent=obligation.reminders_sent,
        alarmed=obligation.overdue_alarmed_at is not None,
        now=now,
    )
    incident = obligation.assessment.incident
    due_text = obligation.due_at.strftime("%Y-%m-%d %H:%M UTC")
    outcome = None
    if decision.overdue:
        subject = f"[{incident.reference}] OVERDUE: {obligation.stage} was due {due_text}"
        body = (
            f"The notification '{obligation.stage}' to {obligation.recipient} for "
            f"{incident.reference} ({incident.title}) was due at {due_text} and is not "
            f"recorded as submitted. Record it, or record why it is not required."
        )
        _notify(obligation, kind="overdue", subject=subject, body=body, now=now)
        obligation.overdue_alarmed_at = now
        outcome = "overdue"
    elif decision.remind_lead is not None:
        lead = domain.format_lead(decision.remind_lead)
        subject = f"[{incident.reference}] {obligation.stage} due in {lead} ({due_text})"
        body = (
            f"The notification '{obligation.stage}' to {obligation.recipient} for "
            f"{incident.reference} ({incident.title}) is due at {due_text}."
        )
        _notify(
            obligation, kind=f"reminder-{decision.remind_lead}", subject=subject, body=body, now=now
        )
        outcome = "reminder"
    obligation.reminders_sent = sorted(set(obligation.reminders_sent) | set(decision.mark_sent))
    obligation.next_reminder_at = domain.next_reminder_at(
        due=obligation.due_at,
        leads_minutes=leads,
        sent=obligation.reminders_sent,
        alarmed=obligation.overdue_alarmed_at is not None,
    )
    history_save(obligation, user=None, reason=f"Reminder clock: {outcome or 'nothing due'}")
    return outcome


def obligation_reminders_dispatch(*, now: datetime | None = None, limit: int = 500) -> dict:
    """Beat's sweep over the indexed reminder clock. Safe to run concurrently/repeatedly."""
    now = now if now is not None else timezone.now()
    counts: dict[str, int] = {}
    for obligation_id in obligations_due(now, limit):
        outcome = _remind_one(obligation_id, now)
        if outcome:
            counts[outcome] = counts.get(outcome, 0) + 1
    return counts

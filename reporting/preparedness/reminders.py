"""The preparedness reminder sweep (beat): every due reminder of reviews, drills, contact
verifications and training, each stage once, through the notification outbox with one
idempotency key per stage. Rows locked by a concurrent sweep are skipped."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from incidents.choices import StaffGroup
from incidents.kernel.due_rows import claim_row, due_row_ids
from incidents.kernel.history import history_save
from incidents.outbox.services import notify_people
from incidents.selectors import group_members

from . import domain
from .models import ContactVerification, Drill, ProcedureReview, TrainingRecord
from .services import drill_stop_on, review_stop_on


def _owners_or_commanders(*people) -> list:
    owners = [person for person in people if person is not None and person.is_active]
    return owners or group_members(StaffGroup.INCIDENT_COMMANDER)


def _remind_review(review: ProcedureReview, now: datetime, settle: str = "") -> bool:
    plan = domain.duty_reminder_plan(due_on=review.due_on, stop_on=review_stop_on(review))
    return _send_stage(
        review,
        plan,
        now,
        settle=settle,
        key=f"preparedness:review:{review.pk}:{review.due_on.isoformat()}",
        people=lambda: _owners_or_commanders(review.reviewer),
        subject=lambda r: f"Procedure review {review.quarter} {r.label}",
        body=lambda r: (
            f"The quarterly review of the incident response procedures ({review.quarter}) is "
            f"{r.label}: due {review.due_on.isoformat()}. Record the outcome and the changes "
            "made in Harbormaster (Compliance and audit → Procedure reviews)."
        ),
    )


def _remind_drill(drill: Drill, now: datetime, settle: str = "") -> bool:
    due_on = domain.today_utc(drill.scheduled_for)
    plan = domain.duty_reminder_plan(due_on=due_on, stop_on=drill_stop_on(drill))
    return _send_stage(
        drill,
        plan,
        now,
        settle=settle,
        key=f"preparedness:drill:{drill.pk}:{drill.scheduled_for:%Y%m%dT%H%M}",
        people=lambda: _owners_or_commanders(drill.facilitator),
        subject=lambda r: (
            f"Drill {r.label}: {drill.title}"
            if r.key != "due"
            else f"Drill today at {drill.scheduled_for:%H:%M} UTC: {drill.title}"
        ),
        body=lambda r: (
            f"The {drill.quarter} incident simulation '{drill.title}' "
            f"({drill.get_severity_display()}, {drill.get_incident_type_display()}) is scheduled "
            f"for {drill.scheduled_for:%Y-%m-%d %H:%M} UTC"
            + (
                " and its outcome has not been recorded yet."
                if r.key.startswith("overdue")
                else "."
            )
            + f"\n\nScenario: {drill.scenario}"
        ),
    )


def _remind_verification(
    verification: ContactVerification, now: datetime, settle: str = ""
) -> bool:
    stop_on = domain.quarter_bounds(verification.quarter)[1].date()
    plan = domain.duty_reminder_plan(due_on=verification.due_on, stop_on=stop_on)
    return _send_stage(
        verification,
        plan,
        now,
        settle=settle,
        key=f"preparedness:contact:{verification.pk}:{verification.due_on.isoformat()}",
        people=lambda: [verification.user] if verification.user.is_active else [],
        subject=lambda r: (
            f"Please confirm your contact details ({verification.quarter}) — {r.label}"
        ),
        body=lambda r: (
            "Incident escalation pages you at the contact details on file. Please check and "
            f"confirm them by {verification.due_on.isoformat()} in Harbormaster (Compliance "
            "and audit → Contact verifications)."
        ),
    )


def _remind_training(record: TrainingRecord, now: datetime, settle: str = "") -> bool:
    plan = domain.training_reminder_plan(expires_on=record.expires_on)
    return _send_stage(
        record,
        plan,
        now,
        settle=settle,
        key=f"preparedness:training:{record.pk}:{record.expires_on.isoformat()}",
        people=lambda: [record.user] if record.user.is_active else [],
        subject=lambda r: f"Your {record.get_topic_display()} training {r.label}",
        body=lambda r: (
            f"Your {record.get_topic_display()} training (completed "
            f"{record.completed_on.isoformat()}) {r.label}: valid until "
            f"{record.expires_on.isoformat()} (exclusive). Please retake it and have it recorded."
        ),
    )


def _send_stage(row, plan, now, *, settle, key, people, subject, body) -> bool:
    """Send the stage that is due and move the clock on. With `settle` (a reason), record
    the stage as sent without sending anything (demo data loaded with its past)."""
    index = domain.reminder_to_send(plan, sent=row.reminders_sent, now=now)
    if index is None:
        # Swept early (clock moved); put the clock back on the next stage.
        row.next_reminder_at = domain.next_reminder_at(plan, sent=row.reminders_sent)
        history_save(row, user=None, reason=settle or "Reminder clock reset")
        return False
    reminder = plan[index]
    if not settle:
        notify_people(
            people=people(),
            key=f"{key}:{reminder.key}",
            subject=subject(reminder),
            body=body(reminder),
            now=now,
        )
    row.reminders_sent = index + 1
    row.next_reminder_at = domain.next_reminder_at(plan, sent=row.reminders_sent)
    history_save(row, user=None, reason=settle or f"Reminder sent: {reminder.label}")
    return True


def _superseded(record: TrainingRecord) -> bool:
    return TrainingRecord.objects.filter(
        user_id=record.user_id, topic=record.topic, completed_on__gt=record.completed_on
    ).exists()


_SWEEPS = (
    (ProcedureReview, "reviews", ("reviewer",), _remind_review),
    (Drill, "drills", ("facilitator",), _remind_drill),
    (ContactVerification, "contact_verifications", ("user",), _remind_verification),
    (TrainingRecord, "training", ("user",), _remind_training),
)


def _claim(model, pk, now, related):
    return claim_row(
        model.objects.filter(pk=pk, next_reminder_at__lte=now).select_related(*related)
    )


def _is_done(row) -> bool:
    if isinstance(row, TrainingRecord):
        return _superseded(row) or not row.user.is_active
    return row.is_done


def send_preparedness_reminders(*, now: datetime, limit: int = 500) -> dict[str, int]:
    """Beat: every preparedness reminder that is due, each stage once. One transaction per
    row (a failing row does not hold back the others); rows locked by a concurrent sweep
    are skipped."""
    return _sweep(now=now, limit=limit, settle="")


DEMO_SETTLED_REASON = "Demo data: settled without sending"


def preparedness_reminders_settle(
    *, now: datetime, reason: str = DEMO_SETTLED_REASON, limit: int = 10_000
) -> dict[str, int]:
    """Demo load: every reminder already past is recorded as sent without sending it, the
    clock moved on exactly as the sweep would (history gives `reason`), so the first beat
    run pages nobody about a past that was only replayed."""
    return _sweep(now=now, limit=limit, settle=reason)


def demo_reminders_settle(*, now: datetime) -> str:
    """The demo's clock settler (incidents.demo.registry.register_clock_settler)."""
    counts = preparedness_reminders_settle(now=now)
    return f"{sum(counts.values())} preparedness reminder(s) marked as sent"


def _sweep(*, now: datetime, limit: int, settle: str) -> dict[str, int]:
    counts = {}
    for model, name, related, remind in _SWEEPS:
        counts[name] = 0
        due = due_row_ids(model.objects.all(), due_field="next_reminder_at", now=now, limit=limit)
        for pk in due:
            with transaction.atomic():
                row = _claim(model, pk, now, related)
                if row is None:
                    continue
                if _is_done(row):
                    row.next_reminder_at = None
                    history_save(row, user=None, reason=settle or "Reminders stopped: done")
                    continue
                counts[name] += remind(row, now, settle=settle)
    return counts

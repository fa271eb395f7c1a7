"""Training records: completed trainings and how long they stay valid."""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.db import transaction

from incidents.kernel.errors import DomainError
from incidents.kernel.history import history_save

from .. import domain
from ..choices import TrainingTopic
from ..models import TrainingRecord
from .common import create_once


def training_validity_months() -> int:
    return getattr(
        settings, "HARBORMASTER_TRAINING_VALIDITY_MONTHS", domain.TRAINING_VALIDITY_MONTHS
    )


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
    record, created = create_once(
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

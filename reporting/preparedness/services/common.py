"""What the preparedness services share: the quarter check, the idempotent insert and the
reminder clock of an open duty."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction

from incidents.kernel.errors import DomainError
from incidents.kernel.history import history_save

from .. import domain


def pk_of(obj) -> int:
    return obj if isinstance(obj, int) else obj.pk


def valid_quarter(quarter: str) -> str:
    try:
        domain.parse_quarter(quarter)
    except ValueError as error:
        raise DomainError(str(error), field="quarter") from None
    return quarter


def create_once(instance, *, user, reason: str, lookup: dict):
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


def duty_clock_reset(row, *, due_on: date, stop_on: date | None) -> None:
    """Restart the reminders of an open duty for its (new) due day."""
    row.reminders_sent = 0
    row.next_reminder_at = domain.next_reminder_at(
        domain.duty_reminder_plan(due_on=due_on, stop_on=stop_on), sent=0
    )

"""Reads of the breach records."""

from __future__ import annotations

from datetime import datetime

from incidents.kernel.due_rows import due_row_ids

from .choices import ObligationStatus
from .models import NotificationObligation, Regime


def obligations_due(now: datetime, limit: int) -> list[int]:
    """Pending obligations whose reminder clock is due, oldest first."""
    return due_row_ids(
        NotificationObligation.objects.filter(status=ObligationStatus.PENDING),
        due_field="next_reminder_at",
        now=now,
        limit=limit,
    )


def regimes_for_codes(codes) -> list[Regime]:
    return list(Regime.objects.filter(code__in=list(codes)))

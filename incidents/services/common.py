"""What every incident service shares: the clock, the row lock, the timeline entry, choice
validation."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from ..kernel.errors import DomainError
from ..kernel.history import history_save
from ..models import Incident, TimelineEntry


def now_or_current(now: datetime | None) -> datetime:
    return now if now is not None else timezone.now()


def lock_incident(incident: Incident | int) -> Incident:
    pk = incident.pk if isinstance(incident, Incident) else incident
    return Incident.objects.select_for_update().get(pk=pk)


def timeline_write(
    incident: Incident, *, kind: str, text: str, user, at: datetime
) -> TimelineEntry:
    entry = TimelineEntry(incident=incident, kind=kind, text=text, author=user, at=at)
    history_save(entry, user=user, reason=f"Timeline: {kind}")
    return entry


def validate_choice(value: str, choices, field: str, label: str) -> None:
    if value not in choices.values:
        raise DomainError(f"Unknown {label} {value!r}.", field=field)

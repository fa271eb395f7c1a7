"""Parsing of ISO 8601 moments given by callers (API query strings, command options)."""

from datetime import UTC, datetime

from django.utils.dateparse import parse_date, parse_datetime


def parse_utc_moment(raw: str) -> datetime:
    """An ISO 8601 datetime, or a date meaning its midnight, as an aware UTC datetime.

    Naive values are UTC. The result is converted to UTC here because PostgreSQL refuses
    offsets beyond ±15:59 that Python accepts, and a caller's odd offset must be a clear
    input error, not a database error. Raises ValueError with a message for people.
    """
    try:
        moment = parse_datetime(raw)
        if moment is None:
            day = parse_date(raw)
            moment = datetime(day.year, day.month, day.day) if day else None
    except (ValueError, TypeError):
        moment = None
    if moment is None:
        raise ValueError("Expected an ISO 8601 date or datetime, e.g. 2026-11-27T13:45:02Z.")
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError("Date and time out of range.") from None

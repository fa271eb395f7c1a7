"""Shared parsing for the audit commands."""

from datetime import UTC, datetime

from django.core.management.base import CommandError
from django.utils.dateparse import parse_date, parse_datetime


def parse_moment(value: str | None) -> datetime | None:
    """ISO 8601 date or datetime; naive values are UTC."""
    if not value:
        return None
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(f"Not an ISO 8601 date or datetime: {value!r}")
        moment = datetime(day.year, day.month, day.day)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment

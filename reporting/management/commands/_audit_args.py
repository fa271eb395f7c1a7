"""Shared parsing for the audit commands."""

from datetime import datetime

from django.core.management.base import CommandError

from incidents.moments import parse_utc_moment


def parse_moment(value: str | None) -> datetime | None:
    """ISO 8601 date or datetime; naive values are UTC."""
    if not value:
        return None
    try:
        return parse_utc_moment(value)
    except ValueError as error:
        raise CommandError(f"{value!r}: {error}") from None

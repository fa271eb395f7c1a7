"""Pure KPI rules: period keys and labels, the reporting window, rounding and the
percentile definition. No ORM, no clock of its own: `now` is passed in.

The SQL in `selectors.py` computes the numbers; the functions here define what they mean
(`percentile_cont` is the reference the SQL formulations are tested against)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

GROUP_BYS = ("severity", "category", "type", "service", "month")
PERIODS = ("week", "month", "quarter")
# What frequency can be split by ("month" is a period there, not a group).
FREQUENCY_BYS = ("severity", "category", "type", "service")
METRICS = ("mttd", "mtta", "mttr", "time_to_contain")
PERCENTILES = (0.5, 0.9)
SLA_OUTCOMES = ("met", "breached", "pending", "not_applicable")

DEFAULT_WINDOW = timedelta(days=90)
MAX_WINDOW = timedelta(days=5 * 366)

# Seconds are reported to the millisecond and rates to 4 decimals: both backends compute in
# double precision, and rounding here makes PostgreSQL and SQLite answers identical.
SECONDS_DECIMALS = 3
HOURS_DECIMALS = 3
RATE_DECIMALS = 4

NO_SERVICE_LABEL = "(no service)"


def percentile_cont(values: Sequence[float], fraction: float) -> float | None:
    """Linear interpolation between the two nearest ranks, as PostgreSQL's
    `percentile_cont` (and numpy's default 'linear'): with the n values sorted and counted
    from 0, position h = fraction × (n − 1); the result is
    x[floor(h)] + (h − floor(h)) × (x[floor(h) + 1] − x[floor(h)]). None for no values."""
    if not 0 <= fraction <= 1:
        raise ValueError("fraction must be between 0 and 1")
    ordered = sorted(v for v in values if v is not None)
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    weight = position - low
    if low + 1 >= len(ordered) or weight == 0:
        return float(ordered[low])
    return ordered[low] + weight * (ordered[low + 1] - ordered[low])


def round_seconds(value: float | None) -> float | None:
    return None if value is None else round(float(value), SECONDS_DECIMALS)


def round_hours(value: float | None) -> float:
    return round(float(value or 0), HOURS_DECIMALS)


def rate(part: int, whole: int) -> float | None:
    """part / whole in 0..1, rounded; None when there is nothing to divide by."""
    if not whole:
        return None
    return round(part / whole, RATE_DECIMALS)


# --- periods -------------------------------------------------------------------------------
def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("expected an aware datetime")
    return moment.astimezone(UTC)


def period_key(moment: datetime, period: str) -> str:
    """The period a moment falls in, in UTC: "2026-03", "2026-W09" (ISO week) or "2026-Q1"."""
    moment = _utc(moment)
    if period == "month":
        return f"{moment.year:04d}-{moment.month:02d}"
    if period == "quarter":
        return f"{moment.year:04d}-Q{(moment.month - 1) // 3 + 1}"
    if period == "week":
        iso_year, iso_week, _ = moment.isocalendar()
        return f"{iso_year:04d}-W{iso_week:02d}"
    raise ValueError(f"unknown period {period!r}; expected one of {', '.join(PERIODS)}")


def _period_start(moment: datetime, period: str) -> datetime:
    day = _utc(moment).date()
    if period == "month":
        day = day.replace(day=1)
    elif period == "quarter":
        day = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    elif period == "week":
        day = day - timedelta(days=day.weekday())
    else:
        raise ValueError(f"unknown period {period!r}; expected one of {', '.join(PERIODS)}")
    return datetime.combine(day, time.min, tzinfo=UTC)


def _next_period_start(start: datetime, period: str) -> datetime:
    if period == "week":
        return start + timedelta(days=7)
    months = 1 if period == "month" else 3
    month_index = start.year * 12 + start.month - 1 + months
    return start.replace(year=month_index // 12, month=month_index % 12 + 1)


def periods_between(start: datetime, end: datetime, period: str) -> list[str]:
    """Every period key touching [start, end), in order: for charts that need the empty
    periods too (the selectors only return periods that have incidents)."""
    keys = []
    cursor = _period_start(start, period)
    while cursor < _utc(end):
        keys.append(period_key(cursor, period))
        try:
            cursor = _next_period_start(cursor, period)
        except (ValueError, OverflowError):  # the last period of year 9999
            break
    return keys


MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def period_label(key: str) -> str:
    """Human label for a period key: "Mar 2026", "Week 9, 2026", "Q1 2026"."""
    year, _, rest = key.partition("-")
    if rest.startswith("W"):
        return f"Week {int(rest[1:])}, {year}"
    if rest.startswith("Q"):
        return f"{rest} {year}"
    return f"{MONTH_NAMES[int(rest) - 1]} {year}"


# --- the reporting window ------------------------------------------------------------------
@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


class WindowError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def _as_start(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.combine(value, time.min, tzinfo=UTC)


def kpi_window(
    *, start: date | datetime | None, end: date | datetime | None, now: datetime
) -> Window:
    """[start, end) for a report. A date means midnight UTC at its start; `to` given as a
    date is inclusive (the whole day is in). Default: the 90 days up to now. At most five
    years, and start before end."""
    try:
        end_at = now if end is None else _as_start(end)
        if end is not None and not isinstance(end, datetime):
            end_at += timedelta(days=1)
        start_at = end_at - DEFAULT_WINDOW if start is None else _as_start(start)
    except OverflowError:
        # e.g. to=9999-12-31: the day after it cannot be represented.
        raise WindowError("to" if end is not None else "from", "Date out of range.") from None
    if start_at >= end_at:
        raise WindowError("from", "from must be before to.")
    if end_at - start_at > MAX_WINDOW:
        raise WindowError("to", "The range may span at most 5 years.")
    return Window(start=start_at, end=end_at)

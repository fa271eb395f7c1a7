"""Pure rules of the reporting app: deadline arithmetic, stage applicability, reminder
clocks. No ORM and no clock of their own (`now` is passed in)."""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import holidays

from .choices import Applicability, HolidayCalendar, Unit

ClosedDay = Callable[[date], bool]


class DeadlineError(ValueError):
    pass


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise DeadlineError("Deadlines are computed from aware datetimes only.")
    return moment.astimezone(UTC)


@cache
def _us_federal_holidays() -> holidays.HolidayBase:
    # Observed dates (a Saturday holiday is kept on the Friday before); years load lazily.
    return holidays.country_holidays("US", observed=True)


def closed_day_rule(holiday_calendar: str) -> ClosedDay:
    """The holidays a business-day clock skips, besides weekends."""
    if holiday_calendar == HolidayCalendar.NONE:
        return lambda day: False
    if holiday_calendar == HolidayCalendar.US_FEDERAL:
        return lambda day: day in _us_federal_holidays()
    raise DeadlineError(f"Unknown holiday calendar {holiday_calendar!r}.")


def add_business_days(start: datetime, days: int, closed: ClosedDay | None = None) -> datetime:
    """`days` business days after `start` (same UTC time of day): Monday to Friday, less
    the days `closed` says are holidays. Day 1 is the first business day after start;
    starting on a weekend or holiday counts from the next business day."""
    return start + (nth_business_day(start.date(), days, closed) - start.date())


def nth_business_day(start: date, days: int, closed: ClosedDay | None = None) -> date:
    """The `days`-th day after `start` that is Monday to Friday and not `closed`."""
    day = start
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if day.weekday() < 5 and not (closed and closed(day)):
            remaining -= 1
    return day


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def business_day_zone(name: str) -> ZoneInfo:
    # Checked against the zone list first: ZoneInfo("Europe") is a directory (OSError).
    if name not in _zone_names():
        raise DeadlineError(f"Unknown time zone {name!r}.")
    return ZoneInfo(name)


END_OF_DAY = time(23, 59, 59)


def add_local_business_days(
    start: datetime,
    days: int,
    zone: str,
    closed: ClosedDay | None = None,
    day_ends: time | None = None,
) -> datetime:
    """The end of the `days`-th business day after `start`, counted on the calendar of
    `zone` (SEC: Eastern time), as a UTC instant: a determination at 22:00 on a Friday in
    New York is still Friday there, though Saturday in UTC. Day 1 is the first business day
    after the local date of `start`; the deadline is `day_ends` local time on the last day
    (SEC: 17:30, EDGAR's cut-off for a filing to carry that day's date), by default its last
    second."""
    local_zone = business_day_zone(zone)
    day = nth_business_day(start.astimezone(local_zone).date(), days, closed)
    # DST changes happen in the small hours; fold=0 picks the first of a repeated time.
    ends = day_ends or END_OF_DAY
    return datetime.combine(day, ends, tzinfo=local_zone).astimezone(UTC)


def add_months(start: datetime, months: int) -> datetime:
    """Same day `months` later, clamped to the month's last day (31 Jan + 1 → 28/29 Feb)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)


def due_at(
    anchor: datetime,
    amount: int | None,
    unit: str,
    *,
    holiday_calendar: str = "",
    business_day_zone: str = "",
    business_day_ends: time | None = None,
) -> datetime | None:
    """The deadline `amount` `unit`s after `anchor`, in UTC. Computed on the UTC instant,
    so a DST change in the anchor's zone never shifts it; None when there is no clock.
    Business days with a `business_day_zone` are that zone's days, the deadline being
    `business_day_ends` (default 23:59:59) there on the last one."""
    if amount is None:
        return None
    if amount < 0:
        raise DeadlineError("A deadline amount cannot be negative.")
    start = _utc(anchor)
    if unit == Unit.HOURS:
        return start + timedelta(hours=amount)
    if unit == Unit.CALENDAR_DAYS:
        return start + timedelta(days=amount)
    if unit == Unit.BUSINESS_DAYS:
        closed = closed_day_rule(holiday_calendar)
        if business_day_zone:
            return add_local_business_days(
                start, amount, business_day_zone, closed, business_day_ends
            )
        return add_business_days(start, amount, closed)
    if unit == Unit.CALENDAR_MONTHS:
        return add_months(start, amount)
    raise DeadlineError(f"Unknown deadline unit {unit!r}.")


@dataclass(frozen=True)
class StageClock:
    """A stage's clock: `amount` `unit`s after its anchor, and, where the rule sets one,
    no later than `cap_amount` `cap_unit`s after a second anchor (DORA's initial report:
    4 h after classification but never more than 24 h after awareness)."""

    amount: int | None
    unit: str
    holiday_calendar: str = ""
    business_day_zone: str = ""
    business_day_ends: time | None = None
    cap_amount: int | None = None
    cap_unit: str = Unit.HOURS


def stage_due_at(
    clock: StageClock, anchor: datetime | None, cap_anchor: datetime | None = None
) -> datetime | None:
    """The earlier of the two deadlines. Nothing is due before the stage's own anchor is
    known (its clock has not started); the outer bound only ever brings it forward."""
    if anchor is None:
        return None
    calendar_of: dict[str, Any] = {
        "holiday_calendar": clock.holiday_calendar,
        "business_day_zone": clock.business_day_zone,
        "business_day_ends": clock.business_day_ends,
    }
    due = due_at(anchor, clock.amount, clock.unit, **calendar_of)
    if due is None or cap_anchor is None or clock.cap_amount is None:
        return due
    cap = due_at(cap_anchor, clock.cap_amount, clock.cap_unit, **calendar_of)
    return due if cap is None else min(due, cap)


def end_of_year(moment: datetime) -> datetime:
    """The first instant after the calendar year of `moment` (UTC)."""
    return datetime(_utc(moment).year + 1, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class BreachFacts:
    high_risk: bool | None
    data_subjects: int | None
    residents_by_state: Mapping[str, int]


def stage_applies(
    applicability: str, threshold: int | None, facts: BreachFacts, *, state: str = ""
) -> tuple[bool | None, str]:
    """(applies, why). None means "not yet known" (the fact is still missing)."""
    if applicability == Applicability.ALWAYS:
        return True, "Applies to every breach under this regime."
    if applicability == Applicability.HIGH_RISK:
        if facts.high_risk is None:
            return None, "High risk to individuals not yet decided."
        if facts.high_risk:
            return True, "High risk to individuals was decided."
        return False, "Decided: no high risk to individuals."
    limit = threshold or 0
    if applicability in (Applicability.SUBJECTS_AT_LEAST, Applicability.SUBJECTS_BELOW):
        if facts.data_subjects is None:
            return None, "Number of data subjects not yet known."
        at_least = facts.data_subjects >= limit
        wanted = applicability == Applicability.SUBJECTS_AT_LEAST
        sign = "≥" if at_least else "<"
        return at_least == wanted, f"{facts.data_subjects} data subjects {sign} {limit}."
    if applicability == Applicability.STATE_RESIDENTS_AT_LEAST:
        count = facts.residents_by_state.get(state)
        if count is None:
            return None, f"Residents of {state or 'the state'} not yet known."
        sign = "≥" if count >= limit else "<"
        return count >= limit, f"{count} residents of {state} {sign} {limit}."
    if applicability == Applicability.ANY_STATE_RESIDENTS_ABOVE:
        if not facts.residents_by_state:
            return None, "Residents per state not yet known."
        state_max, count = max(facts.residents_by_state.items(), key=lambda item: item[1])
        sign = ">" if count > limit else "≤"
        return count > limit, f"Most residents of one state: {count} ({state_max}) {sign} {limit}."
    raise DeadlineError(f"Unknown applicability {applicability!r}.")


# --- validation of the free-form facts ----------------------------------------------------------
class FactError(ValueError):
    pass


def clean_residents_by_state(value) -> dict[str, int]:
    """{"CO": 812, "TX": 40}: state or region codes to non-negative whole numbers. Codes are
    upper-cased; true/false are not numbers."""
    if value in (None, ""):
        return {}
    if not isinstance(value, Mapping):
        raise FactError('Give an object of state code to number, e.g. {"CO": 812, "TX": 40}.')
    cleaned: dict[str, int] = {}
    for key, count in value.items():
        code = str(key).strip().upper()
        if not code or len(code) > 10 or not code.replace("-", "").isalnum():
            raise FactError(f"{key!r} is not a state or region code (e.g. CO, TX, US-CA).")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise FactError(f"Residents of {code} must be a whole number ≥ 0, not {count!r}.")
        if code in cleaned:
            raise FactError(f"{code} is given twice.")
        cleaned[code] = count
    return cleaned


def clean_jurisdictions(value) -> list[str]:
    """["EU", "US-CO"]: a list of non-empty names."""
    if value in (None, ""):
        return []
    if not isinstance(value, list) or not all(
        isinstance(item, str) and item.strip() for item in value
    ):
        raise FactError('Give a list of jurisdiction names, e.g. ["EU", "US-CO"].')
    return [item.strip() for item in value]


def clean_required_contents(value) -> list[dict[str, str]]:
    """[{"key": "nature", "label": "Nature of the breach"}, ...]: unique identifier keys."""
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise FactError('Give a list of {"key": ..., "label": ...} objects.')
    seen = set()
    for item in value:
        if not isinstance(item, Mapping) or set(item) - {"key", "label"}:
            raise FactError('Each required content is {"key": ..., "label": ...}.')
        key, label = item.get("key"), item.get("label", "")
        if not isinstance(key, str) or not key.isidentifier():
            raise FactError(f"{key!r} is not a key (letters, digits and _).")
        if not isinstance(label, str):
            raise FactError(f"The label of {key} must be text.")
        if key in seen:
            raise FactError(f"{key} is listed twice.")
        seen.add(key)
    return [dict(item) for item in value]


# --- reminders ------------------------------------------------------------------------------
def next_reminder_at(
    *,
    due: datetime | None,
    leads_minutes: Iterable[int],
    sent: Iterable[int],
    alarmed: bool,
) -> datetime | None:
    """When the sweep must next look at a pending obligation: the earliest unsent
    reminder, else the deadline itself (overdue alarm), else never."""
    if due is None:
        return None
    sent = set(sent)
    pending = [due - timedelta(minutes=lead) for lead in leads_minutes if lead not in sent]
    if pending:
        return min(pending)
    return None if alarmed else due


@dataclass(frozen=True)
class ReminderDecision:
    remind_lead: int | None  # the lead time to remind for now (the most urgent crossed)
    mark_sent: tuple[int, ...]  # every lead crossed (reminded once, never again)
    overdue: bool


def reminders_due(
    *,
    due: datetime,
    leads_minutes: Iterable[int],
    sent: Iterable[int],
    alarmed: bool,
    now: datetime,
) -> ReminderDecision:
    """What to send at `now`. Several leads crossed at once (the sweep was down, or the
    obligation was created late) give one reminder, for the most urgent of them."""
    sent = set(sent)
    if now >= due:
        crossed = tuple(sorted(lead for lead in leads_minutes if lead not in sent))
        return ReminderDecision(None, crossed, not alarmed)
    crossed = tuple(
        sorted(
            lead
            for lead in leads_minutes
            if lead not in sent and due - timedelta(minutes=lead) <= now
        )
    )
    return ReminderDecision(crossed[0] if crossed else None, crossed, False)


def format_lead(minutes: int) -> str:
    if minutes % 1440 == 0:
        return f"{minutes // 1440} d"
    if minutes % 60 == 0:
        return f"{minutes // 60} h"
    return f"{minutes} min"

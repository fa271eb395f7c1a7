"""Deadline arithmetic (reporting.breach.domain.due_at): properties across DST changes, weekends,
month ends and leap days, plus the worked examples compliance staff would check by hand."""

import calendar
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reporting.breach.choices import Applicability, HolidayCalendar, Unit
from reporting.breach.domain import (
    BreachFacts,
    DeadlineError,
    StageClock,
    due_at,
    end_of_year,
    next_reminder_at,
    reminders_due,
    stage_applies,
    stage_due_at,
)

ZONES = [ZoneInfo(name) for name in ("Europe/Berlin", "America/New_York", "Australia/Sydney")]
BERLIN = ZoneInfo("Europe/Berlin")

# Instants around DST changes, month ends and leap days are over-represented.
interesting_dates = st.sampled_from(
    [
        datetime(2024, 2, 29, 23, 30, tzinfo=UTC),
        datetime(2024, 1, 31, 12, tzinfo=UTC),
        datetime(2026, 3, 29, 0, 30, tzinfo=UTC),  # EU spring forward at 01:00 UTC
        datetime(2026, 10, 25, 0, 59, tzinfo=UTC),  # EU fall back at 01:00 UTC
        datetime(2026, 3, 8, 6, 59, tzinfo=UTC),  # US spring forward
        datetime(2026, 11, 1, 5, 30, tzinfo=UTC),  # US fall back
        datetime(2026, 11, 27, 23, 59, 59, tzinfo=UTC),  # a Friday night
        datetime(2026, 11, 28, 10, tzinfo=UTC),  # a Saturday
        datetime(2028, 2, 29, 8, tzinfo=UTC),
        datetime(2026, 12, 31, 23, 0, tzinfo=UTC),
    ]
)
any_dates = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2090, 12, 31), timezones=st.just(UTC)
)
anchors = st.one_of(interesting_dates, any_dates)
zones = st.sampled_from([UTC, *ZONES])


@given(anchor=anchors, zone=zones, hours=st.integers(0, 24 * 400))
def test_hours_are_exact_elapsed_time_whatever_the_zone(anchor, zone, hours):
    result = due_at(anchor.astimezone(zone), hours, Unit.HOURS)
    assert result.tzinfo == UTC
    assert (result - anchor).total_seconds() == hours * 3600


@given(anchor=anchors, zone=zones, days=st.integers(0, 800))
def test_calendar_days_keep_the_utc_time_of_day(anchor, zone, days):
    result = due_at(anchor.astimezone(zone), days, Unit.CALENDAR_DAYS)
    assert (result.date() - anchor.date()).days == days
    assert result.timetz() == anchor.timetz()
    assert result - anchor == timedelta(days=days)


def _weekdays_between(start: date, end: date) -> int:
    """Weekdays in (start, end]."""
    return sum(
        1 for n in range(1, (end - start).days + 1) if (start + timedelta(days=n)).weekday() < 5
    )


@given(anchor=anchors, zone=zones, days=st.integers(1, 300))
def test_business_days_skip_weekends(anchor, zone, days):
    result = due_at(anchor.astimezone(zone), days, Unit.BUSINESS_DAYS)
    assert result.weekday() < 5
    assert result.time() == anchor.time()
    assert _weekdays_between(anchor.date(), result.date()) == days
    # Never more than the calendar days a full week pattern allows.
    assert (result - anchor).days <= days + 2 * (days // 5 + 1) + 2


@given(anchor=anchors, days=st.integers(1, 100))
def test_business_days_are_monotonic(anchor, days):
    assert due_at(anchor, days + 1, Unit.BUSINESS_DAYS) > due_at(anchor, days, Unit.BUSINESS_DAYS)


# US federal holidays (observed dates), written out by hand from the OPM calendar.
US_FEDERAL_2026 = {
    date(2026, 1, 1), date(2026, 1, 19), date(2026, 2, 16), date(2026, 5, 25),
    date(2026, 6, 19), date(2026, 7, 3), date(2026, 9, 7), date(2026, 10, 12),
    date(2026, 11, 11), date(2026, 11, 26), date(2026, 12, 25),
}  # fmt: skip
in_2026 = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 15), timezones=st.just(UTC)
)


@given(anchor=in_2026, days=st.integers(1, 10))
def test_sec_business_days_skip_weekends_and_us_federal_holidays(anchor, days):
    result = due_at(anchor, days, Unit.BUSINESS_DAYS, holiday_calendar=HolidayCalendar.US_FEDERAL)
    assert result.weekday() < 5 and result.date() not in US_FEDERAL_2026
    assert result.time() == anchor.time()
    span = [anchor.date() + timedelta(days=n) for n in range(1, (result - anchor).days + 1)]
    assert sum(1 for d in span if d.weekday() < 5 and d not in US_FEDERAL_2026) == days
    plain = due_at(anchor, days, Unit.BUSINESS_DAYS)
    assert result >= plain


@pytest.mark.parametrize(
    ("determined", "due"),
    [
        # Tuesday before Thanksgiving: Wed, (Thu holiday), Fri, Mon, Tue.
        (datetime(2026, 11, 24, 15, tzinfo=UTC), datetime(2026, 12, 1, 15, tzinfo=UTC)),
        # Thursday 2 July: Fri 3 July is Independence Day observed: Mon, Tue, Wed, Thu.
        (datetime(2026, 7, 2, 9, tzinfo=UTC), datetime(2026, 7, 9, 9, tzinfo=UTC)),
        # Determined on the holiday itself counts from the next business day.
        (datetime(2026, 12, 25, 9, tzinfo=UTC), datetime(2026, 12, 31, 9, tzinfo=UTC)),
    ],
)
def test_sec_8k_worked_examples(determined, due):
    got = due_at(determined, 4, Unit.BUSINESS_DAYS, holiday_calendar=HolidayCalendar.US_FEDERAL)
    assert got == due


NEW_YORK = ZoneInfo("America/New_York")
around_us_dst = st.datetimes(
    min_value=datetime(2026, 2, 20), max_value=datetime(2026, 11, 20), timezones=st.just(UTC)
)


@given(anchor=around_us_dst, days=st.integers(1, 10))
def test_business_days_in_a_zone_count_that_zones_days_and_end_at_its_day_end(anchor, days):
    result = due_at(
        anchor,
        days,
        Unit.BUSINESS_DAYS,
        holiday_calendar=HolidayCalendar.US_FEDERAL,
        business_day_zone="America/New_York",
    )
    assert result.tzinfo == UTC
    local_end = result.astimezone(NEW_YORK)
    # The last second of a New York business day, on either side of a DST change.
    assert local_end.time() == datetime(2026, 1, 1, 23, 59, 59).time()
    assert local_end.weekday() < 5 and local_end.date() not in US_FEDERAL_2026
    start_day = anchor.astimezone(NEW_YORK).date()
    span = [
        start_day + timedelta(days=n) for n in range(1, (local_end.date() - start_day).days + 1)
    ]
    assert sum(1 for d in span if d.weekday() < 5 and d not in US_FEDERAL_2026) == days


def test_business_days_across_the_spring_dst_change_in_new_york():
    # Thu 5 March 20:00 EST; DST starts Sunday 8 March: Fri 6, Mon 9, Tue 10, Wed 11 (EDT).
    determined = datetime(2026, 3, 5, 20, tzinfo=NEW_YORK)
    due = due_at(determined, 4, Unit.BUSINESS_DAYS, business_day_zone="America/New_York")
    assert due == datetime(2026, 3, 12, 3, 59, 59, tzinfo=UTC)


def test_a_local_end_of_day_moves_the_deadline_to_that_time_on_the_last_day():
    # Friday 22:00 EST: Mon 23, Tue 24, Wed 25, (Thanksgiving) Fri 27; EDGAR's 17:30 cut-off.
    determined = datetime(2026, 11, 20, 22, tzinfo=NEW_YORK)
    due = due_at(
        determined,
        4,
        Unit.BUSINESS_DAYS,
        holiday_calendar=HolidayCalendar.US_FEDERAL,
        business_day_zone="America/New_York",
        business_day_ends=datetime(2026, 1, 1, 17, 30).time(),
    )
    assert due == datetime(2026, 11, 27, 22, 30, tzinfo=UTC)  # 17:30 EST


def test_an_unknown_business_day_zone_is_an_error():
    with pytest.raises(DeadlineError, match="time zone"):
        due_at(datetime(2026, 1, 5, tzinfo=UTC), 1, Unit.BUSINESS_DAYS, business_day_zone="Mars/X")


def test_an_unknown_holiday_calendar_is_an_error():
    with pytest.raises(DeadlineError):
        due_at(datetime(2026, 1, 5, tzinfo=UTC), 1, Unit.BUSINESS_DAYS, holiday_calendar="mars")


DORA_INITIAL = StageClock(amount=4, unit=Unit.HOURS, cap_amount=24, cap_unit=Unit.HOURS)


@given(
    aware=anchors,
    classified_after=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=5)),
)
def test_dora_initial_is_the_earlier_of_4h_after_classification_and_24h_after_awareness(
    aware, classified_after
):
    classified = aware + classified_after
    due = stage_due_at(DORA_INITIAL, classified, aware)
    assert due == min(classified + timedelta(hours=4), aware + timedelta(hours=24))
    assert due <= aware + timedelta(hours=24)
    assert due <= classified + timedelta(hours=4)


def test_the_outer_bound_never_starts_a_clock_on_its_own():
    aware = datetime(2026, 3, 1, 8, tzinfo=UTC)
    # Not yet classified as major: the stage's own clock has not started.
    assert stage_due_at(DORA_INITIAL, None, aware) is None
    # Awareness unknown: only the stage's own clock counts.
    classified = datetime(2026, 3, 1, 9, tzinfo=UTC)
    assert stage_due_at(DORA_INITIAL, classified, None) == classified + timedelta(hours=4)
    # Classified 22 h after awareness: the 24 h bound wins (2 h left, not 4).
    late = aware + timedelta(hours=22)
    assert stage_due_at(DORA_INITIAL, late, aware) == aware + timedelta(hours=24)


@given(anchor=anchors, zone=zones, months=st.integers(0, 60))
def test_months_clamp_to_the_month_end(anchor, zone, months):
    result = due_at(anchor.astimezone(zone), months, Unit.CALENDAR_MONTHS)
    index = anchor.year * 12 + anchor.month - 1 + months
    assert (result.year, result.month) == (index // 12, index % 12 + 1)
    last_day = calendar.monthrange(result.year, result.month)[1]
    assert result.day == min(anchor.day, last_day)
    assert result.time() == anchor.time()
    assert result >= anchor


@given(anchor=anchors, zone=zones, amount=st.integers(0, 50), unit=st.sampled_from(Unit.values))
def test_the_anchors_zone_never_changes_the_deadline(anchor, zone, amount, unit):
    assert due_at(anchor.astimezone(zone), amount, unit) == due_at(anchor, amount, unit)


@pytest.mark.parametrize(
    ("anchor", "amount", "unit", "expected"),
    [
        # GDPR 72 h across the EU spring-forward night: 72 real hours, not 71.
        (
            datetime(2026, 3, 28, 22, 0, tzinfo=BERLIN),
            72,
            Unit.HOURS,
            datetime(2026, 3, 31, 21, 0, tzinfo=UTC),
        ),
        # SEC 4 business days from a Thursday: Fri, Mon, Tue, Wed.
        (
            datetime(2026, 11, 26, 15, 0, tzinfo=UTC),
            4,
            Unit.BUSINESS_DAYS,
            datetime(2026, 12, 2, 15, 0, tzinfo=UTC),
        ),
        # From a Saturday: Mon, Tue, Wed, Thu.
        (
            datetime(2026, 11, 28, 9, 0, tzinfo=UTC),
            4,
            Unit.BUSINESS_DAYS,
            datetime(2026, 12, 3, 9, 0, tzinfo=UTC),
        ),
        # NIS2/DORA 1 month from 31 January: end of February (leap and common years).
        (
            datetime(2024, 1, 31, 10, tzinfo=UTC),
            1,
            Unit.CALENDAR_MONTHS,
            datetime(2024, 2, 29, 10, tzinfo=UTC),
        ),
        (
            datetime(2026, 1, 31, 10, tzinfo=UTC),
            1,
            Unit.CALENDAR_MONTHS,
            datetime(2026, 2, 28, 10, tzinfo=UTC),
        ),
        # Leap day + 12 months.
        (
            datetime(2024, 2, 29, 10, tzinfo=UTC),
            12,
            Unit.CALENDAR_MONTHS,
            datetime(2025, 2, 28, 10, tzinfo=UTC),
        ),
        # HIPAA 60 calendar days over a leap day.
        (
            datetime(2024, 1, 15, 10, tzinfo=UTC),
            60,
            Unit.CALENDAR_DAYS,
            datetime(2024, 3, 15, 10, tzinfo=UTC),
        ),
        # Local midnight in New York is 04:00/05:00 UTC; the clock runs in UTC.
        (
            datetime(2026, 11, 1, 0, 30, tzinfo=ZoneInfo("America/New_York")),
            24,
            Unit.HOURS,
            datetime(2026, 11, 2, 4, 30, tzinfo=UTC),
        ),
    ],
)
def test_worked_examples(anchor, amount, unit, expected):
    assert due_at(anchor, amount, unit) == expected


def test_no_amount_means_no_clock_and_bad_input_is_refused():
    assert due_at(datetime(2026, 1, 1, tzinfo=UTC), None, Unit.HOURS) is None
    with pytest.raises(DeadlineError):
        due_at(datetime(2026, 1, 1), 1, Unit.HOURS)  # naive
    with pytest.raises(DeadlineError):
        due_at(datetime(2026, 1, 1, tzinfo=UTC), 1, "fortnights")
    with pytest.raises(DeadlineError):
        due_at(datetime(2026, 1, 1, tzinfo=UTC), -1, Unit.HOURS)


def test_end_of_year_is_the_first_instant_of_the_next():
    assert end_of_year(datetime(2026, 12, 31, 23, 59, tzinfo=UTC)) == datetime(
        2027, 1, 1, tzinfo=UTC
    )
    # 00:30 on 1 January in Sydney is still 31 December in UTC.
    assert end_of_year(datetime(2027, 1, 1, 0, 30, tzinfo=ZoneInfo("Australia/Sydney"))) == (
        datetime(2027, 1, 1, tzinfo=UTC)
    )


@pytest.mark.parametrize(
    ("applicability", "threshold", "facts", "state", "expected"),
    [
        (Applicability.ALWAYS, None, BreachFacts(None, None, {}), "", True),
        (Applicability.HIGH_RISK, None, BreachFacts(None, None, {}), "", None),
        (Applicability.HIGH_RISK, None, BreachFacts(True, None, {}), "", True),
        (Applicability.HIGH_RISK, None, BreachFacts(False, None, {}), "", False),
        (Applicability.SUBJECTS_AT_LEAST, 500, BreachFacts(None, 500, {}), "", True),
        (Applicability.SUBJECTS_AT_LEAST, 500, BreachFacts(None, 499, {}), "", False),
        (Applicability.SUBJECTS_BELOW, 500, BreachFacts(None, 499, {}), "", True),
        (
            Applicability.STATE_RESIDENTS_AT_LEAST,
            250,
            BreachFacts(None, 9, {"TX": 250}),
            "TX",
            True,
        ),
        (
            Applicability.STATE_RESIDENTS_AT_LEAST,
            500,
            BreachFacts(None, 9, {"CO": 499}),
            "CO",
            False,
        ),
        (
            Applicability.STATE_RESIDENTS_AT_LEAST,
            500,
            BreachFacts(None, 9, {"TX": 900}),
            "CO",
            None,
        ),
        (
            Applicability.ANY_STATE_RESIDENTS_ABOVE,
            500,
            BreachFacts(None, 9, {"TX": 10, "CA": 501}),
            "",
            True,
        ),
        (
            Applicability.ANY_STATE_RESIDENTS_ABOVE,
            500,
            BreachFacts(None, 9, {"CA": 500}),
            "",
            False,
        ),
    ],
)
def test_thresholds(applicability, threshold, facts, state, expected):
    applies, why = stage_applies(applicability, threshold, facts, state=state)
    assert applies is expected
    assert why


DUE = datetime(2026, 6, 10, 12, tzinfo=UTC)
LEADS = [60, 240, 1440]


def test_reminder_clock_walks_24h_4h_1h_then_the_deadline():
    sent: list[int] = []
    expected = [DUE - timedelta(hours=24), DUE - timedelta(hours=4), DUE - timedelta(hours=1)]
    for at, lead in zip(expected, [1440, 240, 60], strict=True):
        assert next_reminder_at(due=DUE, leads_minutes=LEADS, sent=sent, alarmed=False) == at
        decision = reminders_due(due=DUE, leads_minutes=LEADS, sent=sent, alarmed=False, now=at)
        assert decision.remind_lead == lead and not decision.overdue
        sent += decision.mark_sent
    assert next_reminder_at(due=DUE, leads_minutes=LEADS, sent=sent, alarmed=False) == DUE
    decision = reminders_due(due=DUE, leads_minutes=LEADS, sent=sent, alarmed=False, now=DUE)
    assert decision.overdue
    assert next_reminder_at(due=DUE, leads_minutes=LEADS, sent=sent, alarmed=True) is None


def test_a_late_sweep_sends_one_reminder_for_the_most_urgent_lead():
    now = DUE - timedelta(minutes=30)
    decision = reminders_due(due=DUE, leads_minutes=LEADS, sent=[], alarmed=False, now=now)
    assert decision.remind_lead == 60
    assert decision.mark_sent == (60, 240, 1440)

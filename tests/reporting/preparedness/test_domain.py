"""Pure preparedness rules: no database, no clock."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reporting.preparedness import domain
from reporting.preparedness.choices import DutyStatus, TrainingValidity

quarters = st.builds(domain.quarter_label, st.integers(1970, 2200), st.integers(1, 4))
aware = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2200, 12, 31), timezones=st.just(UTC)
)


# --- quarters --------------------------------------------------------------------------------
def test_quarter_bounds_of_the_contract_example():
    assert domain.quarter_bounds("2026-Q3") == (
        datetime(2026, 7, 1, tzinfo=UTC),
        datetime(2026, 10, 1, tzinfo=UTC),
    )
    assert domain.quarter_bounds("2026-Q4") == (
        datetime(2026, 10, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    )


@pytest.mark.parametrize("bad", ["", "2026Q1", "2026-Q5", "2026-Q0", "26-Q1", "2026-q1", None, 3])
def test_bad_quarter_labels_are_refused(bad):
    with pytest.raises(ValueError):
        domain.quarter_bounds(bad)


def test_quarter_of_uses_utc():
    # 23:30 on 31 March in New York is already 1 April (Q2) in UTC.
    from zoneinfo import ZoneInfo

    moment = datetime(2026, 3, 31, 23, 30, tzinfo=ZoneInfo("America/New_York"))
    assert domain.quarter_of(moment) == "2026-Q2"
    assert domain.quarter_of(date(2026, 3, 31)) == "2026-Q1"
    with pytest.raises(ValueError):
        domain.quarter_of(datetime(2026, 1, 1))  # naive


@given(aware)
def test_a_moment_lies_in_the_bounds_of_its_quarter(moment):
    start, end = domain.quarter_bounds(domain.quarter_of(moment))
    assert start <= moment < end


@given(quarters)
def test_quarters_tile_time(quarter):
    start, end = domain.quarter_bounds(quarter)
    following = domain.next_quarter(quarter)
    assert domain.quarter_bounds(following)[0] == end
    assert domain.previous_quarter(following) == quarter
    assert 90 <= (end - start).days <= 92
    assert domain.quarter_of(start) == quarter
    assert domain.quarter_of(end - timedelta(microseconds=1)) == quarter


@given(quarters)
def test_every_due_date_falls_inside_its_quarter(quarter):
    start, end = domain.quarter_bounds(quarter)
    for day in (domain.review_due_on(quarter), domain.verification_due_on(quarter)):
        assert start.date() <= day < end.date()
    drill_at = domain.drill_scheduled_for(quarter)
    assert start <= drill_at < end
    assert drill_at.weekday() == 1 and drill_at.hour == 14  # a Tuesday afternoon
    assert 8 <= drill_at.day <= 14  # the second one of the month


def test_calendar_of_2027_q1():
    assert domain.review_due_on("2027-Q1") == date(2027, 1, 31)
    assert domain.review_due_on("2027-Q2") == date(2027, 4, 30)
    assert domain.verification_due_on("2027-Q1") == date(2027, 1, 15)
    assert domain.drill_scheduled_for("2027-Q1") == datetime(2027, 2, 9, 14, tzinfo=UTC)


def test_drill_rotation_covers_every_category_within_two_years():
    from incidents.domain import category_for_type

    quarter, plans = "2027-Q1", []
    for _ in range(8):
        plans.append(domain.drill_plan_for(quarter))
        quarter = domain.next_quarter(quarter)
    assert len({p.title for p in plans}) == 8
    assert {category_for_type(p.incident_type) for p in plans} == {
        "security",
        "operational",
        "application",
    }


# --- status ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("due_on", "done", "expected"),
    [
        (date(2027, 1, 31), True, DutyStatus.DONE),
        (date(2027, 1, 19), False, DutyStatus.OVERDUE),
        (date(2027, 1, 20), False, DutyStatus.DUE),  # due today
        (date(2027, 1, 27), False, DutyStatus.DUE),  # a week ahead
        (date(2027, 1, 28), False, DutyStatus.SCHEDULED),
        (date(2027, 1, 1), True, DutyStatus.DONE),  # done late is done
    ],
)
def test_duty_status(due_on, done, expected):
    assert domain.duty_status(due_on=due_on, done=done, today=date(2027, 1, 20)) == expected


# --- training --------------------------------------------------------------------------------
def test_training_is_valid_twelve_calendar_months_by_default():
    assert domain.training_expires_on(date(2026, 3, 15)) == date(2027, 3, 15)
    assert domain.training_expires_on(date(2028, 2, 29)) == date(2029, 2, 28)
    assert domain.training_expires_on(date(2026, 8, 31), 6) == date(2027, 2, 28)
    with pytest.raises(ValueError):
        domain.training_expires_on(date(2026, 1, 1), 0)


@given(st.dates(date(1970, 1, 1), date(2200, 1, 1)), st.integers(1, 60))
def test_expiry_is_always_later_and_about_n_months_on(day, months):
    expires = domain.training_expires_on(day, months)
    assert expires > day
    assert (expires.year * 12 + expires.month) - (day.year * 12 + day.month) == months


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 3, 14), TrainingValidity.NOT_YET),
        (date(2026, 3, 15), TrainingValidity.CURRENT),
        (date(2027, 2, 12), TrainingValidity.CURRENT),
        (date(2027, 2, 13), TrainingValidity.EXPIRING),  # 30 days before expiry
        (date(2027, 3, 14), TrainingValidity.EXPIRING),
        (date(2027, 3, 15), TrainingValidity.EXPIRED),  # expires_on is exclusive
    ],
)
def test_training_validity(today, expected):
    assert (
        domain.training_validity(
            completed_on=date(2026, 3, 15), expires_on=date(2027, 3, 15), today=today
        )
        == expected
    )


# --- reminders -------------------------------------------------------------------------------
def test_duty_reminders_a_week_before_on_the_day_then_weekly_until_the_quarter_ends():
    plan = domain.duty_reminder_plan(due_on=date(2027, 1, 31), stop_on=date(2027, 4, 1))
    assert [(r.key, r.at) for r in plan[:4]] == [
        ("upcoming", datetime(2027, 1, 24, 8, tzinfo=UTC)),
        ("due", datetime(2027, 1, 31, 8, tzinfo=UTC)),
        ("overdue-1", datetime(2027, 2, 1, 8, tzinfo=UTC)),
        ("overdue-2", datetime(2027, 2, 8, 8, tzinfo=UTC)),
    ]
    assert plan[-1].at < datetime(2027, 4, 1, tzinfo=UTC)
    assert len(plan) == 2 + 8  # 1 Feb … 22 Mar: eight weekly nags fit before April
    assert len({r.key for r in plan}) == len(plan)


def test_overdue_nags_are_capped_without_a_stop():
    plan = domain.duty_reminder_plan(due_on=date(2027, 1, 31))
    assert len(plan) == 2 + domain.MAX_OVERDUE_NAGS


def test_reminder_to_send_picks_the_newest_due_stage_once():
    plan = domain.duty_reminder_plan(due_on=date(2027, 1, 31), stop_on=date(2027, 4, 1))
    before = datetime(2027, 1, 24, 7, 59, tzinfo=UTC)
    assert domain.reminder_to_send(plan, sent=0, now=before) is None
    assert domain.reminder_to_send(plan, sent=0, now=before + timedelta(minutes=1)) == 0
    assert domain.reminder_to_send(plan, sent=1, now=before + timedelta(days=1)) is None
    # First looked at after the deadline: only the overdue stage, not the missed ones.
    late = datetime(2027, 2, 2, tzinfo=UTC)
    assert domain.reminder_to_send(plan, sent=0, now=late) == 2
    assert domain.next_reminder_at(plan, sent=3) == datetime(2027, 2, 8, 8, tzinfo=UTC)
    assert domain.next_reminder_at(plan, sent=len(plan)) is None


def test_training_reminders_thirty_days_before_and_on_expiry():
    plan = domain.training_reminder_plan(expires_on=date(2027, 3, 15))
    assert [(r.key, r.at.date()) for r in plan] == [
        ("expiring", date(2027, 2, 13)),
        ("expired", date(2027, 3, 15)),
    ]

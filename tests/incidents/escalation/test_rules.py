"""Pure escalation and outbox rules: no database, `now` passed in."""

from datetime import UTC, datetime, timedelta

import pytest

from incidents.choices import Status, StopCondition
from incidents.escalation import rules
from incidents.outbox import rules as outbox_rules

T0 = datetime(2026, 11, 27, 13, 45, tzinfo=UTC)
MATRIX_P0 = [
    rules.LevelSpec(1, 0, ("on_call_engineer",), StopCondition.RESOLVED),
    rules.LevelSpec(2, 30, ("technical_lead", "incident_commander"), StopCondition.RESOLVED),
    rules.LevelSpec(3, 60, ("cto", "ceo"), StopCondition.RESOLVED),
]


def state(**overrides):
    values = dict(
        status=Status.DETECTED,
        detected_at=T0,
        response_due_at=T0 + timedelta(minutes=15),
        acknowledged_at=None,
        contained_at=None,
        sla_breached_at=None,
    )
    values.update(overrides)
    return rules.IncidentState(**values)


def steps_for(matrix, fired=frozenset()):
    return [
        rules.StepState(level.level, due, level.stop_condition)
        for level, due in rules.plan_steps(matrix, detected_at=T0, fired_levels=set(fired))
    ]


def test_plan_copies_every_level_due_from_detection():
    planned = rules.plan_steps(MATRIX_P0, detected_at=T0, fired_levels=set())
    assert [(level.level, due) for level, due in planned] == [
        (1, T0),
        (2, T0 + timedelta(minutes=30)),
        (3, T0 + timedelta(hours=1)),
    ]


def test_replan_never_plans_a_fired_level_again():
    planned = rules.plan_steps(MATRIX_P0, detected_at=T0, fired_levels={1, 2})
    assert [level.level for level, _ in planned] == [3]


@pytest.mark.parametrize(
    ("minutes", "expected"), [(0, [1]), (29, [1]), (30, [1, 2]), (60, [1, 2, 3])]
)
def test_due_steps_follow_the_clock(minutes, expected):
    due = rules.due_steps(
        steps_for(MATRIX_P0), state(), fired_levels=set(), now=T0 + timedelta(minutes=minutes)
    )
    assert [step.level for step in due] == expected


def test_fired_levels_are_not_due_again():
    due = rules.due_steps(
        steps_for(MATRIX_P0), state(), fired_levels={1}, now=T0 + timedelta(hours=2)
    )
    assert [step.level for step in due] == [2, 3]


@pytest.mark.parametrize(
    ("condition", "incident", "stopped"),
    [
        (StopCondition.RESOLVED, state(), False),
        (StopCondition.RESOLVED, state(acknowledged_at=T0), False),
        (StopCondition.RESOLVED, state(status=Status.RESOLVED), True),
        (StopCondition.RESOLVED, state(status=Status.CANCELLED), True),
        (StopCondition.ACKNOWLEDGED, state(), False),
        (StopCondition.ACKNOWLEDGED, state(acknowledged_at=T0), True),
        (StopCondition.CONTAINED, state(acknowledged_at=T0), False),
        (StopCondition.CONTAINED, state(status=Status.CONTAINED, contained_at=T0), True),
        (StopCondition.CONTAINED, state(status=Status.CLOSED), True),
    ],
)
def test_stop_conditions(condition, incident, stopped):
    assert rules.is_stopped(condition, incident) is stopped


def test_next_check_is_the_earliest_of_next_level_and_response_deadline():
    steps = steps_for(MATRIX_P0)
    assert rules.next_check_at(steps, state(), fired_levels={1}) == T0 + timedelta(minutes=15)
    acked = state(acknowledged_at=T0 + timedelta(minutes=5))
    assert rules.next_check_at(steps, acked, fired_levels={1}) == T0 + timedelta(minutes=30)
    assert rules.next_check_at(steps, state(status=Status.RESOLVED), fired_levels={1}) is None
    assert rules.next_check_at(steps, acked, fired_levels={1, 2, 3}) is None


def test_sla_breach_pulls_forward_the_lowest_unfired_level():
    steps = steps_for(MATRIX_P0)
    pulled = rules.next_unfired_step(steps, state(), fired_levels={1})
    assert pulled.level == 2
    assert rules.next_unfired_step(steps, state(), fired_levels={1, 2, 3}) is None


def test_sla_breach_is_watched_only_until_acknowledged_or_breached():
    assert rules.sla_breach_pending(state())
    assert not rules.sla_breach_pending(state(acknowledged_at=T0))
    assert not rules.sla_breach_pending(state(sla_breached_at=T0))
    assert not rules.sla_breach_pending(state(status=Status.CANCELLED))


def test_each_person_once_per_level_in_order():
    assert rules.unique_in_order(["ana", "bo", "ana", "cy", "bo"]) == ["ana", "bo", "cy"]


def test_coverage_problems_find_gaps_and_overlaps():
    day = timedelta(days=1)
    shifts = [
        rules.Interval(T0, T0 + day),
        rules.Interval(T0 + day - timedelta(hours=2), T0 + 2 * day),  # 2 h overlap
        rules.Interval(T0 + 3 * day, T0 + 7 * day),  # a day's gap before it
    ]
    problems = rules.coverage_problems(shifts, window_start=T0, window_end=T0 + 7 * day)
    assert problems == [
        ("overlap", T0 + day - timedelta(hours=2), T0 + day),
        ("gap", T0 + 2 * day, T0 + 3 * day),
    ]
    assert rules.coverage_problems([], window_start=T0, window_end=T0 + day) == [
        ("gap", T0, T0 + day)
    ]


def test_backoff_doubles_up_to_the_cap_then_gives_up():
    waits = [
        outbox_rules.backoff(n, base_seconds=30, cap_seconds=300).total_seconds()
        for n in range(1, 7)
    ]
    assert waits == [30, 60, 120, 240, 300, 300]
    assert (
        outbox_rules.after_failure(
            attempts=3, max_attempts=3, now=T0, base_seconds=30, cap_seconds=300
        )
        is None
    )
    assert outbox_rules.after_failure(
        attempts=1, max_attempts=3, now=T0, base_seconds=30, cap_seconds=300
    ) == T0 + timedelta(seconds=30)


def test_signature_verifies_and_detects_tampering():
    signature = outbox_rules.sign("s3cret", "1764251100", b'{"a":1}')
    assert signature.startswith("sha256=")
    assert outbox_rules.verify("s3cret", "1764251100", b'{"a":1}', signature)
    assert not outbox_rules.verify("s3cret", "1764251100", b'{"a":2}', signature)
    assert not outbox_rules.verify("other", "1764251100", b'{"a":1}', signature)

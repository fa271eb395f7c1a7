"""Pure lifecycle and clock rules (incidents.domain): no database, `now` passed in."""

from datetime import UTC, datetime, timedelta
from itertools import product

import pytest

from incidents import domain
from incidents.choices import (
    Category,
    DetectionSource,
    IncidentType,
    Phase,
    ResponseRole,
    Severity,
    Status,
)
from incidents.domain import DomainError, InvalidTransition, MissingField

NOW = datetime(2026, 3, 14, 9, 26, 53, tzinfo=UTC)
EARLIER = NOW - timedelta(hours=2)
NO_STAMPS = {
    "acknowledged_at": None,
    "triaged_at": None,
    "contained_at": None,
    "resolved_at": None,
    "closed_at": None,
    "cancelled_at": None,
}

# The contract (ARCHITECTURE.md), written out by hand so a change to domain.py can't
# silently change what the tests expect.
ALLOWED = {
    "detected": {"triaged", "investigating", "contained", "resolved", "cancelled"},
    "triaged": {"investigating", "contained", "resolved", "cancelled"},
    "investigating": {"contained", "resolved", "cancelled"},
    "contained": {"resolved", "cancelled"},
    "resolved": {"investigating", "closed"},
    "closed": set(),
    "cancelled": set(),
}
ALL_STATUSES = list(ALLOWED)
OPEN = ["detected", "triaged", "investigating", "contained"]


def plan(from_status, to_status, *, stamps=None, now=NOW, **kwargs):
    return domain.plan_transition(
        from_status=from_status,
        to_status=to_status,
        now=now,
        stamps={**NO_STAMPS, **(stamps or {})},
        **kwargs,
    )


def plan_with_everything(from_status, to_status, **kwargs):
    """A move given every field any move may need, so only the move itself is judged."""
    return plan(
        from_status,
        to_status,
        resolution_summary="Rolled back release 812",
        cancel_reason="False alarm: synthetic check misconfigured",
        reason="Errors came back after the rollback",
        **kwargs,
    )


# --- contract values ---------------------------------------------------------------


def test_contract_status_values():
    assert set(Status.values) == set(ALL_STATUSES)


def test_contract_severity_values():
    assert Severity.values == ["P0", "P1", "P2", "P3"]


def test_contract_detection_sources():
    assert set(DetectionSource.values) == {
        "cloudwatch_alarm",
        "apm",
        "security_event",
        "user_error_report",
        "support_ticket",
        "team_report",
        "third_party",
        "social_media",
    }


def test_contract_response_roles():
    assert set(ResponseRole.values) == {
        "incident_commander",
        "technical_lead",
        "communications_lead",
        "security_lead",
    }


# --- every pair of statuses ----------------------------------------------------------


@pytest.mark.parametrize(("from_status", "to_status"), list(product(ALL_STATUSES, ALL_STATUSES)))
def test_every_transition_is_allowed_iff_in_contract(from_status, to_status):
    expected = to_status in ALLOWED[from_status]

    assert (to_status in domain.allowed_transitions(from_status)) is expected
    if expected:
        result = plan_with_everything(from_status, to_status)
        assert result.from_status == from_status
        assert result.to_status == to_status
        assert result.changes["status"] == to_status
    else:
        with pytest.raises(InvalidTransition) as excinfo:
            plan_with_everything(from_status, to_status)
        assert excinfo.value.message


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_allowed_transitions_lists_exactly_the_contract(status):
    allowed = domain.allowed_transitions(status)
    assert set(allowed) == ALLOWED[status]
    assert len(allowed) == len(set(allowed))


@pytest.mark.parametrize("status", ["closed", "cancelled"])
def test_final_statuses_allow_nothing_and_say_so(status):
    assert domain.allowed_transitions(status) == ()
    with pytest.raises(InvalidTransition, match="final"):
        plan_with_everything(status, "investigating")


@pytest.mark.parametrize("status", ["detected", "triaged", "investigating", "contained"])
def test_closing_needs_a_resolution_first(status):
    with pytest.raises(InvalidTransition, match=f"from {status} to closed"):
        plan_with_everything(status, "closed")


def test_moving_to_the_same_status_is_refused():
    with pytest.raises(InvalidTransition, match="already triaged"):
        plan_with_everything("triaged", "triaged")


def test_unknown_target_status_is_refused_with_field():
    with pytest.raises(InvalidTransition) as excinfo:
        plan_with_everything("detected", "on_hold")
    assert excinfo.value.field == "to"


def test_invalid_transition_is_a_domain_error():
    assert issubclass(InvalidTransition, DomainError)
    assert issubclass(MissingField, DomainError)
    assert issubclass(domain.ConcurrentModification, DomainError)


# --- the fields a move needs -----------------------------------------------------------


@pytest.mark.parametrize("from_status", ["detected", "triaged", "investigating", "contained"])
@pytest.mark.parametrize("summary", ["", "   \n\t"])
def test_resolve_requires_a_resolution_summary(from_status, summary):
    with pytest.raises(MissingField) as excinfo:
        plan(from_status, "resolved", resolution_summary=summary)
    assert excinfo.value.field == "resolution_summary"


def test_resolve_stores_the_stripped_summary_and_stamps_resolved_at():
    result = plan("contained", "resolved", resolution_summary="  Fixed the index  ")
    assert result.changes == {
        "status": "resolved",
        "resolution_summary": "Fixed the index",
        "resolved_at": NOW,
        "acknowledged_at": NOW,
    }
    assert result.summary == "Status contained → resolved: Fixed the index"


@pytest.mark.parametrize("from_status", OPEN)
def test_cancel_from_every_open_status_needs_a_reason(from_status):
    with pytest.raises(MissingField) as excinfo:
        plan(from_status, "cancelled", cancel_reason="  ")
    assert excinfo.value.field == "cancel_reason"

    result = plan(from_status, "cancelled", cancel_reason=" False alarm ")
    assert result.changes["cancel_reason"] == "False alarm"
    assert result.changes["cancelled_at"] == NOW
    assert result.summary == f"Status {from_status} → cancelled: False alarm"


@pytest.mark.parametrize("from_status", ["resolved", "closed", "cancelled"])
def test_cancel_is_refused_once_no_longer_open(from_status):
    with pytest.raises(InvalidTransition):
        plan(from_status, "cancelled", cancel_reason="False alarm")


def test_reopen_requires_a_reason():
    stamps = {"acknowledged_at": EARLIER, "resolved_at": EARLIER}
    with pytest.raises(MissingField) as excinfo:
        plan("resolved", "investigating", stamps=stamps, reason=" ")
    assert excinfo.value.field == "reason"


def test_reopen_clears_resolved_at_and_keeps_other_stamps():
    stamps = {
        "acknowledged_at": EARLIER,
        "triaged_at": EARLIER,
        "contained_at": EARLIER,
        "resolved_at": EARLIER,
    }
    result = plan("resolved", "investigating", stamps=stamps, reason="Errors are back")
    assert result.changes == {"status": "investigating", "resolved_at": None}
    assert result.phases_due == ()
    assert result.summary == "Status resolved → investigating: Errors are back"
    assert domain.is_reopen("resolved", "investigating")
    assert not domain.is_reopen("triaged", "investigating")


def test_plain_forward_move_changes_only_status_and_stamps():
    result = plan("detected", "triaged")
    assert result.changes == {"status": "triaged", "triaged_at": NOW, "acknowledged_at": NOW}
    assert result.summary == "Status detected → triaged"
    assert result.phases_due == (Phase.INVESTIGATION,)


def test_reason_on_a_plain_move_goes_into_the_summary_only():
    result = plan("triaged", "investigating", reason="DB team paged")
    assert result.changes == {"status": "investigating", "acknowledged_at": NOW}
    assert result.summary == "Status triaged → investigating: DB team paged"


# --- timestamps ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("from_status", "to_status", "stamp"),
    [
        ("detected", "triaged", "triaged_at"),
        ("triaged", "contained", "contained_at"),
        ("investigating", "contained", "contained_at"),
        ("contained", "resolved", "resolved_at"),
        ("resolved", "closed", "closed_at"),
        ("investigating", "cancelled", "cancelled_at"),
    ],
)
def test_entering_a_status_stamps_its_timestamp(from_status, to_status, stamp):
    result = plan_with_everything(from_status, to_status)
    assert result.changes[stamp] == NOW


@pytest.mark.parametrize(
    ("from_status", "to_status", "stamp"),
    [
        ("detected", "triaged", "triaged_at"),
        ("investigating", "contained", "contained_at"),
        ("resolved", "closed", "closed_at"),
    ],
)
def test_a_second_entry_keeps_the_first_stamp(from_status, to_status, stamp):
    result = plan_with_everything(
        from_status, to_status, stamps={stamp: EARLIER, "acknowledged_at": EARLIER}
    )
    assert stamp not in result.changes
    assert "acknowledged_at" not in result.changes


def test_recontainment_after_reopen_keeps_first_contained_at():
    stamps = {"acknowledged_at": EARLIER, "triaged_at": EARLIER, "contained_at": EARLIER}
    # resolved_at was cleared by the reopen, so the new resolution is stamped afresh.
    contained = plan("investigating", "contained", stamps=stamps)
    assert contained.changes == {"status": "contained"}
    resolved = plan("contained", "resolved", stamps=stamps, resolution_summary="Really fixed")
    assert resolved.changes["resolved_at"] == NOW


@pytest.mark.parametrize("to_status", ["triaged", "investigating", "contained", "resolved"])
def test_first_move_out_of_detected_acknowledges(to_status):
    result = plan_with_everything("detected", to_status)
    assert result.changes["acknowledged_at"] == NOW


def test_a_move_does_not_overwrite_an_earlier_acknowledgement():
    result = plan("detected", "triaged", stamps={"acknowledged_at": EARLIER})
    assert "acknowledged_at" not in result.changes


def test_cancel_does_not_acknowledge():
    result = plan("detected", "cancelled", cancel_reason="Duplicate of INC-20260314-092000")
    assert result.changes == {
        "status": "cancelled",
        "cancel_reason": "Duplicate of INC-20260314-092000",
        "cancelled_at": NOW,
    }
    assert result.phases_due == ()


def test_skipping_states_stamps_only_the_target():
    result = plan("detected", "resolved", resolution_summary="Self-healed")
    assert result.changes == {
        "status": "resolved",
        "resolution_summary": "Self-healed",
        "resolved_at": NOW,
        "acknowledged_at": NOW,
    }


# --- phases ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("from_status", "to_status", "phases"),
    [
        ("detected", "triaged", ("investigation",)),
        ("detected", "investigating", ("investigation", "containment")),
        (
            "detected",
            "contained",
            ("investigation", "containment", "resolution", "recovery"),
        ),
        (
            "detected",
            "resolved",
            ("investigation", "containment", "resolution", "recovery"),
        ),
        ("triaged", "investigating", ("containment",)),
        ("triaged", "resolved", ("containment", "resolution", "recovery")),
        ("investigating", "contained", ("resolution", "recovery")),
        ("contained", "resolved", ()),
        ("resolved", "closed", ()),
        ("resolved", "investigating", ()),  # a reopen: checklists exist already
        ("detected", "cancelled", ()),
        ("contained", "cancelled", ()),
        ("triaged", "triaged", ()),
        ("contained", "triaged", ()),
    ],
)
def test_phases_due_on_entry_include_skipped_states(from_status, to_status, phases):
    assert domain.phases_due_on_entry(from_status, to_status) == phases


def test_plan_carries_the_phases_due():
    result = plan("detected", "contained")
    assert result.phases_due == ("investigation", "containment", "resolution", "recovery")


def test_triage_is_due_when_an_incident_is_detected():
    assert domain.PHASES_ON_ENTRY[Status.DETECTED] == (Phase.TRIAGE,)


# --- clocks ----------------------------------------------------------------------------


@pytest.mark.parametrize("minutes", [15, 60, 240, 1440])
def test_response_due_at(minutes):
    assert domain.response_due_at(NOW, minutes) == NOW + timedelta(minutes=minutes)


def test_response_due_at_keeps_the_time_zone():
    assert domain.response_due_at(NOW, 60).tzinfo is UTC


DUE = NOW + timedelta(minutes=15)


def test_sla_met_when_acknowledged_before_the_deadline():
    state = domain.sla_state(
        response_due_at=DUE, acknowledged_at=DUE - timedelta(minutes=1), now=NOW
    )
    assert (state.code, state.label, state.seconds_left) == ("met", "met", None)


def test_sla_met_when_acknowledged_exactly_at_the_deadline():
    state = domain.sla_state(response_due_at=DUE, acknowledged_at=DUE, now=DUE + timedelta(days=1))
    assert state.code == "met"


def test_sla_breached_when_acknowledged_late():
    state = domain.sla_state(
        response_due_at=DUE, acknowledged_at=DUE + timedelta(minutes=5, seconds=30), now=NOW
    )
    assert (state.code, state.label, state.seconds_left) == ("breached", "breached by 5m", None)


def test_sla_pending_before_the_deadline():
    state = domain.sla_state(
        response_due_at=DUE, acknowledged_at=None, now=DUE - timedelta(minutes=12)
    )
    assert state.code == "pending"
    assert state.label == "12m left"
    assert state.seconds_left == 12 * 60


def test_sla_pending_at_the_deadline():
    state = domain.sla_state(response_due_at=DUE, acknowledged_at=None, now=DUE)
    assert (state.code, state.label, state.seconds_left) == ("pending", "0s left", 0)


def test_sla_overdue_after_the_deadline():
    state = domain.sla_state(
        response_due_at=DUE, acknowledged_at=None, now=DUE + timedelta(hours=2, minutes=3)
    )
    assert state.code == "overdue"
    assert state.label == "overdue 2h 3m"
    assert state.seconds_left == -(2 * 3600 + 3 * 60)


def test_sla_none_without_a_deadline():
    state = domain.sla_state(response_due_at=None, acknowledged_at=None, now=NOW)
    assert state.code == "none"
    assert state.seconds_left is None


@pytest.mark.parametrize("status", OPEN)
def test_can_acknowledge_an_open_unacknowledged_incident(status):
    assert domain.can_acknowledge(status, None) is None  # no DomainError raised


@pytest.mark.parametrize("status", OPEN)
def test_cannot_acknowledge_twice(status):
    with pytest.raises(InvalidTransition, match="already acknowledged"):
        domain.can_acknowledge(status, EARLIER)


@pytest.mark.parametrize("status", ["resolved", "closed", "cancelled"])
def test_cannot_acknowledge_an_incident_that_is_no_longer_open(status):
    with pytest.raises(InvalidTransition, match=f"A {status} incident cannot be acknowledged"):
        domain.can_acknowledge(status, None)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(0), "0s"),
        (timedelta(seconds=40), "40s"),
        (timedelta(seconds=59, milliseconds=900), "59s"),
        (timedelta(seconds=60), "1m"),
        (timedelta(minutes=12, seconds=59), "12m"),
        (timedelta(minutes=59, seconds=59), "59m"),
        (timedelta(hours=1), "1h 0m"),
        (timedelta(hours=2, minutes=5), "2h 5m"),
        (timedelta(hours=23, minutes=59, seconds=59), "23h 59m"),
        (timedelta(days=1), "1d 0h 0m"),
        (timedelta(days=3, hours=4, minutes=59), "3d 4h 59m"),
        (timedelta(days=400, hours=1), "400d 1h 0m"),
        (timedelta(seconds=-30), "0s"),
    ],
)
def test_format_duration(delta, text):
    assert domain.format_duration(delta) == text


# --- reference and category -------------------------------------------------------------


def test_format_reference():
    detected = datetime(2026, 11, 27, 13, 45, 2, 999_999, tzinfo=UTC)
    assert domain.format_reference(detected) == "INC-20261127-134502"
    assert domain.format_reference(detected, 1) == "INC-20261127-134502"


def test_format_reference_zero_pads():
    assert domain.format_reference(datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC)) == (
        "INC-20270102-030405"
    )


@pytest.mark.parametrize(("sequence", "suffix"), [(2, "-2"), (3, "-3"), (12, "-12")])
def test_format_reference_collision_suffix(sequence, suffix):
    detected = datetime(2026, 11, 27, 13, 45, 2, tzinfo=UTC)
    assert domain.format_reference(detected, sequence) == "INC-20261127-134502" + suffix


CONTRACT_TYPES = {
    "unauthorized_access": "security",
    "data_breach": "security",
    "malware": "security",
    "ddos": "security",
    "insider_threat": "security",
    "service_outage": "operational",
    "performance_degradation": "operational",
    "infrastructure_failure": "operational",
    "deployment_issue": "operational",
    "data_corruption": "operational",
    "software_bug": "application",
    "api_failure": "application",
    "integration_problem": "application",
    "ui_issue": "application",
    "mobile_app_crash": "application",
}


def test_contract_lists_every_type():
    assert set(IncidentType.values) == set(CONTRACT_TYPES)
    assert set(Category.values) == {"security", "operational", "application"}


@pytest.mark.parametrize(("incident_type", "category"), sorted(CONTRACT_TYPES.items()))
def test_category_for_type(incident_type, category):
    assert domain.category_for_type(incident_type) == category


@pytest.mark.parametrize("bad", ["phishing", "", "Malware"])
def test_category_for_unknown_type(bad):
    with pytest.raises(DomainError) as excinfo:
        domain.category_for_type(bad)
    assert excinfo.value.field == "type"


def test_sla_state_of_a_false_alarm_cancelled_before_acknowledgement():
    due = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    later = due + timedelta(days=3)
    cancelled = domain.sla_state(
        response_due_at=due, acknowledged_at=None, now=later, status=Status.CANCELLED
    )
    assert cancelled.code == "none"
    still_open = domain.sla_state(
        response_due_at=due, acknowledged_at=None, now=later, status=Status.TRIAGED
    )
    assert still_open.code == "overdue"

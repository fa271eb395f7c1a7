"""incidents.services.incidents: moving an incident through its lifecycle and acknowledging it."""

from datetime import timedelta

import pytest
import time_machine

from incidents.domain import DomainError, InvalidTransition, MissingField
from incidents.models import ChecklistItem, Incident
from incidents.services import incident_acknowledge, incident_transition
from tests.incidents.services.helpers import (
    T0,
    latest_history,
    open_incident,
    row,
    snapshot,
    timeline,
    walk,
)
from tests.postmortems.builders import publish_postmortem

pytestmark = pytest.mark.django_db


# --- incident_transition ----------------------------------------------------------------
def test_triage_stamps_acknowledges_and_records(alice):
    incident = open_incident(alice)
    at = T0 + timedelta(minutes=4)
    incident = incident_transition(incident=incident, to_status="triaged", user=alice, now=at)
    incident.refresh_from_db()
    assert incident.status == "triaged"
    assert incident.triaged_at == at
    assert incident.acknowledged_at == at
    assert incident.version == 2
    [entry] = timeline(incident, "status_change")
    assert (entry.text, entry.author, entry.at) == ("Status detected → triaged", alice, at)
    history = latest_history(incident)
    assert history.history_type == "~"
    assert history.history_user == alice
    assert history.history_change_reason == "Status detected → triaged"
    assert history.status == "triaged"


def test_full_lifecycle_stamps_each_status_once(alice, bob):
    incident = open_incident(alice, severity="P1")
    users = [alice, bob, alice, bob, alice]
    statuses = ["triaged", "investigating", "contained", "resolved", "closed"]
    times = [T0 + timedelta(minutes=m) for m in (5, 10, 20, 50, 90)]
    for status, user, at in zip(statuses, users, times, strict=True):
        if status == "closed":  # P1: closing needs the published post-mortem
            publish_postmortem(incident, now=at)
        incident = incident_transition(
            incident=incident,
            to_status=status,
            user=user,
            now=at,
            resolution_summary="Rolled back release 812" if status == "resolved" else "",
            reason="Open work tracked in OPS-1" if status == "closed" else "",
        )
    incident.refresh_from_db()
    assert incident.status == "closed"
    assert incident.acknowledged_at == times[0]
    assert incident.triaged_at == times[0]
    assert incident.contained_at == times[2]
    assert incident.resolved_at == times[3]
    assert incident.closed_at == times[4]
    assert incident.cancelled_at is None
    assert incident.resolution_summary == "Rolled back release 812"
    assert incident.version == 6

    history = list(incident.history.order_by("history_id"))
    assert [h.status for h in history] == ["detected", *statuses]
    assert [h.history_user for h in history[1:]] == users
    assert [h.history_change_reason for h in history[1:]] == [
        "Status detected → triaged",
        "Status triaged → investigating",
        "Status investigating → contained",
        "Status contained → resolved: Rolled back release 812",
        "Status resolved → closed: Open work tracked in OPS-1 (closed with 40 open item(s): "
        "30 × checklist step, 10 × post-incident task)",
    ]
    status_entries = timeline(incident, "status_change")
    assert [e.at for e in status_entries] == times
    assert [e.author for e in status_entries] == users


def test_cancel_records_reason_and_does_not_acknowledge(alice):
    incident = open_incident(alice)
    at = T0 + timedelta(minutes=3)
    incident = incident_transition(
        incident=incident,
        to_status="cancelled",
        user=alice,
        now=at,
        cancel_reason="  Synthetic check misconfigured ",
    )
    incident.refresh_from_db()
    assert incident.status == "cancelled"
    assert incident.cancelled_at == at
    assert incident.cancel_reason == "Synthetic check misconfigured"
    assert incident.acknowledged_at is None
    assert timeline(incident, "status_change")[0].text == (
        "Status detected → cancelled: Synthetic check misconfigured"
    )
    assert latest_history(incident).history_change_reason == (
        "Status detected → cancelled: Synthetic check misconfigured"
    )
    # no new checklist for a false alarm
    assert ChecklistItem.objects.filter(incident=incident).count() == 5


@pytest.mark.parametrize("from_path", [[], ["triaged"], ["investigating"], ["contained"]])
def test_cancel_from_every_open_status(alice, from_path):
    incident = walk(open_incident(alice), alice, *from_path)
    incident = walk(incident, alice, "cancelled", start=T0 + timedelta(hours=1))
    assert incident.status == "cancelled"


def test_reopen_clears_resolved_at_and_re_resolution_stamps_afresh(alice, bob):
    incident = walk(
        open_incident(alice), alice, "triaged", "investigating", "contained", "resolved"
    )
    incident.refresh_from_db()
    first_contained = incident.contained_at
    items_before = ChecklistItem.objects.filter(incident=incident).count()
    checklist_entries_before = len(timeline(incident, "checklist"))

    reopened_at = T0 + timedelta(hours=3)
    incident = incident_transition(
        incident=incident,
        to_status="investigating",
        user=bob,
        now=reopened_at,
        reason="5xx are back after the rollback",
    )
    incident.refresh_from_db()
    assert incident.status == "investigating"
    assert incident.resolved_at is None
    assert timeline(incident, "status_change")[-1].text == (
        "Status resolved → investigating: 5xx are back after the rollback"
    )
    history = latest_history(incident)
    assert history.history_user == bob
    assert history.history_change_reason == (
        "Status resolved → investigating: 5xx are back after the rollback"
    )

    incident = incident_transition(
        incident=incident, to_status="contained", user=bob, now=reopened_at + timedelta(minutes=5)
    )
    second_resolution = reopened_at + timedelta(minutes=30)
    incident = incident_transition(
        incident=incident,
        to_status="resolved",
        user=bob,
        now=second_resolution,
        resolution_summary="Replaced the faulty node",
    )
    incident.refresh_from_db()
    assert incident.contained_at == first_contained
    assert incident.resolved_at == second_resolution
    assert incident.resolution_summary == "Replaced the faulty node"
    # checklists are not duplicated by going round again
    assert ChecklistItem.objects.filter(incident=incident).count() == items_before
    assert len(timeline(incident, "checklist")) == checklist_entries_before


@pytest.mark.parametrize(
    ("path", "to_status", "kwargs", "error"),
    [
        ([], "closed", {}, InvalidTransition),
        ([], "detected", {}, InvalidTransition),
        ([], "archived", {}, InvalidTransition),
        (["contained"], "triaged", {}, InvalidTransition),
        (["resolved"], "contained", {}, InvalidTransition),
        (["resolved"], "cancelled", {"cancel_reason": "oops"}, InvalidTransition),
        (["resolved", "closed"], "investigating", {"reason": "again"}, InvalidTransition),
        (["cancelled"], "triaged", {}, InvalidTransition),
        ([], "resolved", {"resolution_summary": "  "}, MissingField),
        (["triaged"], "cancelled", {"cancel_reason": ""}, MissingField),
        (["resolved"], "investigating", {"reason": ""}, MissingField),
    ],
)
def test_refused_transition_writes_nothing(alice, path, to_status, kwargs, error):
    incident = walk(open_incident(alice), alice, *path)
    persisted, before = row(incident), snapshot()
    with pytest.raises(error):
        incident_transition(
            incident=incident,
            to_status=to_status,
            user=alice,
            now=T0 + timedelta(hours=5),
            **kwargs,
        )
    assert row(incident) == persisted
    assert snapshot() == before


def test_transition_decides_on_the_stored_state_not_a_stale_object(alice, bob):
    incident = open_incident(alice)
    stale = Incident.objects.get(pk=incident.pk)
    incident_transition(incident=incident.pk, to_status="triaged", user=bob, now=T0)
    # a second person still looking at the "detected" page
    with pytest.raises(InvalidTransition, match="already triaged"):
        incident_transition(incident=stale, to_status="triaged", user=alice, now=T0)
    moved = incident_transition(incident=stale, to_status="investigating", user=alice, now=T0)
    assert moved.triaged_at == T0
    assert moved.version == 3


def test_transition_reads_the_clock_when_no_now_is_given(alice):
    incident = open_incident(alice)
    with time_machine.travel(T0 + timedelta(minutes=11), tick=False):
        incident = incident_transition(incident=incident, to_status="triaged", user=alice)
    assert incident.triaged_at == T0 + timedelta(minutes=11)


# --- incident_acknowledge ---------------------------------------------------------------
def test_acknowledge_within_sla(alice):
    incident = open_incident(alice, severity="P0")
    at = T0 + timedelta(minutes=9)
    incident = incident_acknowledge(incident=incident, user=alice, now=at)
    incident.refresh_from_db()
    assert incident.acknowledged_at == at
    assert incident.status == "detected"
    assert incident.version == 2
    [entry] = timeline(incident, "acknowledged")
    assert (entry.text, entry.author, entry.at) == (
        "Acknowledged by alice (response SLA met)",
        alice,
        at,
    )
    history = latest_history(incident)
    assert history.history_user == alice
    assert history.history_change_reason == "Acknowledged by alice (response SLA met)"


def test_acknowledge_late_says_by_how_much(alice):
    incident = open_incident(alice, severity="P0")
    incident_acknowledge(incident=incident, user=alice, now=T0 + timedelta(minutes=22))
    assert timeline(incident, "acknowledged")[0].text == (
        "Acknowledged by alice (response SLA breached by 7m)"
    )


def test_acknowledge_without_user_is_system(alice):
    incident = open_incident(alice)
    incident_acknowledge(incident=incident, user=None, now=T0)
    assert timeline(incident, "acknowledged")[0].text.startswith("Acknowledged by system")


def test_acknowledge_only_once(alice, bob):
    incident = open_incident(alice)
    incident_acknowledge(incident=incident, user=alice, now=T0 + timedelta(minutes=1))
    persisted, before = row(incident), snapshot()
    with pytest.raises(InvalidTransition, match="already acknowledged"):
        incident_acknowledge(incident=incident, user=bob, now=T0 + timedelta(minutes=2))
    assert row(incident) == persisted
    assert snapshot() == before


def test_a_transition_counts_as_acknowledgement(alice):
    incident = walk(open_incident(alice), alice, "triaged")
    with pytest.raises(InvalidTransition, match="already acknowledged"):
        incident_acknowledge(incident=incident, user=alice, now=T0 + timedelta(hours=1))


@pytest.mark.parametrize(
    "path", [["resolved", "closed"], ["cancelled"]], ids=["closed", "cancelled"]
)
def test_acknowledge_refused_on_final_incidents(alice, path):
    incident = walk(open_incident(alice), alice, *path)
    persisted, before = row(incident), snapshot()
    with pytest.raises(InvalidTransition, match="cannot be acknowledged"):
        incident_acknowledge(incident=incident, user=alice, now=T0 + timedelta(hours=1))
    assert row(incident) == persisted
    assert snapshot() == before


def test_lifecycle_hooks_can_refuse_a_move_and_see_it_saved(alice):
    from incidents import signals_lifecycle

    incident = open_incident(alice)
    seen = []

    def refuse_close(sender, incident, from_status, to_status, user, now, **kwargs):
        if to_status == "cancelled":
            raise DomainError("Not while the regulator is on the phone.")

    def record(sender, incident, from_status, to_status, user, now, **kwargs):
        seen.append((from_status, to_status, incident.status, user))

    signals_lifecycle.transition_requested.connect(refuse_close)
    signals_lifecycle.status_changed.connect(record)
    try:
        before = snapshot()
        with pytest.raises(DomainError, match="regulator"):
            incident_transition(
                incident=incident, to_status="cancelled", cancel_reason="dup", user=alice
            )
        assert snapshot() == before
        incident_transition(incident=incident, to_status="triaged", user=alice)
    finally:
        signals_lifecycle.transition_requested.disconnect(refuse_close)
        signals_lifecycle.status_changed.disconnect(record)
    assert seen == [("detected", "triaged", "triaged", alice)]

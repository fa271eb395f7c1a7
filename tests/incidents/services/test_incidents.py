"""incidents.services.incidents: opening, editing, severity and notes; what each write
stamps, records and refuses."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from incidents import services
from incidents.domain import ConcurrentModification, DomainError
from incidents.middleware import current_request_id
from incidents.models import ChecklistItem, Incident, SeverityPolicy
from incidents.services import (
    incident_add_note,
    incident_change_severity,
    incident_create,
    incident_update,
)
from incidents.services import incidents as incident_services
from tests.incidents.builders import ServiceFactory
from tests.incidents.services.helpers import (
    T0,
    TRIAGE_STEPS,
    latest_history,
    open_incident,
    row,
    snapshot,
    timeline,
    walk,
)

pytestmark = pytest.mark.django_db


# --- incident_create --------------------------------------------------------------------
def test_create_reference_is_the_utc_detection_second(alice, settings):
    settings.TIME_ZONE = "Asia/Tokyo"
    berlin = datetime(2026, 11, 27, 14, 45, 2, 123_456, tzinfo=ZoneInfo("Europe/Berlin"))
    incident = open_incident(alice, detected_at=berlin, now=berlin + timedelta(minutes=1))
    assert incident.reference == "INC-20261127-134502"
    incident.refresh_from_db()
    assert incident.detected_at == berlin


def test_create_suffixes_only_incidents_sharing_a_second(alice):
    later = T0 + timedelta(minutes=1)
    first = open_incident(alice, detected_at=T0, now=later)
    second = open_incident(alice, detected_at=T0 + timedelta(microseconds=400_000), now=later)
    third = open_incident(alice, detected_at=T0 + timedelta(microseconds=900_000), now=later)
    next_second = open_incident(alice, detected_at=T0 + timedelta(seconds=1), now=later)
    assert first.reference == "INC-20260314-090000"
    assert second.reference == "INC-20260314-090000-2"
    assert third.reference == "INC-20260314-090000-3"
    assert next_second.reference == "INC-20260314-090001"


def test_create_retries_when_another_writer_takes_the_reference(alice, monkeypatch):
    """Two writers racing for the same second: the loser's insert hits the unique
    constraint, and it retries with the next suffix instead of failing."""
    first = open_incident(alice)
    real_next_reference = incident_services._next_reference
    calls = []

    def stale_next_reference(detected_at, also_taken=frozenset()):
        calls.append(detected_at)
        if len(calls) == 1:
            return first.reference  # what a concurrent writer computed a moment ago
        return real_next_reference(detected_at, also_taken)

    monkeypatch.setattr(incident_services, "_next_reference", stale_next_reference)
    second = open_incident(alice)
    assert len(calls) == 2
    assert second.reference == "INC-20260314-090000-2"
    assert Incident.objects.count() == 2
    assert Incident.history.filter(id=second.pk).count() == 1


@pytest.mark.parametrize(
    ("severity", "minutes"), [("P0", 15), ("P1", 60), ("P2", 240), ("P3", 1440)]
)
def test_create_response_due_from_severity_policy(alice, severity, minutes):
    detected = T0 - timedelta(minutes=7)
    incident = open_incident(alice, severity=severity, detected_at=detected, now=T0)
    incident.refresh_from_db()
    assert incident.response_due_at == detected + timedelta(minutes=minutes)


def test_create_response_due_follows_an_edited_policy(alice):
    policy = SeverityPolicy.objects.get(severity="P1")
    policy.response_minutes = 30
    policy.save()
    incident = open_incident(alice, severity="P1")
    assert incident.response_due_at == T0 + timedelta(minutes=30)


@pytest.mark.parametrize(
    ("incident_type", "category"),
    [("malware", "security"), ("deployment_issue", "operational"), ("ui_issue", "application")],
)
def test_create_category_from_type(alice, incident_type, category):
    incident = open_incident(alice, type=incident_type)
    incident.refresh_from_db()
    assert incident.category == category


def test_create_stores_fields_and_starts_detected(alice):
    started = T0 - timedelta(minutes=20)
    incident = open_incident(
        alice,
        title="  Search is slow  ",
        summary="p95 above 4s",
        started_at=started,
        is_drill=True,
        users_affected=1200,
        customer_impact="Searches time out",
    )
    incident.refresh_from_db()
    assert incident.title == "Search is slow"
    assert incident.summary == "p95 above 4s"
    assert incident.status == "detected"
    assert incident.started_at == started
    assert incident.detected_at == T0
    assert incident.is_drill is True
    assert incident.users_affected == 1200
    assert incident.customer_impact == "Searches time out"
    assert incident.version == 1
    for stamp in services.STAMP_FIELDS:
        assert getattr(incident, stamp) is None


def test_create_writes_created_timeline_entry(alice):
    incident = open_incident(
        alice, severity="P1", type="api_failure", detection_source="apm", title="Orders API 500s"
    )
    [created] = timeline(incident, "created")
    assert created.author == alice
    assert created.at == T0
    assert created.text == (
        "P1 API failure detected via Application performance monitoring: Orders API 500s"
    )


def test_create_instantiates_the_triage_checklist(alice):
    incident = open_incident(alice)
    items = list(ChecklistItem.objects.filter(incident=incident).order_by("order", "id"))
    assert [item.text for item in items] == TRIAGE_STEPS
    assert {item.phase for item in items} == {"triage"}
    assert {item.section for item in items} == {"Initial triage"}
    assert all(item.template_item_id for item in items)
    assert not any(item.is_done for item in items)
    [opened] = timeline(incident, "checklist")
    assert opened.text == "Checklist opened for initial triage (5 steps)."
    assert opened.author == alice
    for item in items:
        [history] = item.history.all()
        assert history.history_user == alice
        assert history.history_change_reason == "Initial triage checklist"


def test_create_history_row_has_user_and_reason(alice):
    incident = open_incident(alice)
    [history] = incident.history.all()
    assert history.history_type == "+"
    assert history.history_user == alice
    assert history.history_change_reason == "Incident opened"
    assert history.reference == incident.reference
    for entry in timeline(incident):
        [entry_history] = entry.history.all()
        assert entry_history.history_user == alice
        assert entry_history.history_change_reason


def test_create_uses_the_given_reason(alice):
    incident = open_incident(alice, reason="Opened from Alertmanager alert 77f3")
    assert incident.history.get().history_change_reason == "Opened from Alertmanager alert 77f3"


def test_create_without_user_is_recorded_as_system():
    incident = open_incident(None)
    history = incident.history.get()
    assert history.history_user is None
    assert history.history_change_reason == "Incident opened"
    assert timeline(incident, "created")[0].author is None


def test_create_history_carries_the_request_id(alice):
    token = current_request_id.set("req-4f2a")
    try:
        incident = open_incident(alice)
    finally:
        current_request_id.reset(token)
    assert incident.history.get().request_id == "req-4f2a"
    assert {entry.history.get().request_id for entry in timeline(incident)} == {"req-4f2a"}


def test_create_sets_affected_services_with_history(alice):
    checkout, payments, _unrelated = ServiceFactory.create_batch(3)
    incident = open_incident(alice, affected_services=[checkout, payments])
    assert set(incident.affected_services.all()) == {checkout, payments}
    latest = latest_history(incident)
    assert latest.history_user == alice
    assert latest.history_change_reason == "Affected services set"
    assert {m2m.service_id for m2m in latest.affected_services.all()} == {
        checkout.pk,
        payments.pk,
    }


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"type": "phishing"}, "type"),
        ({"type": None}, "type"),
        ({"severity": "P5"}, "severity"),
        ({"severity": ""}, "severity"),
        ({"detection_source": "pager"}, "detection_source"),
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"detected_at": T0 + timedelta(seconds=1)}, "detected_at"),
        ({"started_at": T0 + timedelta(minutes=1)}, "started_at"),
    ],
)
def test_create_refuses_bad_input_and_writes_nothing(alice, override, field):
    open_incident(alice)  # something already there, so "nothing written" is meaningful
    before = snapshot()
    with pytest.raises(DomainError) as excinfo:
        open_incident(alice, **override)
    assert excinfo.value.field == field
    assert excinfo.value.message
    assert snapshot() == before


def test_create_refuses_a_severity_without_policy(alice):
    SeverityPolicy.objects.filter(severity="P3").delete()
    before = snapshot()
    with pytest.raises(DomainError) as excinfo:
        open_incident(alice, severity="P3")
    assert excinfo.value.field == "severity"
    assert snapshot() == before


def test_create_refuses_fields_that_are_not_editable(alice):
    before = snapshot()
    with pytest.raises(TypeError):
        open_incident(alice, status="resolved")
    assert snapshot() == before


def test_create_rolls_back_when_a_later_step_fails(alice, monkeypatch):
    """One transaction: a failure after the insert leaves no half-made incident."""
    before = snapshot()

    def broken(*args, **kwargs):
        raise RuntimeError("checklist store down")

    monkeypatch.setattr(incident_services, "checklists_open", broken)
    with pytest.raises(RuntimeError):
        open_incident(alice)
    assert snapshot() == before


def test_create_reads_the_clock_when_no_now_is_given(alice):
    with time_machine.travel(T0 + timedelta(minutes=3), tick=False):
        incident = incident_create(
            title="Disk full",
            severity="P3",
            type="infrastructure_failure",
            detection_source="cloudwatch_alarm",
            user=alice,
        )
    assert incident.detected_at == T0 + timedelta(minutes=3)
    assert incident.reference == "INC-20260314-090300"
    assert incident.response_due_at == T0 + timedelta(minutes=3, hours=24)


# --- incident_change_severity ------------------------------------------------------------
def test_change_severity_recomputes_due_from_detection(alice):
    incident = open_incident(alice, severity="P3")
    assert incident.response_due_at == T0 + timedelta(hours=24)
    at = T0 + timedelta(hours=2)
    incident = incident_change_severity(
        incident=incident, severity="P0", user=alice, reason="Payments failing too", now=at
    )
    incident.refresh_from_db()
    assert incident.severity == "P0"
    assert incident.response_due_at == T0 + timedelta(minutes=15)
    assert incident.version == 2
    [entry] = timeline(incident, "severity_change")
    assert (entry.text, entry.author, entry.at) == (
        "Severity P3 → P0: Payments failing too",
        alice,
        at,
    )
    history = latest_history(incident)
    assert history.history_user == alice
    assert history.history_change_reason == "Severity P3 → P0: Payments failing too"
    assert history.severity == "P0"


def test_change_severity_without_reason(alice):
    incident = open_incident(alice, severity="P1")
    incident_change_severity(incident=incident.pk, severity="P2", user=alice, now=T0)
    incident.refresh_from_db()
    assert incident.response_due_at == T0 + timedelta(hours=4)
    assert timeline(incident, "severity_change")[0].text == "Severity P1 → P2"


def test_change_severity_allowed_while_resolved(alice):
    incident = walk(open_incident(alice, severity="P2"), alice, "resolved")
    incident = incident_change_severity(incident=incident, severity="P1", user=alice, now=T0)
    assert incident.severity == "P1"


@pytest.mark.parametrize(
    ("path", "severity", "field"),
    [
        ([], "P2", "severity"),  # unchanged
        ([], "P9", "severity"),
        (["cancelled"], "P0", None),
        (["resolved", "closed"], "P0", None),
    ],
)
def test_change_severity_refusals_write_nothing(alice, path, severity, field):
    incident = walk(open_incident(alice, severity="P2"), alice, *path)
    persisted, before = row(incident), snapshot()
    with pytest.raises(DomainError) as excinfo:
        incident_change_severity(incident=incident, severity=severity, user=alice, now=T0)
    assert excinfo.value.field == field
    assert row(incident) == persisted
    assert snapshot() == before


# --- notes ------------------------------------------------------------------------------
def test_add_note(alice):
    incident = open_incident(alice)
    at = T0 + timedelta(minutes=30)
    entry = incident_add_note(
        incident=incident.pk, text="  Vendor confirms outage in eu-west-1 ", user=alice, now=at
    )
    entry.refresh_from_db()
    assert entry.kind == "note"
    assert entry.text == "Vendor confirms outage in eu-west-1"
    assert entry.author == alice
    assert entry.at == at
    [history] = entry.history.all()
    assert history.history_user == alice
    assert history.history_change_reason == "Timeline: note"


def test_add_backdated_note(alice):
    incident = open_incident(alice)
    happened = T0 - timedelta(minutes=45)
    entry = incident_add_note(
        incident=incident, text="Deploy 812 went out", user=alice, at=happened, now=T0
    )
    assert entry.at == happened
    assert timeline(incident)[0] == entry  # sorts where it happened


@pytest.mark.parametrize(
    ("text", "at", "field"),
    [
        ("", None, "text"),
        ("  \n ", None, "text"),
        (None, None, "text"),
        ("From the future", T0 + timedelta(seconds=1), "at"),
    ],
)
def test_add_note_refusals_write_nothing(alice, text, at, field):
    incident = open_incident(alice)
    before = snapshot()
    with pytest.raises(DomainError) as excinfo:
        incident_add_note(incident=incident, text=text, user=alice, at=at, now=T0)
    assert excinfo.value.field == field
    assert snapshot() == before


# --- incident_update --------------------------------------------------------------------
def test_update_descriptive_fields(alice):
    incident = open_incident(alice)
    at = T0 + timedelta(minutes=15)
    incident = incident_update(
        incident=incident,
        user=alice,
        expected_version=1,
        now=at,
        title="Checkout down in EU",
        customer_impact="EU customers cannot pay",
    )
    incident.refresh_from_db()
    assert incident.title == "Checkout down in EU"
    assert incident.customer_impact == "EU customers cannot pay"
    assert incident.version == 2
    [entry] = timeline(incident, "updated")
    assert (entry.author, entry.at) == (alice, at)
    assert entry.text == "Updated title, customer impact"
    history = latest_history(incident)
    assert history.history_user == alice
    assert history.history_change_reason == "Updated title, customer impact"


def test_update_with_stale_version_is_refused_and_writes_nothing(alice, bob):
    incident = open_incident(alice)
    # both open the edit page at version 1; bob saves first
    incident_update(incident=incident, user=bob, expected_version=1, now=T0, title="Bob's title")
    persisted, before = row(incident), snapshot()
    with pytest.raises(ConcurrentModification) as excinfo:
        incident_update(
            incident=incident, user=alice, expected_version=1, now=T0, title="Alice's title"
        )
    assert "your version 1, now 2" in excinfo.value.message
    assert incident.reference in excinfo.value.message
    assert row(incident) == persisted
    assert row(incident)["title"] == "Bob's title"
    assert snapshot() == before


def test_update_after_a_transition_needs_the_new_version(alice):
    incident = walk(open_incident(alice), alice, "triaged")
    with pytest.raises(ConcurrentModification):
        incident_update(incident=incident, user=alice, expected_version=1, title="x")
    incident_update(incident=incident, user=alice, expected_version=2, now=T0, title="x")


def test_update_type_changes_category(alice):
    incident = open_incident(alice, type="service_outage")
    incident = incident_update(incident=incident, user=alice, now=T0, type="unauthorized_access")
    incident.refresh_from_db()
    assert (incident.type, incident.category) == ("unauthorized_access", "security")
    assert latest_history(incident).category == "security"


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "closed"},
        {"reference": "INC-19990101-000000"},
        {"category": "security"},
        {"resolved_at": T0},
        {"acknowledged_at": T0},
        {"detected_at": T0 - timedelta(days=1)},
        {"response_due_at": T0 + timedelta(days=9)},
        {"version": 99},
        {"title": "fine", "cancel_reason": "sneaky"},
    ],
)
def test_update_refuses_non_editable_fields(alice, fields):
    incident = open_incident(alice)
    persisted, before = row(incident), snapshot()
    with pytest.raises(DomainError):
        incident_update(incident=incident, user=alice, now=T0, **fields)
    assert row(incident) == persisted
    assert snapshot() == before


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "  "}, "title"),
        ({"type": "phishing"}, "type"),
        ({"detection_source": "pager"}, "detection_source"),
        ({"started_at": T0 + timedelta(minutes=1)}, "started_at"),
        ({"severity": "P7"}, "severity"),
    ],
)
def test_update_refuses_bad_values(alice, fields, field):
    incident = open_incident(alice)
    persisted, before = row(incident), snapshot()
    with pytest.raises(DomainError) as excinfo:
        incident_update(incident=incident, user=alice, now=T0, **fields)
    assert excinfo.value.field == field
    assert row(incident) == persisted
    assert snapshot() == before


def test_update_strips_the_title(alice):
    incident = open_incident(alice)
    incident_update(incident=incident, user=alice, now=T0, title="  Padded  ")
    assert row(incident)["title"] == "Padded"


def test_update_without_changes_writes_nothing(alice):
    incident = open_incident(alice, summary="same")
    before = snapshot()
    result = incident_update(
        incident=incident, user=alice, now=T0, expected_version=1, summary="same"
    )
    assert result.version == 1
    assert snapshot() == before


def test_update_affected_services(alice):
    checkout, payments = ServiceFactory.create_batch(2)
    incident = open_incident(alice, affected_services=[checkout])
    incident = incident_update(
        incident=incident, user=alice, now=T0, affected_services=[checkout, payments]
    )
    assert set(incident.affected_services.all()) == {checkout, payments}
    assert timeline(incident, "updated")[0].text == "Updated affected services"
    latest = latest_history(incident)
    assert latest.history_user == alice
    assert {m2m.service_id for m2m in latest.affected_services.all()} == {
        checkout.pk,
        payments.pk,
    }


def test_update_severity_recomputes_due(alice):
    incident = open_incident(alice, severity="P3")
    incident = incident_update(incident=incident, user=alice, now=T0, severity="P1")
    incident.refresh_from_db()
    assert incident.severity == "P1"
    assert incident.response_due_at == T0 + timedelta(hours=1)
    assert timeline(incident, "severity_change")[0].text == "Severity P3 → P1"


@pytest.mark.parametrize("path", [["cancelled"], ["resolved", "closed"]])
def test_update_cannot_change_severity_of_final_incident(alice, path):
    incident = walk(open_incident(alice, severity="P3"), alice, *path)
    persisted, before = row(incident), snapshot()
    with pytest.raises(DomainError):
        incident_update(incident=incident, user=alice, now=T0, severity="P0")
    assert row(incident) == persisted
    assert snapshot() == before


def test_update_accepts_a_one_shot_iterable_of_services(alice):
    checkout, payments = ServiceFactory.create_batch(2)
    incident = open_incident(alice)
    incident = incident_update(
        incident=incident, user=alice, now=T0, affected_services=(s for s in [checkout, payments])
    )
    assert set(incident.affected_services.all()) == {checkout, payments}


def test_update_of_fields_and_severity_gives_each_change_its_own_reason(alice):
    incident = open_incident(alice, severity="P3")
    incident = incident_update(
        incident=incident, user=alice, expected_version=1, now=T0, title="Worse", severity="P1"
    )
    assert incident.version == 3
    first, second = incident.history.order_by("history_id")[1:]
    assert (first.title, first.severity, first.history_change_reason) == (
        "Worse",
        "P3",
        "Updated title",
    )
    assert (second.title, second.severity, second.history_change_reason) == (
        "Worse",
        "P1",
        "Severity P3 → P1",
    )
    kinds = [e.kind for e in timeline(incident) if e.kind in ("updated", "severity_change")]
    assert kinds == ["updated", "severity_change"]


def test_create_moves_past_references_it_saw_taken_even_if_not_yet_visible(alice, monkeypatch):
    """In an alert storm the winners' rows are not visible yet: a loser must not compute
    the same taken reference again and again."""
    open_incident(alice)
    real_next_reference = incident_services._next_reference
    seen = []

    def blind_next_reference(detected_at, also_taken=frozenset()):
        seen.append(set(also_taken))
        # Pretend the committed rows are invisible: only what this call has tried counts.
        base = real_next_reference(detected_at, also_taken)
        return base if also_taken else "INC-20260314-090000"

    monkeypatch.setattr(incident_services, "_next_reference", blind_next_reference)
    second = open_incident(alice)
    assert second.reference == "INC-20260314-090000-2"
    assert seen == [set(), {"INC-20260314-090000"}]

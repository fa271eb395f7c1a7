"""incidents.services.checklists: the phase checklists a move opens, and ticking steps."""

from datetime import timedelta

import pytest

from incidents.domain import DomainError
from incidents.models import ChecklistItem
from incidents.services import checklist_item_set_done, incident_transition
from tests.incidents.services.helpers import (
    ALL_TYPES,
    DATA_RECOVERY_TYPES,
    RESOLUTION_STEPS,
    T0,
    open_incident,
    sections,
    snapshot,
    timeline,
    walk,
)

pytestmark = pytest.mark.django_db


def test_lifecycle_instantiates_each_phase_checklist(alice):
    incident = open_incident(alice, type="service_outage")
    count = ChecklistItem.objects.filter(incident=incident).count
    assert count() == 5

    incident = walk(incident, alice, "triaged")
    assert sections(incident, "investigation") == {
        "Gather information",
        "Identify root cause",
        "Assess impact",
    }
    assert count() == 5 + 12

    incident = walk(incident, alice, "investigating", start=T0 + timedelta(minutes=10))
    assert sections(incident, "containment") == {"Immediate containment"}
    assert count() == 5 + 12 + 4

    incident = walk(incident, alice, "contained", start=T0 + timedelta(minutes=20))
    resolution = ChecklistItem.objects.filter(incident=incident, phase="resolution")
    assert [i.text for i in resolution.order_by("order")] == RESOLUTION_STEPS
    assert sections(incident, "recovery") == {"System restoration"}
    assert count() == 5 + 12 + 4 + 5 + 4

    walk(incident, alice, "resolved", "closed", start=T0 + timedelta(minutes=30))
    assert count() == 30
    # the whole list reads in phase order
    phases = list(
        ChecklistItem.objects.filter(incident=incident)
        .order_by("order")
        .values_list("phase", flat=True)
    )
    order = ["triage", "investigation", "containment", "resolution", "recovery"]
    assert phases == sorted(phases, key=order.index)


def test_checklist_timeline_entry_names_the_phases(alice):
    incident = open_incident(alice)
    at = T0 + timedelta(minutes=2)
    incident_transition(incident=incident, to_status="contained", user=alice, now=at)
    entry = timeline(incident, "checklist")[-1]
    assert entry.text == (
        "Checklist opened for investigation, containment, resolution, recovery (25 steps)."
    )
    assert entry.at == at


@pytest.mark.parametrize("incident_type", ALL_TYPES)
def test_security_containment_only_for_security_incidents(alice, incident_type):
    incident = open_incident(alice, type=incident_type)
    walk(incident, alice, "investigating")
    expected = {"Immediate containment"}
    if incident_type in {"unauthorized_access", "data_breach", "malware", "ddos", "insider_threat"}:
        expected.add("Security containment")
    assert sections(incident, "containment") == expected


@pytest.mark.parametrize("incident_type", ALL_TYPES)
def test_data_recovery_only_for_listed_types(alice, incident_type):
    incident = open_incident(alice, type=incident_type)
    walk(incident, alice, "contained")
    expected = {"System restoration"}
    if incident_type in DATA_RECOVERY_TYPES:
        expected.add("Data recovery")
    assert sections(incident, "recovery") == expected


def test_skipping_states_instantiates_skipped_phases(alice):
    incident = open_incident(alice, type="data_corruption")
    at = T0 + timedelta(minutes=9)
    incident = incident_transition(
        incident=incident, to_status="resolved", user=alice, now=at, resolution_summary="Fixed"
    )
    incident.refresh_from_db()
    assert incident.resolved_at == at
    assert incident.acknowledged_at == at
    assert incident.triaged_at is None  # skipped states are not invented
    assert incident.contained_at is None
    per_phase = {
        phase: ChecklistItem.objects.filter(incident=incident, phase=phase).count()
        for phase in ["triage", "investigation", "containment", "resolution", "recovery"]
    }
    assert per_phase == {
        "triage": 5,
        "investigation": 12,
        "containment": 4,
        "resolution": 5,
        "recovery": 8,
    }


def test_disabled_template_is_not_instantiated(alice):
    from incidents.models import ChecklistTemplate

    ChecklistTemplate.objects.filter(name="Assess impact").update(active=False)
    incident = walk(open_incident(alice), alice, "triaged")
    assert sections(incident, "investigation") == {"Gather information", "Identify root cause"}


# --- checklist --------------------------------------------------------------------------
def test_tick_and_untick_a_checklist_step(alice, bob):
    incident = open_incident(alice)
    item = ChecklistItem.objects.filter(incident=incident).order_by("order").first()
    assert item.text == "Assess severity level"

    done_at = T0 + timedelta(minutes=3)
    item = checklist_item_set_done(item=item.pk, done=True, user=bob, now=done_at)
    item.refresh_from_db()
    assert item.is_done
    assert (item.done_at, item.done_by) == (done_at, bob)
    entry = timeline(incident, "checklist")[-1]
    assert (entry.text, entry.author, entry.at) == ("Done: Assess severity level", bob, done_at)
    latest = item.history.order_by("-history_id").first()
    assert latest.history_user == bob
    assert latest.history_change_reason == "Done: Assess severity level"

    undone_at = T0 + timedelta(minutes=4)
    item = checklist_item_set_done(item=item, done=False, user=alice, now=undone_at)
    item.refresh_from_db()
    assert not item.is_done
    assert (item.done_at, item.done_by) == (None, None)
    entry = timeline(incident, "checklist")[-1]
    assert (entry.text, entry.author, entry.at) == (
        "Reopened: Assess severity level",
        alice,
        undone_at,
    )


def test_ticking_twice_changes_nothing(alice, bob):
    incident = open_incident(alice)
    item = ChecklistItem.objects.filter(incident=incident).first()
    checklist_item_set_done(item=item, done=True, user=bob, now=T0)
    before = snapshot()
    again = checklist_item_set_done(item=item, done=True, user=alice, now=T0 + timedelta(hours=1))
    assert (again.done_at, again.done_by) == (T0, bob)
    assert snapshot() == before


def test_a_step_is_ticked_by_a_person(alice):
    incident = open_incident(alice)
    item = ChecklistItem.objects.filter(incident=incident).first()
    before = snapshot()
    with pytest.raises(DomainError):
        checklist_item_set_done(item=item, done=True, user=None, now=T0)
    assert snapshot() == before

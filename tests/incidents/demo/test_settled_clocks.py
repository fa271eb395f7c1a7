"""A demo load settles its clocks: the scenarios' past is marked as handled without
sending, so the first run of the beat sweeps pages nobody about it."""

from datetime import UTC, datetime, timedelta

import pytest

from incidents.choices import TimelineKind
from incidents.communications.services import status_updates_sweep
from incidents.demo import load_demo_dataset
from incidents.escalation.services import escalations_dispatch
from incidents.models import Delivery, EscalationEvent, Incident, TimelineEntry
from incidents.outbox.services import deliveries_relay
from postmortems.models import ActionItem, PostIncidentTask
from postmortems.services import reminders_sweep
from reporting.breach.reminders import obligation_reminders_dispatch
from reporting.preparedness.models import (
    ContactVerification,
    Drill,
    ProcedureReview,
    TrainingRecord,
)
from reporting.preparedness.reminders import send_preparedness_reminders

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 27, 13, 45, tzinfo=UTC)
SETTLED = "Demo data: settled without sending"


@pytest.fixture
def demo():
    load_demo_dataset(password="demo-pw", now=NOW)


def test_after_a_demo_load_the_incident_sweeps_page_nobody(demo):
    assert Delivery.objects.count() == 0
    assert escalations_dispatch(now=NOW).levels_fired == 0
    assert status_updates_sweep(now=NOW)["reminded"] == 0
    assert Delivery.objects.count() == 0
    assert not Incident.objects.filter(next_escalation_at__lte=NOW).exists()


def test_what_was_due_is_recorded_as_handled_without_paging(demo):
    settled = EscalationEvent.objects.all()
    assert settled.exists()
    assert all(event.targets == [] for event in settled)
    notes = TimelineEntry.objects.filter(
        kind=TimelineKind.ESCALATION, text__contains="nobody paged"
    )
    assert notes.count() == settled.count()
    event = settled.first()
    assert "settled without paging" in event.history.first().history_change_reason


def test_clocks_that_come_due_later_still_fire(demo):
    later = NOW + timedelta(days=2)
    open_with_clock = Incident.objects.filter(next_escalation_at__isnull=False)
    if not open_with_clock.exists():
        pytest.skip("no demo incident has a level still ahead")
    assert escalations_dispatch(now=later).levels_fired >= 1
    assert Delivery.objects.exists()


def _every_beat_sweep_once(now):
    escalations_dispatch(now=now)
    status_updates_sweep(now=now)
    reminders_sweep(now=now)
    obligation_reminders_dispatch(now=now)
    send_preparedness_reminders(now=now)
    deliveries_relay(now=now)


def test_after_a_demo_load_every_beat_sweep_sends_nothing(demo):
    _every_beat_sweep_once(NOW)
    assert Delivery.objects.count() == 0
    for model in (
        PostIncidentTask,
        ActionItem,
        ProcedureReview,
        Drill,
        ContactVerification,
        TrainingRecord,
    ):
        assert not model.objects.filter(next_reminder_at__lte=NOW).exists(), model


def test_post_incident_reminders_past_at_load_are_recorded_as_settled(demo):
    settled = [
        row
        for model in (PostIncidentTask, ActionItem)
        for row in model.objects.filter(reminders_sent__gt=0)
    ]
    assert settled
    for row in settled:
        assert row.history.filter(history_change_reason=SETTLED).exists(), row


def test_preparedness_reminders_past_at_load_are_recorded_as_settled(demo):
    settled = [
        row
        for model in (ProcedureReview, Drill, ContactVerification, TrainingRecord)
        for row in model.objects.filter(reminders_sent__gt=0)
    ]
    assert settled
    for row in settled:
        assert row.history.filter(history_change_reason=SETTLED).exists(), row

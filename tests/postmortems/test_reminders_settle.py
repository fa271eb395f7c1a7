"""Settling post-incident reminders (a demo load): what is past is recorded as sent without
sending, the clock moves on as the sweep would, and later reminders still go out."""

from datetime import timedelta

import pytest

from incidents import services
from incidents.choices import DetectionSource, IncidentType, ResponseRole, Severity, Status
from incidents.models import Delivery
from postmortems import services as pm
from postmortems.models import PostIncidentTask
from tests.incidents.builders import UserFactory

pytestmark = pytest.mark.django_db


def resolved_incident(now):
    owner = UserFactory(username="ic")
    incident = services.incident_create(
        title="Checkout returns 502",
        severity=Severity.P1,
        type=IncidentType.SERVICE_OUTAGE,
        detection_source=DetectionSource.CLOUDWATCH_ALARM,
        customer_impact="Customers cannot pay",
        user=None,
        now=now,
    )
    services.incident_assign_role(
        incident=incident, role=ResponseRole.INCIDENT_COMMANDER, assignee=owner, user=None
    )
    services.incident_transition(
        incident=incident,
        to_status=Status.RESOLVED,
        resolution_summary="Rolled back",
        user=None,
        now=now,
    )
    return incident


def test_settled_due_reminders_are_not_sent_and_the_overdue_one_still_is(now):
    incident = resolved_incident(now)
    steps = PostIncidentTask.objects.filter(incident=incident, stage="immediate")
    settled_at = now + timedelta(hours=18)  # the "due" reminders are past, the deadline not
    assert pm.reminders_settle(now=settled_at) == {"tasks": 5, "action_items": 0}
    assert not Delivery.objects.exists()
    for step in steps:
        assert step.reminders_sent == 1 and step.next_reminder_at == step.due_at
        assert step.history.first().history_change_reason == pm.DEMO_SETTLED_REASON
    assert pm.reminders_sweep(now=settled_at)["tasks"] == 0
    # Past the deadline: the overdue reminder goes out as usual.
    assert pm.reminders_sweep(now=now + timedelta(hours=25))["tasks"] == 5
    assert Delivery.objects.filter(idempotency_key__contains=":overdue:").count() == 5
    assert not Delivery.objects.filter(idempotency_key__contains=":due:").exists()


def test_settling_after_the_deadline_stops_the_clock(now):
    incident = resolved_incident(now)
    settled_at = now + timedelta(hours=30)
    assert pm.reminders_settle(now=settled_at)["tasks"] >= 5
    for step in PostIncidentTask.objects.filter(incident=incident, stage="immediate"):
        assert step.reminders_sent == 2 and step.next_reminder_at is None
    assert pm.reminders_sweep(now=settled_at) == {"tasks": 0, "action_items": 0}
    assert not Delivery.objects.exists()

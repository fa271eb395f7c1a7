"""Escalation services against the database: the matrix on the clock, targets, the SLA
breach, re-planning and exactly-once firing. Time is passed in (`now=`)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Group
from django.core import mail

from incidents import services
from incidents.choices import Channel, DeliveryStatus, EscalationReason, TimelineKind
from incidents.escalation.services import escalations_dispatch, escalations_overdue
from incidents.models import (
    ContactPoint,
    Delivery,
    EscalationEvent,
    EscalationLevel,
    Incident,
    OnCallShift,
    PositionHolder,
)
from incidents.outbox.services import deliveries_relay
from tests.incidents.builders import ServiceFactory, UserFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 27, 13, 45, tzinfo=UTC)


@pytest.fixture
def staff():
    """A realistic rota: one on-call engineer, leads and executives mapped to positions."""
    people = {
        name: UserFactory(username=name, email=f"{name}@harborlist.test")
        for name in ("oncall", "tl", "teamlead", "cto", "ceo", "ic")
    }
    OnCallShift.objects.create(
        user=people["oncall"], starts_at=T0 - timedelta(days=1), ends_at=T0 + timedelta(days=1)
    )
    for position, name in [
        ("technical_lead", "tl"),
        ("team_lead", "teamlead"),
        ("cto", "cto"),
        ("ceo", "ceo"),
        ("incident_commander", "ic"),
    ]:
        PositionHolder.objects.get(position=position).users.add(people[name])
    return people


def open_incident(severity="P0", at=T0, **kwargs):
    return services.incident_create(
        title="Checkout returns 502",
        severity=severity,
        type="service_outage",
        detection_source="cloudwatch_alarm",
        detected_at=at,
        now=at,
        user=None,
        **kwargs,
    )


def paged(incident, level):
    return EscalationEvent.objects.get(incident=incident, level=level).targets


def emails_to(incident, level):
    event = EscalationEvent.objects.get(incident=incident, level=level)
    return sorted(
        Delivery.objects.filter(
            incident=incident,
            channel=Channel.EMAIL,
            idempotency_key__startswith=f"escalation:{event.pk}:",
        ).values_list("target", flat=True)
    )


def test_opening_copies_the_matrix_and_starts_the_clock(staff):
    incident = open_incident("P0")
    steps = list(incident.escalation_steps.values_list("level", "due_at", "positions"))
    assert steps == [
        (1, T0, ["on_call_engineer"]),
        (2, T0 + timedelta(minutes=30), ["technical_lead", "incident_commander"]),
        (3, T0 + timedelta(hours=1), ["cto", "ceo"]),
    ]
    assert incident.next_escalation_at == T0


def test_p0_pages_on_call_then_leads_then_executives(staff):
    incident = open_incident("P0")
    services.incident_acknowledge(
        incident=incident, user=staff["oncall"], now=T0 + timedelta(minutes=2)
    )

    escalations_dispatch(now=T0 + timedelta(seconds=30))
    assert paged(incident, 1) == ["oncall"]
    assert emails_to(incident, 1) == ["oncall@harborlist.test"]
    assert not EscalationEvent.objects.filter(incident=incident, level=2).exists()

    escalations_dispatch(now=T0 + timedelta(minutes=30))
    assert paged(incident, 2) == ["tl", "ic"]
    escalations_dispatch(now=T0 + timedelta(minutes=61))
    assert paged(incident, 3) == ["cto", "ceo"]
    assert emails_to(incident, 3) == ["ceo@harborlist.test", "cto@harborlist.test"]
    incident.refresh_from_db()
    assert incident.next_escalation_at is None
    texts = list(
        incident.timeline.filter(kind=TimelineKind.ESCALATION).values_list("text", flat=True)
    )
    assert len(texts) == 3 and "level 3" in texts[-1]


@pytest.mark.parametrize(
    ("severity", "levels"),
    [
        ("P1", [["on_call_engineer"], ["technical_lead"], ["cto"]]),
        ("P2", [["assigned_engineer"], ["team_lead"], ["technical_lead"]]),
        ("P3", [["assigned_engineer"], ["team_lead"]]),
    ],
)
def test_each_severity_gets_its_row_of_the_matrix(staff, severity, levels):
    incident = open_incident(severity)
    assert [step.positions for step in incident.escalation_steps.all()] == levels


def test_matrix_edits_do_not_change_running_incidents(staff):
    incident = open_incident("P1")
    EscalationLevel.objects.filter(severity="P1", level=2).update(delay_minutes=5)
    step = incident.escalation_steps.get(level=2)
    assert step.due_at == T0 + timedelta(minutes=30)
    assert open_incident("P1", at=T0 + timedelta(seconds=1)).escalation_steps.get(
        level=2
    ).due_at == T0 + timedelta(seconds=1, minutes=5)


def test_unacknowledged_incident_breaches_sla_and_pages_the_next_level_at_once(staff):
    incident = open_incident("P0")
    escalations_dispatch(now=T0)
    result = escalations_dispatch(now=T0 + timedelta(minutes=15))
    incident.refresh_from_db()
    assert result.sla_breaches == 1
    assert incident.sla_breached_at == T0 + timedelta(minutes=15)
    event = EscalationEvent.objects.get(incident=incident, level=2)
    assert event.reason == EscalationReason.SLA_BREACH
    assert event.fired_at == T0 + timedelta(minutes=15)
    assert incident.next_escalation_at == T0 + timedelta(hours=1)
    # Level 2 is not paged again at its scheduled time.
    escalations_dispatch(now=T0 + timedelta(minutes=31))
    assert EscalationEvent.objects.filter(incident=incident).count() == 2


def test_acknowledged_in_time_is_not_breached(staff):
    incident = open_incident("P0")
    services.incident_acknowledge(
        incident=incident, user=staff["oncall"], now=T0 + timedelta(minutes=3)
    )
    escalations_dispatch(now=T0 + timedelta(minutes=20))
    incident.refresh_from_db()
    assert incident.sla_breached_at is None
    assert set(
        EscalationEvent.objects.filter(incident=incident).values_list("level", flat=True)
    ) == {1}


def test_resolution_stops_further_levels(staff):
    incident = open_incident("P1")
    escalations_dispatch(now=T0)
    services.incident_transition(
        incident=incident,
        to_status="resolved",
        resolution_summary="Rolled back",
        user=staff["oncall"],
        now=T0 + timedelta(minutes=10),
    )
    incident.refresh_from_db()
    assert incident.next_escalation_at is None
    escalations_dispatch(now=T0 + timedelta(hours=2))
    assert list(
        EscalationEvent.objects.filter(incident=incident).values_list("level", flat=True)
    ) == [1]


def test_a_level_can_stop_on_acknowledgement_instead(staff):
    EscalationLevel.objects.filter(severity="P1", level=2).update(stop_condition="acknowledged")
    incident = open_incident("P1")
    services.incident_acknowledge(
        incident=incident, user=staff["oncall"], now=T0 + timedelta(minutes=5)
    )
    escalations_dispatch(now=T0 + timedelta(minutes=61))
    assert list(
        EscalationEvent.objects.filter(incident=incident).values_list("level", flat=True)
    ) == [1, 3]


def test_severity_change_replans_and_never_refires_a_level(staff):
    incident = open_incident("P3")
    escalations_dispatch(now=T0)  # P3 level 1: assigned engineer (falls back to on-call)
    assert paged(incident, 1) == ["oncall"]
    services.incident_acknowledge(
        incident=incident, user=staff["oncall"], now=T0 + timedelta(minutes=1)
    )
    services.incident_change_severity(
        incident=incident, severity="P0", user=staff["ic"], now=T0 + timedelta(minutes=45)
    )
    incident.refresh_from_db()
    assert incident.next_escalation_at == T0 + timedelta(minutes=30)  # P0 level 2 is past due
    escalations_dispatch(now=T0 + timedelta(minutes=45))
    assert paged(incident, 2) == ["tl", "ic"]
    assert EscalationEvent.objects.filter(incident=incident, level=1).count() == 1
    steps = dict(incident.escalation_steps.values_list("level", "positions"))
    assert steps[3] == ["cto", "ceo"]


def test_role_holders_on_the_incident_take_precedence(staff):
    incident = open_incident("P0")
    holder = UserFactory(username="tl.on.incident", email="tl2@harborlist.test")
    services.incident_assign_role(
        incident=incident, role="technical_lead", assignee=holder, user=staff["ic"], now=T0
    )
    services.incident_assign_role(
        incident=incident, role="incident_commander", assignee=holder, user=staff["ic"], now=T0
    )
    escalations_dispatch(now=T0 + timedelta(minutes=30))
    # One person holding both positions is paged once.
    assert paged(incident, 2) == ["tl.on.incident"]
    assert emails_to(incident, 2) == ["tl2@harborlist.test"]


def test_group_mapping_and_service_specific_on_call(staff):
    payments = ServiceFactory(name="payments")
    specialist = UserFactory(username="payments.oncall", email="pay@harborlist.test")
    OnCallShift.objects.create(
        user=specialist,
        service=payments,
        starts_at=T0 - timedelta(hours=1),
        ends_at=T0 + timedelta(hours=8),
    )
    execs = Group.objects.create(name="Executives")
    vp = UserFactory(username="vp", email="vp@harborlist.test")
    vp.groups.add(execs)
    holder = PositionHolder.objects.get(position="ceo")
    holder.group = execs
    holder.save()

    incident = open_incident("P0", affected_services=[payments])
    escalations_dispatch(now=T0 + timedelta(hours=1))
    assert paged(incident, 1) == ["payments.oncall"]
    assert paged(incident, 3) == ["cto", "ceo", "vp"]


def test_contact_points_decide_channels(staff, settings):
    settings.HARBORMASTER_CHAT_WEBHOOK_URL = "http://127.0.0.1:9/hooks/chat"
    ContactPoint.objects.create(user=staff["oncall"], chat_handle="U123", accepts_email=False)
    incident = open_incident("P1")
    escalations_dispatch(now=T0)
    deliveries = Delivery.objects.filter(incident=incident)
    assert not deliveries.filter(channel=Channel.EMAIL).exists()
    chat = deliveries.get(channel=Channel.CHAT)
    assert "<@U123>" in chat.body
    assert "INCIDENT ALERT - P1" in chat.body
    assert incident.reference in chat.body
    assert f"/admin/incidents/incident/{incident.pk}/change/" in chat.body


def test_nobody_mapped_is_recorded_not_silently_skipped():
    incident = open_incident("P1")
    escalations_dispatch(now=T0)
    assert paged(incident, 1) == []
    assert incident.timeline.filter(text__contains="paged nobody").exists()


def test_dispatch_is_idempotent_and_each_level_fires_once(staff):
    incident = open_incident("P0")
    for _ in range(3):
        escalations_dispatch(now=T0 + timedelta(hours=2))
    assert EscalationEvent.objects.filter(incident=incident).count() == 3
    assert Delivery.objects.filter(incident=incident).count() == 5


def test_dispatch_cost_follows_the_number_due(staff, django_assert_max_num_queries):
    for minute in range(30):
        open_incident("P3", at=T0 + timedelta(minutes=minute))
    # Nothing is due before level 1 of the first one: a single indexed query.
    with django_assert_max_num_queries(1):
        result = escalations_dispatch(now=T0 - timedelta(minutes=1))
    assert result.levels_fired == 0


def test_watchdog_reports_escalations_due_but_not_dispatched(staff):
    incident = open_incident("P1")
    assert list(escalations_overdue(now=T0 + timedelta(minutes=3), grace_minutes=5)) == []
    assert list(escalations_overdue(now=T0 + timedelta(minutes=6), grace_minutes=5)) == [incident]
    escalations_dispatch(now=T0 + timedelta(minutes=6))
    assert list(escalations_overdue(now=T0 + timedelta(minutes=6), grace_minutes=5)) == []


def test_pages_are_sent_by_the_relay(staff):
    incident = open_incident("P0")
    escalations_dispatch(now=T0)
    counts = deliveries_relay(now=T0 + timedelta(seconds=5))
    assert counts == {"sent": 1}
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["oncall@harborlist.test"]
    assert "[P0]" in message.subject and incident.reference in message.subject
    assert "INCIDENT ALERT - P0" in message.body
    delivery = Delivery.objects.get(incident=incident)
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 1
    assert deliveries_relay(now=T0 + timedelta(minutes=5)) == {}
    assert len(mail.outbox) == 1


def test_admin_pages_for_escalation_render(client, staff):
    root = UserFactory(username="root", is_superuser=True)
    client.force_login(root)
    open_incident("P0")
    escalations_dispatch(now=T0)
    for name in (
        "escalationlevel",
        "positionholder",
        "oncallshift",
        "contactpoint",
        "escalationevent",
        "delivery",
    ):
        response = client.get(f"/admin/incidents/{name}/")
        assert response.status_code == 200, name
    shifts = client.get("/admin/incidents/oncallshift/").content.decode()
    assert "On call now:" in shifts
    incident = Incident.objects.get()
    assert (
        "Escalations fired"
        in client.get(f"/admin/incidents/incident/{incident.pk}/change/").content.decode()
    )


def test_incident_list_warns_when_escalations_are_overdue(client):
    from django.utils import timezone

    root = UserFactory(username="root", is_superuser=True)
    client.force_login(root)
    ten_minutes_ago = timezone.now() - timedelta(minutes=10)
    incident = open_incident("P1", at=ten_minutes_ago)
    body = client.get("/admin/incidents/incident/").content.decode()
    assert "Escalations are overdue" in body and incident.reference in body
    escalations_dispatch()
    body = client.get("/admin/incidents/incident/").content.decode()
    assert "Escalations are overdue" not in body

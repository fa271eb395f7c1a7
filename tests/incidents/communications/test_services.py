"""Communications: the spec's templates rendered line by line, sending through the outbox,
the admin send page and template preview, and the update cadence reminders."""

from datetime import timedelta

import pytest
from django.urls import reverse

from incidents import services
from incidents.choices import (
    DetectionSource,
    IncidentType,
    ResponseRole,
    Severity,
    StaffGroup,
    Status,
    TimelineKind,
)
from incidents.communications import domain
from incidents.communications.services import communication_send, status_updates_sweep
from incidents.domain import DomainError
from incidents.models import (
    Communication,
    CommunicationCadence,
    CommunicationTemplate,
    Delivery,
    StatusUpdateClock,
)
from tests.incidents.builders import UserFactory

pytestmark = pytest.mark.django_db


def open_incident(now, severity=Severity.P0, **kwargs):
    data = dict(
        title="Checkout returns 502",
        severity=severity,
        type=IncidentType.SERVICE_OUTAGE,
        detection_source=DetectionSource.CLOUDWATCH_ALARM,
        summary="Card payments fail at checkout",
        customer_impact="Customers cannot pay",
        public_title="Card payments failing",
        public_summary="Some card payments fail at checkout",
        public_impact="You may be unable to pay by card",
        user=None,
        now=now,
    )
    data.update(kwargs)
    return services.incident_create(**data)


def template(kind):
    return CommunicationTemplate.objects.get(kind=kind)


# --- rendering (pure) -------------------------------------------------------------------
@pytest.mark.parametrize("severity", Severity.values)
def test_initial_notification_follows_the_spec_line_by_line(severity):
    _name, subject, body = domain.DEFAULT_TEMPLATES["initial"]
    values = domain.incident_values(
        reference="INC-20261127-134502",
        severity=severity,
        title="Checkout down",
        summary="Checkout returns 502",
        customer_impact="Customers cannot pay",
        business_impact="",
        status_label="Investigating",
        resolution_summary="",
        started_at=None,
        detected_at=__import__("datetime").datetime(2026, 11, 27, 13, 45, 2),
        resolved_at=None,
        sender_fields={"eta": "15:00 UTC", "updates": "#inc-checkout"},
    )
    rendered = domain.render(subject=subject, body=body, values=values)
    assert rendered.body.splitlines() == [
        f"INCIDENT ALERT - {severity}",
        "Incident ID: INC-20261127-134502",
        "Summary: Checkout returns 502",
        "Impact: Customers cannot pay",
        "Status: Investigating",
        "ETA: 15:00 UTC",
        "Updates: #inc-checkout",
    ]
    assert rendered.complete


@pytest.mark.parametrize("severity", Severity.values)
def test_status_update_and_resolution_follow_the_spec(severity, now):
    incident = open_incident(now, severity=severity)
    services.incident_transition(
        incident=incident, to_status=Status.INVESTIGATING, user=None, now=now
    )
    incident.refresh_from_db()
    from incidents.communications.services import render_for_incident

    update = render_for_incident(
        template=template("update"),
        incident=incident,
        fields={"progress": "Rolled back", "next_steps": "Watch errors", "eta": "30 min"},
    )
    assert update.body.splitlines() == [
        f"INCIDENT UPDATE - {severity}",
        f"Incident ID: {incident.reference}",
        "Status: Investigating",
        "Progress: Rolled back",
        "Next Steps: Watch errors",
        "ETA: 30 min",
    ]
    services.incident_transition(
        incident=incident,
        to_status=Status.RESOLVED,
        resolution_summary="Bad deploy rolled back",
        user=None,
        now=now + timedelta(hours=1, minutes=5),
    )
    incident.refresh_from_db()
    resolution = render_for_incident(
        template=template("resolution"),
        incident=incident,
        fields={"root_cause": "Config typo", "prevention": "Config linting"},
    )
    assert resolution.body.splitlines() == [
        "INCIDENT RESOLVED",
        f"Incident ID: {incident.reference}",
        "Resolution: Bad deploy rolled back",
        "Root Cause: Config typo",
        "Prevention: Config linting",
        "Duration: 1h 5m",
    ]
    assert resolution.subject == f"INCIDENT RESOLVED: {incident.reference}"


def test_missing_placeholders_are_marked_and_listed():
    rendered = domain.render(subject="{incident_id}", body="ETA: {eta}\nX: {progress}", values={
        "incident_id": "INC-1", "eta": "", "progress": "  "})  # fmt: skip
    assert rendered.body == "ETA: [missing: eta]\nX: [missing: progress]"
    assert rendered.missing == ("eta", "progress")


def test_unknown_placeholder_is_a_template_error():
    with pytest.raises(domain.TemplateSyntaxProblem, match="shoe_size"):
        domain.placeholders_in("Hello {shoe_size}")


# --- sending ----------------------------------------------------------------------------
def test_send_records_the_communication_and_queues_idempotent_deliveries(now, settings):
    settings.HARBORMASTER_CHAT_WEBHOOK_URL = "https://chat.example/hook"
    comms = UserFactory(username="clara")
    incident = open_incident(now)
    communication = communication_send(
        incident=incident,
        template=template("initial"),
        audience="internal",
        channels=["email", "chat"],
        email_recipients="team@harborlist.test, mgmt@harborlist.test",
        fields={"eta": "1 hour", "updates": "#inc"},
        user=comms,
        now=now,
    )
    assert communication.body.startswith("INCIDENT ALERT - P0\nIncident ID: INC-")
    assert communication.sent_by == comms and communication.sent_at == now
    keys = set(Delivery.objects.filter(incident=incident).values_list("idempotency_key", flat=True))
    assert {
        f"communication:{communication.pk}:email:team@harborlist.test",
        f"communication:{communication.pk}:email:mgmt@harborlist.test",
        f"communication:{communication.pk}:chat",
    } <= keys
    assert communication.history.first().history_user == comms
    sent = incident.timeline.get(text__contains="communication sent")
    assert sent.kind == TimelineKind.COMMUNICATION, "a system entry, not a person's note"
    # The update clock restarts from the send (P0: 30 minutes).
    assert StatusUpdateClock.objects.get(incident=incident).due_at == now + timedelta(minutes=30)


def test_send_is_refused_while_a_placeholder_is_missing(now):
    incident = open_incident(now)
    with pytest.raises(DomainError, match="eta"):
        communication_send(
            incident=incident,
            template=template("initial"),
            audience="internal",
            channels=["email"],
            email_recipients="team@harborlist.test",
            fields={"updates": "#inc"},
            user=None,
            now=now,
        )
    assert not Communication.objects.exists()
    assert not Delivery.objects.filter(idempotency_key__startswith="communication:").exists()


def test_status_page_only_for_external_audience(now):
    incident = open_incident(now)
    with pytest.raises(DomainError, match="status page"):
        communication_send(
            incident=incident,
            template=template("initial"),
            audience="internal",
            channels=["status_page"],
            fields={"eta": "1h", "updates": "status page"},
            user=None,
            now=now,
        )


# --- admin ------------------------------------------------------------------------------
@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="admin", is_superuser=True))
    return client


def test_admin_send_page_previews_refuses_missing_and_sends(admin_client, now):
    incident = open_incident(now)
    change = admin_client.get(reverse("admin:incidents_incident_change", args=[incident.pk]))
    url = reverse("admin:incidents_incident_communicate", args=[incident.pk])
    assert url in change.content.decode()
    page = admin_client.get(url)
    assert page.status_code == 200
    data = {
        "template": template("initial").pk,
        "audience": "external",
        "channels": ["status_page"],
        "updates": "status.harborlist.test",
    }
    preview = admin_client.post(url, {**data, "_preview": "1"})
    assert preview.status_code == 200
    assert "ETA: [missing: eta]" in preview.content.decode()
    refused = admin_client.post(url, {**data, "_send": "1"})
    assert refused.status_code == 400
    assert "fill in eta" in refused.content.decode()
    assert not Communication.objects.exists()
    sent = admin_client.post(url, {**data, "eta": "14:00 UTC", "_send": "1"})
    assert sent.status_code == 302
    communication = Communication.objects.get()
    assert communication.audience == "external" and communication.channels == ["status_page"]
    assert "ETA: 14:00 UTC" in communication.body


def test_template_admin_live_preview(admin_client, now):
    incident = open_incident(now)
    initial = template("initial")
    change_url = reverse("admin:incidents_communicationtemplate_change", args=[initial.pk])
    page = admin_client.get(change_url + f"?incident={incident.pk}")
    assert page.status_code == 200
    html = page.content.decode()
    assert f"Incident ID: {incident.reference}" in html and "[missing: eta]" in html
    preview = admin_client.post(
        reverse("admin:incidents_communicationtemplate_preview"),
        {"subject": "S {severity}", "body": "Hi {summary} / {eta}", "incident": incident.pk},
    )
    assert preview.json() == {
        "subject": "S P0",
        "body": "Hi Card payments fail at checkout / [missing: eta]",
        "missing": ["eta"],
    }
    bad = admin_client.post(
        reverse("admin:incidents_communicationtemplate_preview"),
        {"subject": "S", "body": "{nope}", "incident": incident.pk},
    )
    assert bad.status_code == 400
    for not_an_id in ("abc", "1.5", "²"):
        chosen = admin_client.post(
            reverse("admin:incidents_communicationtemplate_preview"),
            {"subject": "S", "body": "B", "incident": not_an_id},
        )
        assert chosen.status_code == 400, not_an_id  # was a 500 for text
        assert chosen.json() == {"error": "Choose an incident you can see."}


def test_template_edit_refuses_unknown_placeholder(admin_client):
    initial = template("initial")
    url = reverse("admin:incidents_communicationtemplate_change", args=[initial.pk])
    response = admin_client.post(url, {"name": "x", "subject": "s", "body": "{bogus}"})
    assert response.status_code == 200
    assert "Unknown placeholder" in response.content.decode()
    initial.refresh_from_db()
    assert "{bogus}" not in initial.body


def test_communication_list_query_count_is_constant(
    admin_client, now, django_assert_max_num_queries
):
    url = reverse("admin:incidents_communication_changelist")

    def add(n):
        for i in range(n):
            incident = open_incident(now - timedelta(minutes=i + 1), title=f"t{i}")
            communication_send(
                incident=incident,
                template=template("update"),
                audience="external",
                channels=["status_page"],
                fields={"progress": "p", "next_steps": "n", "eta": "e"},
                user=None,
                now=now,
            )

    add(2)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(url).status_code == 200
    add(5)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert admin_client.get(url + "?audience=external&q=INC").status_code == 200


# --- cadence ----------------------------------------------------------------------------
def test_overdue_update_reminds_the_communications_lead_once_per_period(now):
    lead = UserFactory(username="clara.comms")
    incident = open_incident(now)
    services.incident_assign_role(
        incident=incident, role=ResponseRole.COMMUNICATIONS_LEAD, assignee=lead, user=None, now=now
    )
    assert status_updates_sweep(now=now)["started"] == 1
    clock = StatusUpdateClock.objects.get(incident=incident)
    assert clock.due_at == incident.detected_at + timedelta(minutes=30)

    assert status_updates_sweep(now=now + timedelta(minutes=29))["reminded"] == 0
    late = now + timedelta(minutes=31)
    assert status_updates_sweep(now=late)["reminded"] == 1
    assert status_updates_sweep(now=late)["reminded"] == 0  # once
    reminders = Delivery.objects.filter(idempotency_key__startswith="update-reminder:")
    assert list(reminders.values_list("target", flat=True)) == ["clara.comms@harborlist.test"]
    # Still silent one interval later: the next overdue period, one more reminder.
    assert status_updates_sweep(now=now + timedelta(minutes=61))["reminded"] == 1
    assert reminders.count() == 2
    # An update restarts the clock; no reminder until it is overdue again.
    communication_send(
        incident=incident,
        template=template("update"),
        audience="internal",
        channels=["email"],
        email_recipients="team@harborlist.test",
        fields={"progress": "p", "next_steps": "n", "eta": "e"},
        user=lead,
        now=now + timedelta(minutes=62),
    )
    assert status_updates_sweep(now=now + timedelta(minutes=80))["reminded"] == 0
    assert reminders.count() == 2


def test_the_overdue_reminder_links_to_the_communicate_page_on_the_base_url(now, settings):
    settings.HARBORMASTER_BASE_URL = "http://harbormaster.test:8123/"
    lead = UserFactory(username="clara.comms")
    incident = open_incident(now)
    services.incident_assign_role(
        incident=incident, role=ResponseRole.COMMUNICATIONS_LEAD, assignee=lead, user=None, now=now
    )
    status_updates_sweep(now=now)
    assert status_updates_sweep(now=now + timedelta(minutes=31))["reminded"] == 1
    reminder = Delivery.objects.get(idempotency_key__startswith="update-reminder:")
    page = reverse("admin:incidents_incident_communicate", args=[incident.pk])
    assert reminder.body.endswith("\n\nhttp://harbormaster.test:8123" + page)


def test_cadence_is_editable_and_falls_back_to_the_group(now):
    CommunicationCadence.objects.filter(severity=Severity.P2).update(interval_minutes=120)
    fallback = UserFactory(username="cl.group", groups=[StaffGroup.COMMUNICATIONS_LEAD])
    incident = open_incident(now, severity=Severity.P2)
    status_updates_sweep(now=now)
    assert status_updates_sweep(now=now + timedelta(minutes=119))["reminded"] == 0
    assert status_updates_sweep(now=now + timedelta(minutes=121))["reminded"] == 1
    delivery = Delivery.objects.get(idempotency_key__startswith="update-reminder:")
    assert delivery.recipient == fallback and delivery.incident == incident


def test_no_reminders_once_resolved_or_without_cadence(now):
    p3 = open_incident(now, severity=Severity.P3)
    p1 = open_incident(now - timedelta(seconds=1), severity=Severity.P1)
    status_updates_sweep(now=now)
    assert not StatusUpdateClock.objects.filter(incident=p3).exists()
    services.incident_transition(
        incident=p1, to_status=Status.RESOLVED, resolution_summary="fixed", user=None, now=now
    )
    assert status_updates_sweep(now=now + timedelta(hours=3))["reminded"] == 0
    assert StatusUpdateClock.objects.get(incident=p1).due_at is None


def test_reopening_restarts_the_cadence(now):
    incident = open_incident(now, severity=Severity.P1)
    status_updates_sweep(now=now)
    services.incident_transition(
        incident=incident, to_status=Status.RESOLVED, resolution_summary="fixed", user=None, now=now
    )
    later = now + timedelta(hours=5)
    services.incident_transition(
        incident=incident, to_status=Status.INVESTIGATING, reason="recurred", user=None, now=later
    )
    assert StatusUpdateClock.objects.get(incident=incident).due_at == later + timedelta(hours=1)
    assert status_updates_sweep(now=later + timedelta(minutes=61))["reminded"] == 1

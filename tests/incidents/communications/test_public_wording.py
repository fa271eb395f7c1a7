"""Public text never leaks: external messages, /status/, its Atom feed and /api/v1/status/
use only the incident's public wording; an external send without it is refused; the send
page's preview is exactly what is sent; the communications lead edits the wording."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from incidents import services
from incidents.choices import DetectionSource, IncidentType, Severity, StaffGroup, Status
from incidents.communications import domain
from incidents.communications.services import communication_send
from incidents.models import Communication, CommunicationTemplate, Delivery
from tests.incidents.builders import ServiceFactory, UserFactory

pytestmark = pytest.mark.django_db

MARKER = "SECRET-MARKER-7f3a"
INTERNAL = dict(
    title=f"{MARKER} title: db primary failover",
    summary=f"{MARKER} summary: attacker IP 10.9.8.7, 38,912 records exported",
    customer_impact=f"{MARKER} customer impact",
    business_impact=f"{MARKER} business impact",
)
PUBLIC = dict(
    public_title="Payments are failing for some customers",
    public_summary="Some card payments fail at checkout.",
    public_impact="You may be unable to pay by card.",
)
PUBLIC_RESOLUTION = "Card payments work again."
FIELDS = {
    "eta": "16:00 UTC",
    "updates": "https://status.harborlist.example/",
    "progress": "A fix is being deployed",
    "next_steps": "Monitoring",
    "root_cause": "A faulty release",
    "prevention": "Better release checks",
}


def open_incident(now, **kwargs):
    data = dict(
        severity=Severity.P1,
        type=IncidentType.SERVICE_OUTAGE,
        detection_source=DetectionSource.CLOUDWATCH_ALARM,
        affected_services=[ServiceFactory(name="payments-api", customer_facing=True)],
        user=None,
        now=now,
        **INTERNAL,
    )
    data.update(kwargs)
    return services.incident_create(**data)


def send(incident, kind, now, *, audience="external", channels=("status_page",), emails=""):
    return communication_send(
        incident=incident,
        template=CommunicationTemplate.objects.get(kind=kind),
        audience=audience,
        channels=list(channels),
        email_recipients=emails,
        fields=FIELDS,
        user=None,
        now=now,
    )


@pytest.fixture
def chat(settings):
    settings.HARBORMASTER_CHAT_WEBHOOK_URL = "https://chat.example/hook"


def test_external_messages_and_public_pages_carry_only_the_public_wording(client, now, chat):
    incident = open_incident(now, **PUBLIC)
    channels = ("status_page", "email", "chat")
    send(incident, "initial", now, channels=channels, emails="customers@example.com")
    send(incident, "update", now, channels=channels, emails="customers@example.com")
    services.incident_transition(
        incident=incident,
        to_status=Status.RESOLVED,
        resolution_summary=f"{MARKER} resolution: rotated the leaked key",
        user=None,
        now=now,
    )
    services.incident_update(incident=incident.pk, user=None, public_resolution=PUBLIC_RESOLUTION)
    send(incident, "resolution", now, channels=channels, emails="customers@example.com")

    bodies = [d.subject + "\n" + d.body for d in Delivery.objects.filter(incident=incident)]
    assert len(bodies) == 6  # email + chat, three messages
    status_html = client.get("/status/").content.decode()
    feed = client.get(reverse("status:feed")).content.decode()
    status_json = client.get("/api/v1/status/").content.decode()
    for text in [*bodies, status_html, feed, status_json]:
        assert MARKER not in text
        assert "10.9.8.7" not in text
    assert any("Summary: Some card payments fail at checkout." in body for body in bodies)
    assert any("Resolution: Card payments work again." in body for body in bodies)
    for text in (status_html, feed, status_json):
        assert PUBLIC["public_title"] in text
        assert "Card payments work again." in text


def test_internal_messages_still_use_the_internal_fields(now):
    incident = open_incident(now, **PUBLIC)
    communication = send(
        incident, "initial", now, audience="internal", channels=["email"], emails="t@example.com"
    )
    assert f"Summary: {INTERNAL['summary']}" in communication.body


def test_external_send_without_public_wording_is_refused(now):
    incident = open_incident(now)
    with pytest.raises(domain.PublicWordingMissing) as refused:
        send(incident, "initial", now)
    assert refused.value.fields == ["public_title", "public_summary", "public_impact"]
    assert "public title, public summary, public impact" in refused.value.message
    assert not Communication.objects.exists()
    # The resolution message needs the public resolution too.
    services.incident_update(incident=incident.pk, user=None, **PUBLIC)
    with pytest.raises(domain.PublicWordingMissing) as refused:
        send(incident, "resolution", now)
    assert refused.value.fields == ["public_resolution"]


def test_status_card_follows_its_latest_message_and_services_use_display_names(client, now):
    service = ServiceFactory(name="payments-api", customer_facing=True, display_name="Payments")
    incident = open_incident(now, affected_services=[service], **PUBLIC)
    unpublished = open_incident(now, title="Search down", affected_services=[service])
    send(incident, "initial", now)
    services.incident_transition(
        incident=incident, to_status=Status.RESOLVED, resolution_summary="x", user=None, now=now
    )
    data = client.get("/api/v1/status/").json()
    card = next(c for c in data["current"] if c["id"] == incident.reference)
    # Resolved internally, but customers were last told "Investigating".
    assert card["status"] == card["updates"][0]["status"] == "Investigating"
    assert card["heading"] == PUBLIC["public_title"]
    assert card["summary"] == PUBLIC["public_summary"]
    assert {"name": "Payments", "status": "Degraded performance"} in data["services"]
    other = next(c for c in data["current"] if c["id"] == unpublished.reference)
    assert other["heading"] == "Service disruption: Payments" and other["summary"] == ""
    assert "payments-api" not in client.get("/status/").content.decode()

    services.incident_update(incident=incident.pk, user=None, public_resolution="Fixed.")
    send(incident, "resolution", now)
    data = client.get("/api/v1/status/").json()
    card = next(c for c in data["recent"] if c["id"] == incident.reference)
    assert card["status"] == card["updates"][0]["status"] == "Resolved"


def test_atom_feed_carries_every_card(client, now):
    published = open_incident(now, **PUBLIC)
    send(published, "initial", now)
    quiet = open_incident(now, title="No message yet")  # customer-facing service, no update
    feed = client.get(reverse("status:feed")).content.decode()
    assert feed.count("<entry>") == 2
    assert f"tag:harborlist-status,{published.reference}" in feed
    assert f"tag:harborlist-status,{quiet.reference}" in feed
    assert "Service disruption: payments-api" in feed
    assert MARKER not in feed


# --- admin: the send page and the public wording ----------------------------------------
def comms_lead(username="clara"):
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(Group.objects.get(name=StaffGroup.COMMUNICATIONS_LEAD))
    return user


def test_admin_refuses_external_send_without_public_wording(client, now):
    incident = open_incident(now)
    client.force_login(comms_lead())
    url = reverse("admin:incidents_incident_communicate", args=[incident.pk])
    data = {
        "template": CommunicationTemplate.objects.get(kind="initial").pk,
        "audience": "external",
        "channels": ["status_page"],
        **FIELDS,
    }
    preview = client.post(url, {**data, "_preview": "1"})
    assert "Write it under “Public wording” first" in preview.content.decode()
    refused = client.post(url, {**data, "_send": "1"})
    assert refused.status_code == 400
    assert "uses only the public wording" in refused.content.decode()
    assert not Communication.objects.exists()


def test_admin_preview_is_exactly_what_is_sent(client, now):
    incident = open_incident(now, **PUBLIC)
    client.force_login(comms_lead())
    url = reverse("admin:incidents_incident_communicate", args=[incident.pk])
    data = {
        "template": CommunicationTemplate.objects.get(kind="initial").pk,
        "audience": "external",
        "channels": ["status_page"],
        **FIELDS,
    }
    preview = client.post(url, {**data, "_preview": "1"})
    shown = preview.context["preview"]
    assert "exactly what customers will get" in preview.content.decode()
    assert MARKER not in shown.body and PUBLIC["public_summary"] in shown.body
    assert client.post(url, {**data, "_send": "1"}).status_code == 302
    sent = Communication.objects.get()
    assert (sent.subject, sent.body) == (shown.subject, shown.body)


def test_communications_lead_edits_the_public_wording(client, now):
    incident = open_incident(now)
    url = reverse("admin:incidents_incident_communicate", args=[incident.pk])
    client.force_login(comms_lead())
    page = client.get(url)
    assert "Public wording" in page.content.decode() and "Save public wording" in (
        page.content.decode()
    )
    saved = client.post(
        url,
        {
            "wording-public_title": "Checkout is slow",
            "wording-public_summary": "Some payments take longer.",
            "wording-public_impact": "",
            "wording-public_resolution": "",
            "wording-loaded_version": incident.version,
            "_save_wording": "1",
        },
    )
    assert saved.status_code == 302
    incident.refresh_from_db()
    assert incident.public_title == "Checkout is slow"
    record = incident.history.first()
    assert record.history_change_reason == "Public wording updated"
    # A stale form is refused, not merged.
    stale = client.post(
        url,
        {
            "wording-public_title": "Other",
            "wording-public_summary": "x",
            "wording-loaded_version": 1,
            "_save_wording": "1",
        },
    )
    assert stale.status_code == 400 and "changed by someone else" in stale.content.decode()


def test_only_the_communications_lead_and_superusers_edit_the_public_wording(client, now):
    incident = open_incident(now)
    commander = UserFactory(username="ivan", is_staff=True)
    commander.groups.add(Group.objects.get(name=StaffGroup.INCIDENT_COMMANDER))
    # The group may send messages but is not the Communications Lead group.
    assert commander.has_perm("incidents.add_communication")
    client.force_login(commander)
    url = reverse("admin:incidents_incident_communicate", args=[incident.pk])
    page = client.get(url).content.decode()
    assert "Public wording" in page and "Save public wording" not in page
    refused = client.post(
        url,
        {"wording-public_title": "x", "wording-loaded_version": 1, "_save_wording": "1"},
    )
    assert refused.status_code == 403
    incident.refresh_from_db()
    assert incident.public_title == ""

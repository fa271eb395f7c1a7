"""What a page says and links to: absolute links from HARBORMASTER_BASE_URL, each person's
own acknowledge link in their e-mail, one per person in the chat message, none once the
incident is acknowledged."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.choices import Channel
from incidents.escalation.messages import position_labels
from incidents.escalation.services import escalations_dispatch
from incidents.models import Delivery, OnCallShift
from incidents.paging.tokens import ack_token_read
from tests.incidents.builders import UserFactory

pytestmark = pytest.mark.django_db

BASE = "https://harbormaster.example.com:8443"


@pytest.fixture
def paged_pair(settings):
    settings.HARBORMASTER_BASE_URL = BASE + "/"  # a trailing slash is not doubled
    settings.HARBORMASTER_CHAT_WEBHOOK_URL = "https://chat.example.com/hook"
    settings.HARBORMASTER_WEBHOOK_URL = "https://hooks.example.com/in"
    now = timezone.now()
    people = [UserFactory(username=name) for name in ("rita", "li")]
    for person in people:
        OnCallShift.objects.create(
            user=person, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=8)
        )
    incident = services.incident_create(
        title="Checkout returns 502",
        severity="P0",
        type="service_outage",
        detection_source="cloudwatch_alarm",
        detected_at=now,
        now=now,
        user=None,
    )
    escalations_dispatch(now=now)
    return incident, people


def links(text: str, prefix: str) -> list[str]:
    return [line.split(": ", 1)[1] for line in text.splitlines() if line.startswith(prefix)]


def test_each_email_carries_absolute_links_and_its_own_acknowledge_link(paged_pair):
    incident, people = paged_pair
    for person in people:
        body = Delivery.objects.get(incident=incident, channel=Channel.EMAIL, recipient=person).body
        assert links(body, "Link: ") == [f"{BASE}/admin/incidents/incident/{incident.pk}/change/"]
        [ack] = links(body, "Acknowledge: ")
        assert ack.startswith(f"{BASE}/page/ack/") and ack.endswith("/")
        token = ack.removeprefix(f"{BASE}/page/ack/").rstrip("/")
        assert ack_token_read(token).incident_id == incident.pk
        assert ack_token_read(token).user_id == person.pk


def test_the_chat_message_has_one_acknowledge_link_per_person_paged(paged_pair):
    incident, people = paged_pair
    chat = Delivery.objects.get(incident=incident, channel=Channel.CHAT).body
    assert links(chat, "Link: ") == [f"{BASE}/admin/incidents/incident/{incident.pk}/change/"]
    for person in people:
        [ack] = links(chat, f"Acknowledge as {person.username}: ")
        token = ack.removeprefix(f"{BASE}/page/ack/").rstrip("/")
        assert ack_token_read(token).user_id == person.pk


def test_the_webhook_gets_the_absolute_incident_url_but_no_acknowledge_link(paged_pair):
    incident, _people = paged_pair
    hook = Delivery.objects.get(incident=incident, channel=Channel.WEBHOOK)
    assert hook.payload["incident"]["url"] == (
        f"{BASE}/admin/incidents/incident/{incident.pk}/change/"
    )
    assert "/page/ack/" not in str(hook.payload)


def test_pages_after_acknowledgement_carry_no_acknowledge_link(paged_pair):
    incident, people = paged_pair
    services.incident_acknowledge(incident=incident, user=people[0])
    escalations_dispatch(now=timezone.now() + timedelta(minutes=31))  # level 2
    later = Delivery.objects.filter(incident=incident).exclude(
        idempotency_key__startswith=f"escalation:{incident.escalations.get(level=1).pk}:"
    )
    assert later.exists()
    for delivery in later:
        assert "/page/ack/" not in delivery.body
        assert f"{BASE}/admin/incidents/incident/{incident.pk}/change/" in delivery.body


def test_positions_read_as_people_name_them_in_pages_and_the_timeline(settings, now):
    settings.HARBORMASTER_BASE_URL = BASE
    assert position_labels(["on_call_engineer", "cto"]) == "On-call engineer, CTO"
    incident = services.incident_create(
        title="Checkout down",
        severity="P0",
        type="service_outage",
        detection_source="team_report",
        user=None,
        now=now,
    )
    escalations_dispatch(now=now)
    texts = list(incident.timeline.values_list("text", flat=True))
    fired = [text for text in texts if text.startswith("Escalation level 1")]
    assert fired and "On-call engineer" in fired[0]
    assert not any("on_call_engineer" in text for text in texts)

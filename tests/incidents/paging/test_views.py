"""The page an acknowledge link opens, reached the way a paged person reaches it: the
responder on call is paged by the real escalation dispatcher and the link is read from
the e-mail delivery written for them."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from incidents import services
from incidents.choices import Channel, Status, TimelineKind
from incidents.escalation.services import escalations_dispatch
from incidents.models import Delivery, Incident, OnCallShift, TimelineEntry
from tests.incidents.builders import UserFactory

pytestmark = pytest.mark.django_db

ACK_LINK = re.compile(r"^Acknowledge: (\S+)$", re.MULTILINE)


@pytest.fixture
def paged(settings):
    """A P0 data breach (a security incident) and the on-call responder's e-mail page."""
    settings.HARBORMASTER_BASE_URL = "http://harbormaster.test:8123"
    now = timezone.now()
    rita = UserFactory(username="rita", email="rita@harborlist.test")
    OnCallShift.objects.create(
        user=rita, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=8)
    )
    incident = services.incident_create(
        title="Customer records exported",
        severity="P0",
        type="data_breach",
        detection_source="security_event",
        detected_at=now,
        now=now,
        user=None,
    )
    escalations_dispatch(now=now)
    email = Delivery.objects.get(incident=incident, channel=Channel.EMAIL, recipient=rita)
    link = ACK_LINK.search(email.body)[1]
    assert link.startswith("http://harbormaster.test:8123/page/ack/")
    return {"incident": incident, "rita": rita, "email": email, "path": urlsplit(link).path}


def test_logged_out_the_link_goes_to_the_admin_login_and_comes_back(client, paged):
    response = client.get(paged["path"])
    assert response.status_code == 302
    login = reverse("admin:login")
    assert response["Location"].startswith(login + "?next=")

    response = client.post(
        response["Location"],
        {"username": "rita", "password": "pw", "next": paged["path"]},
    )
    assert response.status_code == 302
    assert response["Location"] == paged["path"]
    page = client.get(paged["path"])
    assert page.status_code == 200
    assert paged["incident"].reference in page.text


def test_the_paged_person_sees_the_incident_and_one_button(client, paged):
    client.force_login(paged["rita"])
    page = client.get(paged["path"])
    assert page.status_code == 200
    text = page.text
    assert paged["incident"].reference in text and "Customer records exported" in text
    main = text[text.index('id="content-main"') :]
    assert main.count('type="submit"') == 1 and 'value="Acknowledge"' in main
    assert 'name="csrfmiddlewaretoken"' in text
    incident = Incident.objects.get(pk=paged["incident"].pk)
    assert incident.acknowledged_at is None  # opening the link acknowledges nothing


def test_one_click_acknowledges_through_the_service_and_opens_the_incident(client, paged):
    client.force_login(paged["rita"])
    response = client.post(paged["path"])
    incident = Incident.objects.get(pk=paged["incident"].pk)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:incidents_incident_change", args=[incident.pk])
    assert incident.acknowledged_at is not None
    entry = TimelineEntry.objects.get(incident=incident, kind=TimelineKind.ACKNOWLEDGED)
    assert entry.author == paged["rita"] and "Acknowledged by rita" in entry.text
    assert incident.history.first().history_user == paged["rita"]


def test_the_post_needs_the_csrf_token(paged):
    client = Client(enforce_csrf_checks=True)
    client.force_login(paged["rita"])
    assert client.post(paged["path"]).status_code == 403
    assert Incident.objects.get(pk=paged["incident"].pk).acknowledged_at is None


def test_someone_else_is_refused(client, paged):
    client.force_login(UserFactory(username="li", is_superuser=True))
    for response in (client.get(paged["path"]), client.post(paged["path"])):
        assert response.status_code == 403
        assert "This link was sent to someone else" in response.text
        assert "logged in as li" in response.text
    assert Incident.objects.get(pk=paged["incident"].pk).acknowledged_at is None


def test_an_expired_link_is_refused(client, paged):
    client.force_login(paged["rita"])
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        response = client.post(paged["path"])
    assert response.status_code == 400
    assert "This link has expired" in response.text
    assert Incident.objects.get(pk=paged["incident"].pk).acknowledged_at is None


@pytest.mark.parametrize("logged_in", [True, False])
def test_a_tampered_link_is_refused(client, paged, logged_in):
    if logged_in:
        client.force_login(paged["rita"])
    path = paged["path"]
    tampered = path[:-3] + ("x" if path[-3] != "x" else "y") + path[-2:]
    response = client.get(tampered)
    assert response.status_code == 400
    assert "This link is not valid" in response.text
    assert client.get("/page/ack/garbage/").status_code == 400


def test_already_acknowledged_says_so(client, paged):
    li = UserFactory(username="li")
    services.incident_acknowledge(incident=paged["incident"], user=li)
    client.force_login(paged["rita"])
    for response in (client.get(paged["path"]), client.post(paged["path"])):
        assert response.status_code == 200
        assert "Already acknowledged by li" in response.text
        assert 'value="Acknowledge"' not in response.text


def test_an_incident_no_longer_open_cannot_be_acknowledged(client, paged):
    services.incident_transition(
        incident=paged["incident"],
        to_status=Status.CANCELLED,
        user=None,
        cancel_reason="False alarm",
    )
    client.force_login(paged["rita"])
    response = client.post(paged["path"])
    assert response.status_code == 409
    assert "cannot be acknowledged" in response.text
    assert Incident.objects.get(pk=paged["incident"].pk).acknowledged_at is None

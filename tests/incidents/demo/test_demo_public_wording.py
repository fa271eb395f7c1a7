"""The demo's customer-facing side: its external messages go out through the normal
services with public wording, and /status/, its feed and JSON show none of the internal
text of any demo incident."""

from datetime import UTC, datetime

import pytest

from incidents.communications.domain import PUBLIC_ALWAYS
from incidents.demo import load_demo_dataset
from incidents.models import Audience, CommChannel, Communication, Incident, Service

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 27, 13, 45, tzinfo=UTC)
INTERNAL_FIELDS = (
    "title",
    "summary",
    "customer_impact",
    "business_impact",
    "data_integrity_impact",
    "security_implications",
    "resolution_summary",
)


@pytest.fixture
def demo():
    load_demo_dataset(password="demo-pw", now=NOW)


def public_pages(client) -> dict[str, str]:
    return {
        url: client.get(url).content.decode()
        for url in ("/status/", "/status/feed.atom", "/api/v1/status/")
    }


def test_every_demo_incident_with_an_external_message_has_public_wording(demo):
    external = Communication.objects.filter(audience=Audience.EXTERNAL)
    assert external.count() >= 8
    incidents = Incident.objects.filter(communications__in=external).distinct()
    assert incidents.count() >= 4
    for incident in incidents:
        for name in (*PUBLIC_ALWAYS, "public_impact"):
            assert getattr(incident, name).strip(), f"{incident.reference}: {name}"
        if external.filter(incident=incident, kind="resolution").exists():
            assert incident.public_resolution.strip(), incident.reference
        for message in external.filter(incident=incident):
            assert incident.summary not in message.body
            assert "[missing:" not in message.body
            assert message.channels == [CommChannel.STATUS_PAGE]


def test_resolved_demo_incidents_with_public_wording_have_a_public_resolution(demo):
    worded = Incident.objects.exclude(public_title="")
    assert worded.count() >= 7
    resolved = worded.filter(status__in=["resolved", "closed"])
    assert resolved.exists(), "the demo has resolved incidents with public wording"
    for incident in resolved:
        assert incident.public_resolution.strip(), incident.reference


def test_status_page_shows_the_demo_public_wording_and_no_internal_text(demo, client):
    pages = public_pages(client)
    published = Incident.objects.filter(
        communications__audience=Audience.EXTERNAL, resolved_at__isnull=True
    ).distinct()
    assert published.exists()
    for incident in published:
        assert incident.public_title in pages["/status/"]
    for incident in Incident.objects.all():
        for name in INTERNAL_FIELDS:
            text = getattr(incident, name).strip()
            if not text:
                continue
            for url, page in pages.items():
                assert text not in page, f"{url} shows {incident.reference}'s {name}"


def test_status_page_names_demo_services_by_their_display_name(demo, client):
    page = client.get("/status/").content.decode()
    assert "Payments and checkout" in page
    assert "Website" in page
    for service in Service.objects.filter(customer_facing=True):
        assert service.display_name, service.name
        assert f">{service.name}<" not in page

"""The public status page, its JSON and Atom feed: only what was published externally.
One test drives headless Chromium against the live server."""

from datetime import timedelta

import pytest
from django.urls import reverse

from incidents import services
from incidents.choices import DetectionSource, IncidentType, Severity, Status
from incidents.communications.services import communication_send
from incidents.models import CommunicationTemplate
from tests.incidents.builders import ServiceFactory, skip_or_fail_without_chromium

INTERNAL_NOTE = "INTERNAL-ONLY: db replica lag, on-call paged Bob"
PUBLIC_TEXT = "We rolled back a faulty release; payments are recovering"


def open_incident(now, **kwargs):
    data = dict(
        title="Checkout returns 502 (internal title)",
        severity=Severity.P1,
        type=IncidentType.SERVICE_OUTAGE,
        detection_source=DetectionSource.CLOUDWATCH_ALARM,
        summary="internal summary text",
        public_title="Payments are slow for some customers",
        public_summary="Some customers see slow or failing payments",
        user=None,
        now=now,
    )
    data.update(kwargs)
    return services.incident_create(**data)


def send(incident, *, audience, channels, progress, now, emails=""):
    return communication_send(
        incident=incident,
        template=CommunicationTemplate.objects.get(kind="update"),
        audience=audience,
        channels=channels,
        email_recipients=emails,
        fields={"progress": progress, "next_steps": "Monitoring", "eta": "30 minutes"},
        user=None,
        now=now,
    )


def build_world(now):
    """A public outage with an external and an internal update; a security incident with
    no external communication; one with; an internal-only incident; an old resolved one."""
    payments = ServiceFactory(name="Payments", customer_facing=True)
    ServiceFactory(name="Search", customer_facing=True)
    backoffice = ServiceFactory(name="Backoffice", customer_facing=False)
    outage = open_incident(now, affected_services=[payments])
    send(outage, audience="external", channels=["status_page"], progress=PUBLIC_TEXT, now=now)
    send(
        outage,
        audience="internal",
        channels=["email"],
        emails="team@harborlist.test",
        progress=INTERNAL_NOTE,
        now=now + timedelta(minutes=1),
    )
    services.incident_add_note(incident=outage, text=INTERNAL_NOTE, user=None, now=now)
    secret = open_incident(
        now - timedelta(seconds=1),
        title="Customer table exfiltrated",
        severity=Severity.P0,
        type=IncidentType.DATA_BREACH,
        detection_source=DetectionSource.SECURITY_EVENT,
        affected_services=[payments],
        security_implications="attacker IP 10.1.2.3",
    )
    disclosed = open_incident(
        now - timedelta(seconds=2),
        title="Credential stuffing on login",
        type=IncidentType.UNAUTHORIZED_ACCESS,
        detection_source=DetectionSource.SECURITY_EVENT,
    )
    send(
        disclosed,
        audience="external",
        channels=["status_page"],
        progress="Some accounts were asked to reset passwords",
        now=now,
    )
    internal_only = open_incident(
        now - timedelta(seconds=3),
        title="Backoffice CSV export slow",
        affected_services=[backoffice],
    )
    old = open_incident(now - timedelta(days=10), title="Old outage", affected_services=[payments])
    services.incident_transition(
        incident=old,
        to_status=Status.RESOLVED,
        resolution_summary="fixed",
        user=None,
        now=now - timedelta(days=9),
    )
    recent = open_incident(
        now - timedelta(days=2), title="Recent outage", affected_services=[payments]
    )
    services.incident_transition(
        incident=recent,
        to_status=Status.RESOLVED,
        resolution_summary="fixed",
        user=None,
        now=now - timedelta(days=1),
    )
    return dict(
        outage=outage,
        secret=secret,
        disclosed=disclosed,
        internal_only=internal_only,
        old=old,
        recent=recent,
    )


@pytest.mark.django_db
def test_status_page_shows_only_what_was_published(client, now):
    world = build_world(now)
    response = client.get("/status/")
    assert response.status_code == 200
    html = response.content.decode()
    assert PUBLIC_TEXT in html
    assert "Service disruption: Payments" in html
    assert world["outage"].reference in html and world["recent"].reference in html
    assert "Some accounts were asked to reset passwords" in html
    for hidden in (
        INTERNAL_NOTE,
        "internal title",
        "internal summary",
        "exfiltrated",
        "10.1.2.3",
        "Credential stuffing",
        world["secret"].reference,
        world["internal_only"].reference,
        world["old"].reference,
        "Backoffice",
    ):
        assert hidden not in html, hidden
    assert "Degraded performance" in html  # Payments, from the P1 outage


@pytest.mark.django_db
def test_status_json_and_feed_are_public_and_match_the_page(client, now):
    world = build_world(now)
    data = client.get("/api/v1/status/").json()
    current = {item["id"]: item for item in data["current"]}
    assert set(current) == {world["outage"].reference, world["disclosed"].reference}
    outage_updates = current[world["outage"].reference]["updates"]
    assert len(outage_updates) == 1 and PUBLIC_TEXT in outage_updates[0]["body"]
    assert current[world["disclosed"].reference]["services"] == []
    assert [r["id"] for r in data["recent"]] == [world["recent"].reference]
    assert {"name": "Payments", "status": "Degraded performance"} in data["services"]
    assert {"name": "Search", "status": "Operational"} in data["services"]
    assert INTERNAL_NOTE not in str(data) and "exfiltrated" not in str(data)

    feed = client.get(reverse("status:feed"))
    assert feed.status_code == 200
    assert feed["Content-Type"].startswith("application/atom+xml")
    body = feed.content.decode()
    assert "<feed" in body and PUBLIC_TEXT in body and INTERNAL_NOTE not in body
    assert client.post("/api/v1/status/").status_code in (403, 405)
    assert client.get("/api/v1/status/?recent_days=0").json()["recent"] == []
    assert client.get("/api/v1/status/?recent_days=x").status_code == 400


@pytest.mark.django_db
def test_drills_and_cancelled_incidents_stay_off(client, now):
    payments = ServiceFactory(name="Payments", customer_facing=True)
    drill = open_incident(now, is_drill=True, affected_services=[payments])
    assert drill.reference not in client.get("/status/").content.decode()


# --- headless Chromium ------------------------------------------------------------------
@pytest.fixture
def live_world(live_url):
    """Committed rows for the live server, written before the browser starts (Playwright's
    sync API runs an event loop in this thread, where Django refuses ORM calls)."""
    from django.utils import timezone

    skip_or_fail_without_chromium()
    return build_world(timezone.now().replace(microsecond=0))


@pytest.mark.slow
def test_status_page_in_headless_chromium(live_url, live_world, browser_page):
    world = live_world
    page = browser_page
    response = page.goto(f"{live_url}/status/")
    assert response.status == 200
    assert page.title() == "HarborList status"
    current = page.locator("#current")
    outage = current.locator(f"article#{world['outage'].reference}")
    # Published: the public title, never the internal one.
    assert outage.locator("h3").inner_text() == "Payments are slow for some customers"
    assert PUBLIC_TEXT in outage.inner_text()
    text = page.locator("body").inner_text()
    assert INTERNAL_NOTE not in text
    assert "exfiltrated" not in text
    assert page.locator("#services").inner_text().count("Degraded performance") == 1


@pytest.mark.django_db
def test_external_email_only_incident_without_public_service_is_not_listed(client, now):
    incident = open_incident(now, title="Partner API keys rotated")
    send(
        incident,
        audience="external",
        channels=["email"],
        emails="partner@example.com",
        progress="Keys rotated",
        now=now,
    )
    assert client.get("/status/").status_code == 200
    assert incident.reference not in client.get("/status/").content.decode()
    assert client.get("/api/v1/status/").json()["current"] == []

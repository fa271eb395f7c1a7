"""Journey 3 in headless Chromium against the live server: a Communications Lead logs in,
opens a resolved incident whose internal summary and resolution carry a marker, is refused
an external message until the public wording is written, writes it, previews exactly the
public text, sends an internal and an external message; /status/ and its Atom feed show the
public wording and never the marker."""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.utils import timezone

from incidents import services
from incidents.choices import DetectionSource, IncidentType, Severity, StaffGroup, Status
from tests.incidents.builders import (
    ServiceFactory,
    UserFactory,
    admin_log_in,
    skip_or_fail_without_chromium,
)

pytestmark = pytest.mark.slow  # headless Chromium

MARKER = "INTERNAL-ONLY-7f3a"
SCREENSHOTS = Path("/tmp/comms-lead-screenshots")
PUBLIC = {
    "public_title": "Card payments failed for some customers",
    "public_summary": "Some card payments could not be completed at checkout.",
    "public_impact": "You may have been unable to pay by card for about 40 minutes.",
    "public_resolution": "Card payments work normally again; nobody was charged twice.",
}
REFUSAL = "Not sent: an external message uses only the public wording"


@pytest.fixture
def world(live_url):
    """Committed rows, written before Playwright starts (its event loop runs in this thread,
    where Django refuses ORM calls)."""
    skip_or_fail_without_chromium()
    now = timezone.now().replace(microsecond=0)
    UserFactory(username="clara", first_name="Clara", groups=[StaffGroup.COMMUNICATIONS_LEAD])
    payments = ServiceFactory(name="payments", display_name="Payments", customer_facing=True)
    incident = services.incident_create(
        title=f"{MARKER} payments pods crash-looping",
        summary=f"{MARKER}: pool size read as 0 from config; 212 deposits failed",
        customer_impact=f"{MARKER} customer impact",
        severity=Severity.P1,
        type=IncidentType.SERVICE_OUTAGE,
        detection_source=DetectionSource.CLOUDWATCH_ALARM,
        affected_services=[payments],
        user=None,
        now=now - timedelta(hours=2),
    )
    services.incident_transition(
        incident=incident,
        to_status=Status.RESOLVED,
        resolution_summary=f"{MARKER}: rolled back payments-2025.10.7, pool size validated",
        user=None,
        now=now - timedelta(minutes=5),
    )
    return {"incident": incident}


def fill_message(page, *, audience, channels, emails=""):
    """The send form as a person fills it in: audience, channels, the sender's lines."""
    page.check(f"input[name=audience][value={audience}]")
    for box in page.locator("input[name=channels]").all():
        box.set_checked(box.get_attribute("value") in channels)
    page.fill("#id_email_recipients", emails)
    page.fill("#id_root_cause", "A faulty release of the payment service.")
    page.fill("#id_prevention", "Releases are now checked before they go live.")


def submit(page, name):
    with page.expect_navigation():
        page.click(f"#send-communication input[name={name}]")


def test_communications_lead_publishes_only_the_public_wording(live_url, world, browser_page):
    page = browser_page
    incident = world["incident"]
    change = f"/admin/incidents/incident/{incident.pk}/change/"
    admin_log_in(page, live_url, "clara", next_path=change)
    assert urlparse(page.url).path == change

    # The incident page says there is no public wording yet and links to where it is written.
    panel = page.locator("#section-public-wording")
    assert "No public wording yet — required before an external message." in panel.inner_text()
    with page.expect_navigation():
        panel.get_by_role("link", name="Edit the public wording").click()
    assert f"/admin/incidents/incident/{incident.pk}/communicate/" in page.url
    # Resolved: the resolution notice is pre-selected.
    assert "Resolution" in page.locator("#id_template option:checked").inner_text()

    # An external message without public wording is refused, clearly, and nothing is sent.
    fill_message(page, audience="external", channels=["status_page"])
    submit(page, "_send")
    refusal = page.locator("#send-communication .errornote, #send-communication .errorlist")
    assert REFUSAL in refusal.first.inner_text()
    assert "Write it under “Public wording” first." in page.locator("body").inner_text()

    # The communications lead writes the public wording.
    for name, text in PUBLIC.items():
        page.fill(f"#id_wording-{name}", text)
    with page.expect_navigation():
        page.click("#public-wording input[name=_save_wording]")
    assert "Public wording saved." in page.locator("ul.messagelist").inner_text()
    assert page.input_value("#id_wording-public_title") == PUBLIC["public_title"]

    # The external preview is the public text, exactly, without the marker.
    fill_message(page, audience="external", channels=["status_page"])
    submit(page, "_preview")
    preview = page.locator("#preview")
    assert "exactly what customers will get" in preview.locator("h2").inner_text()
    assert page.locator("#preview-problem").count() == 0
    body = page.locator("#preview-body").inner_text()
    assert f"Resolution: {PUBLIC['public_resolution']}" in body
    assert MARKER not in preview.inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "send-page-external-preview.png"), full_page=True)

    # An internal message: the internal resolution, by e-mail to the team.
    fill_message(page, audience="internal", channels=["email"], emails="team@harborlist.test")
    submit(page, "_preview")
    assert MARKER in page.locator("#preview-body").inner_text()
    submit(page, "_send")
    assert urlparse(page.url).path == change
    assert "Sent: INCIDENT RESOLVED" in page.locator("ul.messagelist").inner_text()

    # The external one, on the status page.
    page.goto(f"{live_url}/admin/incidents/incident/{incident.pk}/communicate/")
    fill_message(page, audience="external", channels=["status_page"])
    submit(page, "_send")
    assert urlparse(page.url).path == change
    assert "Sent: INCIDENT RESOLVED" in page.locator("ul.messagelist").inner_text()
    communications = page.locator("#section-communications").inner_text()
    assert communications.count("INCIDENT RESOLVED") == 2

    # What the public sees: the public wording and the message as previewed, never the marker.
    response = page.goto(f"{live_url}/status/")
    assert response.status == 200
    card = page.locator(f"article#{incident.reference}")
    assert card.locator("h3").inner_text() == PUBLIC["public_title"]
    card_text = card.inner_text()
    assert PUBLIC["public_summary"] in card_text
    assert PUBLIC["public_resolution"] in card_text
    assert "Resolved" in card_text
    assert "Payments" in card_text
    assert MARKER not in page.locator("body").inner_text()
    assert MARKER not in page.content()

    feed = page.goto(f"{live_url}/status/feed.atom")
    assert feed.status == 200
    xml = feed.text()
    assert PUBLIC["public_title"] in xml
    assert PUBLIC["public_resolution"] in xml
    assert MARKER not in xml

"""Journey 1 in headless Chromium against the live server: the on-call responder is paged
for a P0 data breach by the real escalation dispatcher, opens the acknowledge link from
her e-mail, logs in through the admin form, acknowledges in one click, lands on the
incident page (she was paged, so need-to-know lets her in), ticks a triage step and saves."""

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.utils import timezone

from incidents import services
from incidents.choices import (
    DetectionSource,
    IncidentType,
    Phase,
    Severity,
    StaffGroup,
    TimelineKind,
)
from incidents.escalation.services import escalations_dispatch
from incidents.models import ChecklistItem, Incident, OnCallShift, TimelineEntry
from incidents.outbox.services import deliveries_relay
from tests.incidents.builders import (
    UserFactory,
    skip_or_fail_without_chromium,
    submit_admin_login,
)

pytestmark = pytest.mark.slow  # headless Chromium

SCREENSHOTS = Path("/tmp/paged-responder-screenshots")
ACK_LINK = re.compile(r"^Acknowledge: (\S+)$", re.MULTILINE)
TITLE = "Customer records exported from the billing replica"


@pytest.fixture
def paged(live_url, settings):
    """Committed rows and the e-mail as it left, written before Playwright starts (its
    event loop runs in this thread, where Django refuses ORM calls)."""
    skip_or_fail_without_chromium()
    settings.HARBORMASTER_BASE_URL = live_url  # links in pages point at this site
    now = timezone.now().replace(microsecond=0)
    rita = UserFactory(username="rita", first_name="Rita", groups=[StaffGroup.RESPONDER])
    OnCallShift.objects.create(
        user=rita, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=8)
    )
    incident = services.incident_create(
        title=TITLE,
        severity=Severity.P0,
        type=IncidentType.DATA_BREACH,
        detection_source=DetectionSource.SECURITY_EVENT,
        detected_at=now,
        now=now,
        user=None,
    )
    assert escalations_dispatch(now=now).levels_fired == 1
    deliveries_relay(now=now)  # what the worker does: the e-mail leaves through the backend
    [email] = [message for message in mail.outbox if message.to == [rita.email]]
    link = ACK_LINK.search(email.body)[1]
    assert link.startswith(f"{live_url}/page/ack/")
    return {"incident": incident, "rita": rita, "email": email, "link": link}


def test_paged_responder_acknowledges_from_the_email_and_saves_a_triage_step(
    live_url, paged, browser_page, monkeypatch
):
    page = browser_page
    incident = paged["incident"]
    change = f"/admin/incidents/incident/{incident.pk}/change/"
    ack_path = urlsplit(paged["link"]).path
    assert incident.reference in paged["email"].subject

    # Logged out, the link goes through the admin login and back.
    page.goto(paged["link"])
    assert urlsplit(page.url).path == "/admin/login/"
    submit_admin_login(page, "rita")
    assert urlsplit(page.url).path == ack_path
    content = page.locator("#content-main")
    assert incident.reference in page.locator("body").inner_text()
    assert TITLE in page.locator("body").inner_text()

    # One click acknowledges and opens the incident.
    button = content.get_by_role("button", name="Acknowledge")
    assert button.is_enabled()
    with page.expect_navigation():
        button.click()
    assert urlsplit(page.url).path == change, page.url
    messages = page.locator("ul.messagelist")
    assert f"{incident.reference} acknowledged." in messages.inner_text()
    assert TITLE in page.locator("body").inner_text()

    # A triage step ticked and saved.
    triage = page.locator(f"#checklist-{Phase.TRIAGE}")
    step = triage.locator("input[type=checkbox][name$='-done']:not(:checked)").first
    step_name = step.get_attribute("name")
    step.check()
    with page.expect_navigation():
        page.locator("input[type=submit][name=_save]").click()
    assert "was changed successfully" in page.locator("ul.messagelist").inner_text()
    page.goto(live_url + change)
    assert page.locator(f"input[name='{step_name}']").is_checked()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "saved.png"), full_page=True)

    # The rows the journey wrote. Playwright's sync API is idle between calls but keeps its
    # event loop set as running in this thread, which Django would take for async code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    incident = Incident.objects.get(pk=incident.pk)
    assert incident.acknowledged_at is not None
    assert TimelineEntry.objects.filter(
        incident=incident, kind=TimelineKind.ACKNOWLEDGED, author=paged["rita"]
    ).exists()
    done = ChecklistItem.objects.filter(
        incident=incident, phase=Phase.TRIAGE, done_at__isnull=False
    )
    assert done.count() == 1
    assert done.get().done_by == paged["rita"]

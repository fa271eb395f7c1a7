"""Journey 4 in headless Chromium: a Security Lead logs in through the admin login form,
opens a security incident from the incident list, starts its breach assessment from the
incident page, types the awareness time, personal data, residents per state and the regimes
(GDPR Art. 33, Colorado) in the structured fields, saves, and sees the regulatory deadlines
on the assessment page and in the incident page's breach section."""

from datetime import UTC, timedelta
from urllib.parse import urlparse

import pytest
from django.utils import timezone

from incidents.choices import IncidentType, Severity, StaffGroup
from tests.incidents.builders import (
    IncidentFactory,
    UserFactory,
    admin_log_in,
    skip_or_fail_without_chromium,
)

pytestmark = pytest.mark.slow  # headless Chromium

SCREENSHOT = "/tmp/breach-journey.png"


@pytest.fixture
def breach_world(live_url):
    """Committed rows, written before Playwright starts (its event loop runs in this thread,
    where Django refuses ORM calls)."""
    skip_or_fail_without_chromium()
    UserFactory(username="sec.lead", groups=[StaffGroup.SECURITY_LEAD])
    aware = (timezone.now() - timedelta(hours=2)).astimezone(UTC).replace(second=0, microsecond=0)
    incident = IncidentFactory(
        title="Customer records exported by a stolen token",
        type=IncidentType.DATA_BREACH,
        severity=Severity.P0,
        detected_at=aware,
    )
    return {"incident": incident, "aware": aware}


def test_security_lead_starts_a_breach_assessment_and_sees_the_deadlines(
    live_url, breach_world, browser_page
):
    page = browser_page
    incident, aware = breach_world["incident"], breach_world["aware"]
    # Both pages show times as people write them ("2026-12-10 17:15").
    gdpr_due = f"{aware + timedelta(hours=72):%Y-%m-%d %H:%M}"

    admin_log_in(page, live_url, "sec.lead")
    assert urlparse(page.url).path == "/admin/"

    # The incident list, then the security incident.
    page.goto(f"{live_url}/admin/incidents/incident/")
    with page.expect_navigation():
        page.click(f"#result_list >> text={incident.reference}")
    assert f"/admin/incidents/incident/{incident.pk}/" in page.url
    assert "Customer records exported by a stolen token" in page.content()

    # Start the breach assessment from the incident page's breach section
    # (a confirmation page first).
    with page.expect_navigation():
        page.locator(".incident-panel-body a", has_text="Start the breach assessment").click()
    assert "Start the breach assessment" in page.content()
    with page.expect_navigation():
        page.click("input[value='Start the breach assessment']")
    assert "/admin/reporting/breachassessment/" in page.url
    assert page.locator(".messagelist").inner_text().startswith("Breach assessment")

    # Structured input: no JSON and no "null" in any field.
    residents = page.locator("#id_residents_by_state")
    jurisdictions = page.locator("#id_jurisdictions")
    assert residents.input_value() == "" and jurisdictions.input_value() == ""
    for field in page.locator("input[type=text], textarea").all():
        assert field.input_value() not in ("null", "{}", "[]")

    page.fill("#id_awareness_at_0", f"{aware:%Y-%m-%d}")
    page.fill("#id_awareness_at_1", f"{aware:%H:%M:%S}")
    page.fill("#id_awareness_reason", "SOC confirmed the export at 09:00")
    page.check("#id_personal_data_involved")
    page.fill("#id_approx_data_subjects", "620")
    residents.fill("CO=600\nTX=20")
    jurisdictions.fill("EU, US-CO")
    page.get_by_label("GDPR Art. 33 (supervisory authority)").check()
    page.get_by_label("Colorado", exact=False).first.check()
    with page.expect_navigation():
        page.click("input[name=_continue]")
    assert page.locator(".errornote").count() == 0, page.locator(".errorlist").all_inner_texts()

    # The assessment page: each obligation with its deadline.
    obligations = page.locator(".inline-group").filter(has_text="Notification obligations")
    text = obligations.inner_text()
    assert "Notification to the lead supervisory authority" in text
    assert gdpr_due in text  # GDPR Art. 33: 72 h after awareness
    assert "Attorney General" in text or "Colorado" in text
    assert residents.input_value() == "CO=600\nTX=20"
    assert jurisdictions.input_value() == "EU, US-CO"
    page.screenshot(path=SCREENSHOT, full_page=True)

    # The incident page's breach section shows the same deadlines.
    page.goto(f"{live_url}/admin/incidents/incident/{incident.pk}/change/")
    section = page.locator(".incident-panel-body").filter(has_text="Regulatory notifications")
    section_text = section.inner_text()
    assert "Notification to the lead supervisory authority" in section_text
    assert gdpr_due in section_text
    assert "pending" in section_text.lower()
    section.scroll_into_view_if_needed()
    page.screenshot(path="/tmp/breach-journey-incident.png")

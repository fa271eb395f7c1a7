"""Need-to-know as people meet it, in headless Chromium against the live server: an
Auditor logs in through the admin login form, opens the security incident from the list,
sees it read-only and opens its history; a plain responder is told how many security
incidents the list does not show and gets not-found on the incident's address."""

import pytest

from incidents.choices import StaffGroup
from tests.incidents.builders import (
    IncidentFactory,
    UserFactory,
    admin_log_in,
    skip_or_fail_without_chromium,
)

pytestmark = pytest.mark.slow  # headless Chromium

INCIDENTS = "/admin/incidents/incident/"


@pytest.fixture
def world(live_url):
    """Committed rows, written before Playwright starts (its event loop runs in this thread,
    where Django refuses ORM calls)."""
    skip_or_fail_without_chromium()
    UserFactory(username="auditor", groups=[StaffGroup.AUDITOR])
    UserFactory(username="responder", groups=[StaffGroup.RESPONDER])
    breach = IncidentFactory(type="data_breach", title="Customer table exfiltrated")
    outage = IncidentFactory(type="service_outage", title="Checkout returns 502")
    return {"breach": breach, "outage": outage}


def test_auditor_opens_the_security_incident_read_only_with_its_history(
    live_url, world, browser_page
):
    page = browser_page
    breach = world["breach"]
    admin_log_in(page, live_url, "auditor", next_path=INCIDENTS)
    assert page.url.endswith("/admin/incidents/incident/")
    assert "not shown: need-to-know" not in page.content()
    with page.expect_navigation():
        page.locator("#result_list a", has_text=breach.reference).first.click()
    assert f"/admin/incidents/incident/{breach.pk}/change/" in page.url
    assert page.get_by_text("Customer table exfiltrated").first.is_visible()
    # Read-only: no Save buttons, no editable title.
    assert page.locator("input[name=_save], button[name=_save]").count() == 0
    assert page.locator("input[name=_continue]").count() == 0
    assert page.locator("input[name=title]").count() == 0
    history = page.locator("a.historylink").first
    if not history.is_visible():  # the incident page folds it under "More actions"
        page.locator("summary", has_text="More actions").first.click()
    with page.expect_navigation():
        history.click()
    assert f"/admin/incidents/incident/{breach.pk}/history/" in page.url
    assert page.locator("#change-history, table").count() >= 1
    assert "doesn’t exist" not in page.content() and "doesn't exist" not in page.content()


def test_responder_is_told_what_is_withheld_and_gets_not_found(live_url, world, browser_page):
    page = browser_page
    breach, outage = world["breach"], world["outage"]
    admin_log_in(page, live_url, "responder", next_path=INCIDENTS)
    notice = page.locator(".messagelist li", has_text="not shown: need-to-know")
    assert notice.inner_text().strip() == "1 security incident is not shown: need-to-know."
    listing = page.locator("#result_list").inner_text()
    assert outage.reference in listing and breach.reference not in listing
    response = page.goto(f"{live_url}/admin/incidents/incident/{breach.pk}/change/")
    # The admin answers an object it may not show by going back to the index with a
    # "doesn't exist" message (or a 404): either way, nothing of the incident.
    assert response.status in {200, 404}
    assert "Customer table exfiltrated" not in page.content()
    if response.status == 200:
        assert "exist" in page.locator(".messagelist").inner_text()

"""A staff member logs in through the admin login form in headless Chromium and finds, on
the home page, the grouped sections and the open incidents, theirs first."""

from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.utils import timezone

from incidents.choices import ResponseRole, StaffGroup
from incidents.models import RoleAssignment
from tests.incidents.builders import (
    IncidentFactory,
    UserFactory,
    admin_log_in,
    skip_or_fail_without_chromium,
)

pytestmark = pytest.mark.slow  # headless Chromium


@pytest.fixture
def home_world(live_url):
    skip_or_fail_without_chromium()
    now = timezone.now()
    me = UserFactory(username="commander", groups=[StaffGroup.INCIDENT_COMMANDER])
    IncidentFactory(title="Search is slow", detected_at=now - timedelta(hours=2))
    mine = IncidentFactory(title="Checkout returns 502", detected_at=now - timedelta(minutes=5))
    RoleAssignment.objects.create(
        incident=mine, user=me, role=ResponseRole.INCIDENT_COMMANDER, assigned_at=now
    )
    return me


def test_staff_home_shows_sections_and_my_incidents_first(live_url, home_world, browser_page):
    page = browser_page
    admin_log_in(page, live_url, "commander")
    assert urlparse(page.url).path == "/admin/"

    rows = page.locator("#panel-open-incidents li").all_inner_texts()
    assert len(rows) == 2
    assert "mine" in rows[0] and "Checkout returns 502" in rows[0]
    assert "Search is slow" in rows[1] and "mine" not in rows[1]
    captions = page.locator(".home-section caption .section").all_inner_texts()
    assert [c.lower() for c in captions][:2] == ["respond", "communicate"]
    assert "comply and audit" in [c.lower() for c in captions]
    assert page.locator("#section-respond >> text=Incidents").first.is_visible()
    with page.expect_navigation():
        page.click("#panel-open-incidents >> text=Checkout returns 502")
    assert "/admin/incidents/incident/" in page.url

"""The KPI dashboard and the quarterly report in headless Chromium against the live server:
the vendored Chart.js draws every chart with the embedded data, nothing is fetched from
another host, no console errors, and the report prints to a multi-page PDF."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

import pytest

from incidents.choices import IncidentType, Severity, StaffGroup, Status
from tests.incidents.builders import (
    ServiceFactory,
    UserFactory,
    admin_log_in,
    skip_or_fail_without_chromium,
)
from tests.reporting.dashboard.test_views import breach, incident

pytestmark = pytest.mark.slow  # headless Chromium

RANGE = "from=2026-01-01&to=2026-03-31"
CHARTS = {
    "chart-frequency": "data-frequency",
    "chart-response-trend": "data-response-trend",
    "chart-sla": "data-sla",
}
LOCAL_HOSTS = {"localhost", "127.0.0.1"}
SCREENSHOT = "/tmp/dashboard.png"


@pytest.fixture
def browser_world(live_url):
    """Committed rows, written before Playwright starts (its event loop runs in this thread,
    where Django refuses ORM calls)."""
    skip_or_fail_without_chromium()
    lead = UserFactory(username="lead", groups=[StaffGroup.SECURITY_LEAD])
    UserFactory(username="auditor", groups=[StaffGroup.AUDITOR])
    payments = ServiceFactory(name="Payments")
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    for i in range(12):
        detected = start + timedelta(days=7 * i)
        row = incident(
            detected,
            severity=Severity.values[i % 4],
            acknowledged_at=detected + timedelta(minutes=5 + 20 * (i % 4)),
            resolved_at=detected + timedelta(hours=1 + i % 5),
            status=Status.RESOLVED,
            resolution_summary="fixed",
            users_affected=10 * (i + 1),
        )
        row.affected_services.add(payments)
    aware = datetime(2026, 2, 3, 8, 0, tzinfo=UTC)
    leaked = incident(aware, type=IncidentType.DATA_BREACH, severity=Severity.P0)
    breach(
        leaked,
        aware=aware,
        obligations=[(("gdpr-33", "notification"), "pending", aware + timedelta(hours=72), None)],
    )
    return {"lead": lead, "leaked": leaked}


@pytest.fixture
def page(browser_world, new_browser_page):
    """A page that records console errors, uncaught exceptions and every host requested."""
    page = new_browser_page(height=1000)
    page.console_errors = []
    page.hosts = set()

    def on_console(message):
        # Chromium asks every site for /favicon.ico on its own; the admin has none.
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            page.console_errors.append(f"{message.text} ({message.location.get('url')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    page.on("request", lambda request: page.hosts.add(urlparse(request.url).hostname))
    return page


def test_dashboard_charts_render_the_embedded_data(live_url, browser_world, page):
    admin_log_in(page, live_url, "lead", next_path=f"/admin/kpis/%3F{RANGE.replace('&', '%26')}")
    assert urlparse(page.url).path == "/admin/kpis/"
    assert page.title().startswith("KPI dashboard")
    page.wait_for_function("() => typeof Chart !== 'undefined'")
    assert page.locator("#tile-incidents .kpi-value").inner_text() == "13"

    for canvas_id, data_id in CHARTS.items():
        drawn = page.evaluate(f"Chart.getChart(document.querySelector('#{canvas_id}')).data")
        embedded = page.evaluate(f"JSON.parse(document.getElementById('{data_id}').textContent)")
        assert drawn["labels"] == embedded["labels"] and drawn["labels"], canvas_id
        assert drawn["datasets"], canvas_id
        assert [(d["label"], d["data"]) for d in drawn["datasets"]] == [
            (d["label"], d["data"]) for d in embedded["datasets"]
        ], canvas_id
        values = [v for d in drawn["datasets"] for v in d["data"] if v is not None]
        assert any(values), canvas_id
        box = page.locator(f"#{canvas_id}").bounding_box()
        assert box["width"] > 200 and box["height"] > 200, canvas_id

    frequency = page.evaluate("JSON.parse(document.getElementById('data-frequency').textContent)")
    assert frequency["labels"] == ["Jan 2026", "Feb 2026", "Mar 2026"]
    assert sum(sum(d["data"]) for d in frequency["datasets"]) == 13
    assert page.locator("#breakdown-table tbody tr").count() == 4  # P0..P3

    page.screenshot(path=SCREENSHOT, full_page=True)

    # The admin index links here.
    page.goto(f"{live_url}/admin/")
    with page.expect_navigation():
        page.click("#section-comply >> text=KPI dashboard")
    page.wait_for_function(
        "() => window.Chart !== undefined"
        " && Chart.getChart(document.querySelector('#chart-sla')) !== undefined"
    )
    assert urlparse(page.url).path == "/admin/kpis/"
    assert page.console_errors == []
    assert page.hosts <= LOCAL_HOSTS, page.hosts


def test_quarterly_report_renders_and_prints_to_pdf(live_url, browser_world, page):
    admin_log_in(page, live_url, "lead", next_path="/admin/kpis/quarterly/%3Fquarter%3D2026-Q1")
    assert page.locator("h1").inner_text() == "Quarterly compliance report 2026-Q1"
    assert browser_world["leaked"].reference in page.locator("#section-breaches").inner_text()
    assert page.locator("#header").is_visible()

    page.emulate_media(media="print")
    assert not page.locator("#header").is_visible()
    assert not page.locator(".breadcrumbs").is_visible()
    assert not page.locator("form.report-chooser").is_visible()
    assert page.locator("#section-drills").is_visible()
    pdf = page.pdf(format="A4", print_background=False)
    assert pdf.startswith(b"%PDF")
    assert len(pdf) > 5_000
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    assert pages >= 5  # each section starts a new page
    page.screenshot(path="/tmp/quarterly.png", full_page=True)
    assert page.console_errors == []
    assert page.hosts <= LOCAL_HOSTS, page.hosts

"""The incident command page in headless Chromium against the live server, as a person uses
it: log in through the admin login form, open the incident at 1280 and 1400 px, see the
header band without overlaps or sideways scrolling, acknowledge in one click, tick a triage
step and save, take the roles with "assign me", move through the phases, try to close
with open work, read the list and give a reason. Screenshots go to /tmp (also on failure)."""

import re

import pytest

from incidents import services
from incidents.choices import DetectionSource, IncidentType, Severity, StaffGroup
from tests.incidents.builders import UserFactory, admin_log_in, skip_or_fail_without_chromium

pytestmark = pytest.mark.slow  # headless Chromium

SHOTS = "/tmp/command-page"
WIDTHS = (1280, 1400)

LAYOUT = """() => {
  const band = document.querySelector('#incident-band');
  const title = document.querySelector('#band-title').getBoundingClientRect();
  const controls = [...band.querySelectorAll(
      'button, a, summary, .band-badge, .band-sla, .band-ref, .role-holder')]
    .filter(e => e.checkVisibility() && !e.closest('#band-title'))
    .map(e => ({text: e.textContent.trim(), r: e.getBoundingClientRect()}));
  const hits = (a, b) => !(a.right <= b.left || a.left >= b.right
                           || a.bottom <= b.top || a.top >= b.bottom);
  const overlapping = controls.filter(c => hits(c.r, title)).map(c => c.text);
  const outside = controls.filter(c => c.r.right > window.innerWidth + 0.5).map(c => c.text);
  return {overlapping, outside, titleWidth: title.width,
          scrollWidth: document.documentElement.scrollWidth, width: window.innerWidth};
}"""


@pytest.fixture
def world(live_url):
    """Committed rows, written before Playwright starts (its event loop runs in this
    thread, where Django refuses ORM calls)."""
    skip_or_fail_without_chromium()
    commander = UserFactory(username="ic.anna", groups=[StaffGroup.INCIDENT_COMMANDER])
    opener = UserFactory(username="sam.soc", groups=[StaffGroup.RESPONDER])
    incident = services.incident_create(
        title=(
            "Checkout API returns 502 for a third of EU customers after the 4.2.1 release "
            "of the payments gateway and the load balancer change"
        ),
        severity=Severity.P2,
        type=IncidentType.SERVICE_OUTAGE,
        detection_source=DetectionSource.CLOUDWATCH_ALARM,
        user=opener,
    )
    return {"incident": incident, "commander": commander}


@pytest.fixture
def page(world, new_browser_page):
    """A 1280 px page that records uncaught JavaScript errors."""
    tab = new_browser_page(width=1280)
    tab.errors = []
    tab.on("pageerror", lambda error: tab.errors.append(str(error)))
    return tab


def assert_band_fits(page, name):
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(100)
        layout = page.evaluate(LAYOUT)
        page.screenshot(path=f"{SHOTS}-{name}-{width}.png")
        assert layout["overlapping"] == [], (width, layout)
        assert layout["outside"] == [], (width, layout)
        assert layout["scrollWidth"] <= layout["width"], (width, layout)
        assert layout["titleWidth"] > 300, (width, layout)


def submit_transition(page, **fields):
    for selector, value in fields.items():
        page.fill(selector, value)
    with page.expect_navigation():
        page.click("#content-main form input[type=submit].default")


def test_responder_and_commander_journey(live_url, world, page):
    incident = world["incident"]
    change = f"/admin/incidents/incident/{incident.pk}/change/"
    admin_log_in(page, live_url, "ic.anna", next_path=change)
    assert page.url.endswith(change)

    band = page.locator("#incident-band")
    assert incident.reference in band.inner_text()
    assert "Respond within" in page.locator("#band-sla").inner_text()
    assert "Level 1" in page.locator("#band-escalation").inner_text()
    assert_band_fits(page, "detected")

    # The band stays in view while the person scrolls down the page.
    page.mouse.wheel(0, 2500)
    page.wait_for_timeout(200)
    assert page.evaluate("window.scrollY") > 500
    top = page.evaluate("document.querySelector('#incident-band').getBoundingClientRect().top")
    assert abs(top) < 2, top
    page.screenshot(path=f"{SHOTS}-scrolled.png")
    page.evaluate("window.scrollTo(0, 0)")

    # Acknowledge in one click: a POST from the band, back on the page.
    assert page.locator("#band-primary").inner_text() == "Acknowledge"
    with page.expect_navigation():
        page.click("#band-primary")
    assert page.url.endswith(change)
    assert "acknowledged" in page.locator(".messagelist").inner_text()
    assert page.locator("#band-primary").inner_text() == "Mark triaged"
    assert "Response SLA met" in page.locator("#band-sla").inner_text()

    # Tick a triage step and save: the untouched extra rows are no error.
    triage = page.locator("#checklist-triage")
    assert triage.get_attribute("open") is not None
    first_box = triage.locator("input[type=checkbox]").first
    first_box.check()
    with page.expect_navigation():
        page.click("input[name=_continue]")
    assert page.locator(".errornote").count() == 0, page.locator(".errornote").all_inner_texts()
    assert "was changed successfully" in page.locator(".messagelist").inner_text()

    # Take the roles with "assign me".
    for role in ("incident_commander", "communications_lead"):
        with page.expect_navigation():
            page.click(f"#band-roles li[data-role={role}] button.band-assign")
        holder = page.locator(f"#band-roles li[data-role={role}] .role-holder").inner_text()
        assert holder == "ic.anna (you)"
    assert_band_fits(page, "roles")

    # Through the phases with the primary move.
    for expected, fields in [
        ("Mark triaged", {}),
        ("Start investigating", {}),
        ("Mark contained", {}),
        ("Resolve", {"#id_resolution_summary": "Rolled back 4.2.1 and the LB change"}),
    ]:
        assert page.locator("#band-primary").inner_text() == expected
        with page.expect_navigation():
            page.click("#band-primary")
        submit_transition(page, **fields)
        assert page.url.endswith(change), page.url
        assert page.locator(".errornote").count() == 0
    assert page.locator("#band-status").inner_text() == "Resolved"
    assert page.locator("#checklist-resolution").get_attribute("open") is not None
    assert page.locator("#checklist-triage").get_attribute("open") is None
    assert_band_fits(page, "resolved")

    # Close with open work: the list, a reason required, then closed.
    assert page.locator("#band-primary").inner_text() == "Close"
    with page.expect_navigation():
        page.click("#band-primary")
    open_work = page.locator("#open-work")
    assert re.search(r"Still open \(\d+\)", open_work.inner_text())
    assert "Post-incident task:" in open_work.inner_text()
    assert "Checklist step:" in open_work.inner_text()
    page.screenshot(path=f"{SHOTS}-close.png", full_page=True)
    submit_transition(page)
    assert "say why it is closed anyway" in page.locator("#content-main").inner_text()
    submit_transition(page, **{"#id_reason": "Open steps are tracked in OPS-412"})
    assert page.url.endswith(change)
    assert page.locator("#band-status").inner_text() == "Closed"
    timeline = page.locator("#section-timeline").inner_text()
    assert "Open steps are tracked in OPS-412" in timeline
    page.screenshot(path=f"{SHOTS}-closed.png", full_page=True)
    assert page.errors == []

"""Browser journey 5, in headless Chromium against the live server: an Auditor logs in
through the admin login form, opens a security incident (made through the services, with
changes, a breach assessment and a communication) from the incident list, sees it read-only,
reads its history and timeline, downloads its evidence pack, exports its audit trail,
finds its row in the breach register and cannot change anything. Someone allowed to export
the trail without need-to-know is told how many security incidents' rows are left out."""

import csv
import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from incidents import services
from incidents.choices import DetectionSource, IncidentType, Severity, StaffGroup
from incidents.communications.services import communication_send
from incidents.models import CommunicationTemplate
from reporting.breach import services as breach_services
from tests.incidents.builders import UserFactory, admin_log_in, skip_or_fail_without_chromium
from tests.reporting.builders import regimes

pytestmark = pytest.mark.slow  # headless Chromium

SCREENSHOTS = Path("/tmp/auditor-screenshots")
TITLE = "Customer table exfiltrated"
EXPORT = "/admin/reporting/auditseal/export/"


@pytest.fixture
def world(live_url):
    """Committed rows, written through the services before Playwright starts (its event
    loop runs in this thread, where Django refuses ORM calls)."""
    skip_or_fail_without_chromium()
    sec = UserFactory(username="sec", groups=[StaffGroup.SECURITY_LEAD])
    ic = UserFactory(username="ic", groups=[StaffGroup.INCIDENT_COMMANDER])
    UserFactory(username="auditor", groups=[StaffGroup.AUDITOR])
    # Allowed to export the trail, not to see security incidents.
    clerk = UserFactory(username="clerk", groups=[StaffGroup.RESPONDER])
    clerk.user_permissions.add(
        Permission.objects.get(content_type__app_label="reporting", codename="view_audit_trail")
    )
    now = timezone.now()
    detected = now - timedelta(hours=2)
    incident = services.incident_create(
        title=TITLE,
        summary="Attacker exported the customer table.",
        customer_impact="Customer names and e-mail addresses exposed.",
        severity=Severity.P1,
        type=IncidentType.DATA_BREACH,
        detection_source=DetectionSource.SECURITY_EVENT,
        user=sec,
        detected_at=detected,
        now=detected,
    )
    services.incident_assign_role(
        incident=incident,
        role="incident_commander",
        assignee=ic,
        user=sec,
        now=detected + timedelta(minutes=5),
    )
    services.incident_update(
        incident=incident,
        user=ic,
        summary="Attacker exported the customer table through a leaked API token.",
        reason="Scope confirmed",
        now=detected + timedelta(minutes=10),
    )
    services.incident_change_severity(
        incident=incident,
        severity=Severity.P0,
        user=ic,
        reason="Personal data confirmed",
        now=detected + timedelta(minutes=15),
    )
    services.incident_add_note(
        incident=incident, text="Token revoked.", user=ic, now=detected + timedelta(minutes=20)
    )
    assessment = breach_services.breach_assessment_start(
        incident=incident,
        user=sec,
        awareness_at=detected + timedelta(minutes=15),
        awareness_reason="Personal data confirmed",
        regimes=regimes("gdpr-33"),
        now=detected + timedelta(minutes=25),
    )
    communication = communication_send(
        incident=incident,
        template=CommunicationTemplate.objects.get(kind="initial"),
        audience="internal",
        channels=["email"],
        email_recipients="security@harborlist.test",
        fields={"eta": "1 hour", "updates": "#inc-breach"},
        user=ic,
        now=detected + timedelta(minutes=30),
    )
    incident.refresh_from_db()
    return {"incident": incident, "assessment": assessment, "communication": communication}


def open_more_actions(page):
    more = page.locator("#band-more")
    if more.get_attribute("open") is None:
        more.locator("summary").click()


def test_auditor_reads_the_security_incident_its_evidence_and_trail_and_changes_nothing(
    live_url, world, new_browser_page
):
    incident = world["incident"]
    reference = incident.reference
    change_path = f"/admin/incidents/incident/{incident.pk}/change/"
    page = new_browser_page()
    admin_log_in(page, live_url, "auditor", next_path="/admin/incidents/incident/")
    assert "/admin/login/" not in page.url, page.locator(".errornote").all_inner_texts()

    # The incident list shows it, with no notice of anything withheld.
    assert page.url.endswith("/admin/incidents/incident/")
    assert "not shown: need-to-know" not in page.content()
    with page.expect_navigation():
        page.locator("#result_list a", has_text=reference).first.click()
    assert page.url.endswith(change_path)
    assert page.locator("#band-title").inner_text() == TITLE
    assert page.locator("#band-reference").inner_text() == reference
    page.screenshot(path=str(SCREENSHOTS / "auditor-incident-page.png"), full_page=False)

    # Read-only: no Save, no editable field, no primary move, no transition, acknowledge,
    # "Assign me" or communicate controls.
    assert page.locator("input[name=_save], button[name=_save]").count() == 0
    assert page.locator("input[name=_continue], input[name=_addanother]").count() == 0
    assert page.locator("input[name=title], textarea[name=summary]").count() == 0
    assert page.locator("#band-primary").count() == 0
    assert page.locator(".band-assign").count() == 0
    content = page.content()
    assert "/acknowledge/" not in content and "/transition/" not in content
    enabled_submits = page.locator(
        "form#incident_form button:enabled, form#incident_form input[type=submit]:enabled"
    )
    assert enabled_submits.count() == 0
    # Nothing to fill in is shown as an empty form; the checklist says done or not in words
    # and icons, never "None".
    assert page.get_by_text("Add a note to the timeline").count() == 0
    assert page.get_by_text("Assign a role").count() == 0
    done = page.locator("#checklist-triage td.field-done")
    assert done.count() >= 1
    assert "None" not in done.all_inner_texts()
    assert done.locator("img[alt=False]").count() == done.count()  # none ticked yet
    open_more_actions(page)
    actions = [text.strip() for text in page.locator("#band-more li").all_inner_texts()]
    assert "Evidence pack" in actions and "History" in actions
    assert not {"Acknowledge", "Mark triaged", "Resolve", "Close"} & set(actions)

    # The timeline on the page: newest first, the note and the system entries, with authors.
    timeline = page.locator("#section-timeline")
    timeline.scroll_into_view_if_needed()
    entries = timeline.locator("li")
    assert entries.count() >= 4
    texts = "\n".join(entries.all_inner_texts())
    assert "Token revoked." in texts and "ic" in texts
    assert timeline.locator("li.is-note", has_text="Token revoked.").count() == 1
    # The communication and the breach assessment are shown too.
    assert "INCIDENT ALERT" in page.locator("#section-communications").inner_text()
    assert page.locator(".incident-panel", has_text="Breach assessment").count() == 1

    # The evidence pack: a ZIP whose signed manifest lists every file with its SHA-256.
    open_more_actions(page)
    with page.expect_download() as download_info:
        page.locator("#band-more a", has_text="Evidence pack").click()
    download = download_info.value
    assert download.suggested_filename == f"evidence-{reference}.zip"
    archive = zipfile.ZipFile(io.BytesIO(Path(download.path()).read_bytes()))
    names = set(archive.namelist())
    assert {"manifest.json", "manifest.sig", "incident.json"} <= names
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["incident"] == reference
    assert set(manifest["files"]) == names - {"manifest.json", "manifest.sig"}
    assert all(len(meta["sha256"]) == 64 for meta in manifest["files"].values())
    assert {"reporting/breachassessment.json", "audit/events.jsonl"} <= set(manifest["files"])
    assert archive.read("manifest.sig").strip()

    # Its history: each change with who made it and when.
    open_more_actions(page)
    with page.expect_navigation():
        page.locator("#band-more a.historylink").click()
    assert page.url.endswith(f"/admin/incidents/incident/{incident.pk}/history/")
    history = page.locator("#change-history")
    rows = history.locator("tbody tr")
    assert rows.count() >= 3  # created, summary edited, severity changed (and more)
    table = history.inner_text()
    assert "sec" in table and "ic" in table
    assert "Scope confirmed" in table and "Personal data confirmed" in table
    assert str(timezone.now().year) in table  # the date/time column
    assert page.locator("input[type=submit][value*=Revert], .submit-row").count() == 0

    # The audit trail of this incident, exported from the admin (CSV).
    page.goto(f"{live_url}/admin/reporting/auditseal/")
    with page.expect_navigation():
        page.get_by_role("link", name="Export the audit trail").click()
    assert page.url.endswith(EXPORT)
    assert "not included: need-to-know" not in page.content()
    page.fill("#id_incident", reference)
    page.select_option("#id_format", "csv")
    with page.expect_download() as download_info:
        page.click("input[type=submit][value=Download]")
    body = Path(download_info.value.path()).read_text()
    assert not body.rstrip().splitlines()[-1].startswith("#")  # nothing withheld
    events = list(csv.DictReader(io.StringIO(body)))
    assert events and {event["incident"] for event in events} == {reference}
    models = {event["model"] for event in events}
    assert {
        "incidents.incident",
        "reporting.breachassessment",
        "incidents.communication",
    } <= models, models
    edits = [
        event
        for event in events
        if event["model"] == "incidents.incident" and event["action"] == "changed"
    ]
    assert {"sec", "ic"} <= {event["user"] for event in events}
    assert any("severity" in json.loads(event["changes"]) for event in edits)

    # The breach register lists the assessment.
    page.goto(f"{live_url}/admin/reporting/breachassessment/")
    assert "not shown: need-to-know" not in page.content()
    register = page.locator("#result_list tbody tr")
    assert register.count() == 1
    assert reference in register.first.inner_text() and TITLE in register.first.inner_text()

    # Nothing can be changed: the change page refuses a POST, whatever it carries.
    page.goto(f"{live_url}{change_path}")
    token = page.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    for path, form in [
        (change_path, {"title": "Edited by the auditor", "_save": "Save"}),
        (f"/admin/incidents/incident/{incident.pk}/acknowledge/", {}),
        (f"/admin/incidents/incident/{incident.pk}/transition/triaged/", {"reason": "x"}),
        (f"/admin/reporting/breachassessment/{world['assessment'].pk}/change/", {"nature": "x"}),
    ]:
        response = page.request.post(
            f"{live_url}{path}",
            form={"csrfmiddlewaretoken": token, **form},
            headers={"Referer": f"{live_url}{change_path}", "Origin": live_url},
        )
        assert response.status == 403, (path, response.status)
    page.reload()
    assert page.locator("#band-title").inner_text() == TITLE


def test_exporter_without_need_to_know_is_told_what_is_left_out(live_url, world, new_browser_page):
    reference = world["incident"].reference
    page = new_browser_page()
    admin_log_in(page, live_url, "clerk", next_path=EXPORT)
    assert "/admin/login/" not in page.url, page.locator(".errornote").all_inner_texts()
    assert page.url.endswith(EXPORT)
    notice = page.locator(".messagelist li", has_text="need-to-know")
    assert notice.inner_text().strip() == (
        "Rows of 1 security incident are not included: need-to-know."
    )
    # The whole trail downloads without the incident, and says so in its last row.
    page.select_option("#id_format", "csv")
    with page.expect_download() as download_info:
        page.click("input[type=submit][value=Download]")
    lines = Path(download_info.value.path()).read_text().rstrip().splitlines()
    assert lines[-1] == "# Rows of 1 security incident are not included: need-to-know."
    assert reference not in "\n".join(lines)
    # Naming the incident is refused like a reference that does not exist.
    page.fill("#id_incident", reference)
    with page.expect_navigation():
        page.click("input[type=submit][value=Download]")
    assert "No incident with this reference." in page.locator("#content form").inner_text()

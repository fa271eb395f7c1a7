"""The incident command page through the test client: the header band (roles with "assign
me", SLA, next escalation, one-click acknowledge, the primary move and the menu), the
sections other apps add, the page saving what a browser posts for an untouched page, and
closing with open work (listed, a reason required and kept, refused while a regulatory
notification is pending) through the admin and the API."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents import services
from incidents.admin.page import IncidentPage
from incidents.choices import (
    DetectionSource,
    IncidentType,
    ResponseRole,
    Severity,
    StaffGroup,
    Status,
    TimelineKind,
)
from incidents.models import ChecklistItem, RoleAssignment
from postmortems.models import PostIncidentTask
from reporting.breach import services as breach_services
from reporting.breach.choices import ObligationStatus
from reporting.models import NotificationObligation
from tests.incidents.builders import UserFactory
from tests.postmortems.builders import publish_postmortem
from tests.reporting.builders import regimes

pytestmark = pytest.mark.django_db


def change_url(incident):
    return reverse("admin:incidents_incident_change", args=[incident.pk])


def transition_url(incident, to_status):
    return reverse("admin:incidents_incident_transition", args=[incident.pk, to_status])


@pytest.fixture
def ic():
    return UserFactory(username="ic.anna", groups=[StaffGroup.INCIDENT_COMMANDER])


@pytest.fixture
def root():
    return UserFactory(username="root", is_superuser=True)


def open_incident(user, **kwargs):
    defaults = dict(
        title="Checkout returns 502",
        severity=Severity.P2,
        type=IncidentType.SERVICE_OUTAGE,
        detection_source=DetectionSource.CLOUDWATCH_ALARM,
        user=user,
    )
    defaults.update(kwargs)
    return services.incident_create(**defaults)


class BrowserForm(HTMLParser):
    """What a browser submits for the form `form_id` as rendered: text inputs with their
    value, checked boxes only, each select's selected option or else its first, textareas."""

    def __init__(self, form_id):
        super().__init__()
        self.form_id, self.inside, self.data = form_id, False, []
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside or "disabled" in a:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("submit", "button", "image", "file"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.data.append((a["name"], a.get("value", "on")))
                return
            self.data.append((a["name"], a.get("value", "")))
        elif tag == "select" and a.get("name"):
            self._select = {"name": a["name"], "multiple": "multiple" in a, "options": []}
        elif tag == "option" and self._select is not None:
            self._select["options"].append((a.get("value", ""), "selected" in a))
        elif tag == "textarea" and a.get("name"):
            self._textarea = [a["name"], ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self._select is not None:
            options = self._select["options"]
            chosen = [value for value, selected in options if selected]
            if not chosen and options and not self._select["multiple"]:
                chosen = [options[0][0]]
            self.data.extend((self._select["name"], value) for value in chosen)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            self.data.append((name, text[1:] if text.startswith("\n") else text))
            self._textarea = None


def browser_post_data(html: str, **changes) -> dict:
    parser = BrowserForm("incident_form")
    parser.feed(html)
    data: dict = {}
    for name, value in parser.data:
        data.setdefault(name, []).append(value)
    for name, value in changes.items():
        data[name] = [value]
    return data


# --- saving ----------------------------------------------------------------------------------
def test_an_untouched_page_saves_as_the_browser_posts_it(client, ic):
    incident = open_incident(ic)
    client.force_login(ic)
    page = client.get(change_url(incident))
    html = page.content.decode()
    data = browser_post_data(html)
    # The empty "assign a role" row offers a blank role first, so it posts as untouched.
    role_fields = [name for name in data if name.endswith("-role")]
    assert role_fields and all(data[name] == [""] for name in role_fields)
    response = client.post(change_url(incident), data)
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    assert not RoleAssignment.objects.filter(incident=incident).exists()


def test_ticking_a_step_saves_with_the_untouched_rows_around_it(client, ic):
    incident = open_incident(ic)
    client.force_login(ic)
    page = client.get(change_url(incident))
    checklist = next(
        inline.formset
        for inline in page.context["inline_admin_formsets"]
        if inline.formset.model is ChecklistItem
    )
    step = checklist.forms[0].instance
    data = browser_post_data(page.content.decode(), **{f"{checklist.prefix}-0-done": "on"})
    response = client.post(change_url(incident), data)
    assert response.status_code == 302
    step.refresh_from_db()
    assert step.done_by == ic
    html = client.get(change_url(incident)).content.decode()
    assert f"by {ic.get_username()}, " in html, "the ticked step says who and when"
    assert "<th>Completed</th>" in html and "<th>Step</th>" in html


# --- header band ---------------------------------------------------------------------------
def test_the_band_shows_reference_title_sla_roles_and_next_escalation(client, ic):
    incident = open_incident(ic, severity=Severity.P1)
    client.force_login(ic)
    response = client.get(change_url(incident))
    html = response.content.decode()
    assert 'id="incident-band"' in html
    assert incident.reference in html and "Checkout returns 502" in html
    assert "Respond within" in html
    for label in ResponseRole.labels:
        assert label in html
    assert html.count('class="band-assign"') == 4
    escalation = response.context["next_escalation"]
    assert escalation is not None and escalation.level == 1
    assert "Level 1" in html
    # Human labels, never codes or JSON.
    assert '["' not in html and "on_call_engineer" not in html.replace('value="', "")


def test_acknowledge_is_one_click_from_the_band(client, ic):
    incident = open_incident(ic)
    client.force_login(ic)
    html = client.get(change_url(incident)).content.decode()
    ack = reverse("admin:incidents_incident_acknowledge", args=[incident.pk])
    assert f'<form method="post" action="{ack}" class="band-form">' in html
    response = client.post(ack)
    assert response.status_code == 302 and response.url == change_url(incident)
    incident.refresh_from_db()
    assert incident.acknowledged_at is not None
    # Then the primary move is the next step forward.
    after = client.get(change_url(incident))
    assert after.context["primary_action"][0] == "Mark triaged"


def test_assign_me_takes_each_role_and_hands_over(client, ic, root):
    incident = open_incident(root)
    services.incident_assign_role(
        incident=incident, role="incident_commander", assignee=root, user=root
    )
    client.force_login(ic)
    for role in ResponseRole.values:
        url = reverse("admin:incidents_incident_assign_me", args=[incident.pk, role])
        assert client.post(url).status_code == 302
    current = {
        a.role: a.user.username
        for a in RoleAssignment.objects.filter(incident=incident, relieved_at__isnull=True)
    }
    assert current == {role: "ic.anna" for role in ResponseRole.values}
    assert RoleAssignment.objects.get(incident=incident, user=root).relieved_at is not None
    html = client.get(change_url(incident)).content.decode()
    assert html.count("(you)") == 4 and 'class="band-assign"' not in html
    # GET does nothing; an unknown role is not found.
    assert client.get(url).status_code == 302
    bad = reverse("admin:incidents_incident_assign_me", args=[incident.pk, "ceo"])
    assert client.post(bad).status_code == 404


def test_assign_me_needs_the_permission(client, root):
    incident = open_incident(root)
    viewer = UserFactory(username="aud", groups=[StaffGroup.AUDITOR])
    client.force_login(viewer)
    html = client.get(change_url(incident)).content.decode()
    assert "band-assign" not in html
    url = reverse("admin:incidents_incident_assign_me", args=[incident.pk, "technical_lead"])
    assert client.post(url).status_code == 403
    assert not RoleAssignment.objects.filter(incident=incident).exists()


def test_sections_in_order_with_the_current_phase_open(client, ic):
    incident = open_incident(ic)
    services.incident_transition(incident=incident, to_status=Status.TRIAGED, user=ic)
    services.incident_add_note(incident=incident, text="Looking at the LB", user=ic)
    client.force_login(ic)
    html = client.get(change_url(incident)).content.decode()
    positions = [
        html.index(marker)
        for marker in (
            'id="incident-band"',
            'id="checklist-investigation"',
            'id="checklist-triage"',
            'id="section-timeline"',
            'id="section-communications"',
            'id="section-deliveries"',
            "Incident details",
        )
    ]
    assert positions == sorted(positions)
    assert '<details class="checklist-phase is-current" id="checklist-investigation" open>' in html
    assert '<details class="checklist-phase" id="checklist-triage">' in html
    # Notes and system entries are told apart; newest first.
    timeline = html[html.index('id="section-timeline"') :]
    assert timeline.index("Looking at the LB") < timeline.index("Status detected")
    assert '<li class="is-note">' in timeline and '<li class="is-system">' in timeline


def test_deliveries_and_panels_from_other_apps(client, root):
    incident = open_incident(
        root,
        severity=Severity.P1,
        type=IncidentType.DATA_BREACH,
        detection_source=DetectionSource.SECURITY_EVENT,
    )
    services.incident_transition(
        incident=incident, to_status=Status.RESOLVED, resolution_summary="fixed", user=root
    )
    breach_services.breach_assessment_start(
        incident=incident,
        user=root,
        awareness_at=timezone.now(),
        awareness_reason="confirmed",
        regimes=regimes("gdpr-33"),
    )
    client.force_login(root)
    response = client.get(change_url(incident))
    html = response.content.decode()
    titles = [panel.title for panel in response.context["panels"]]
    assert titles == ["Public wording", "Post-mortem and post-incident tasks", "Breach assessment"]
    assert "Post-incident tasks:" in html and "Regulatory notifications: 1 pending" in html
    assert "root_cause" not in html and "lessons_learned" not in html


def test_panels_accept_a_fragment_or_a_template_triple(rf):
    page = IncidentPage()
    page.add_panel(lambda request, incident: None, order=1)
    page.add_panel(lambda request, incident: "<p>raw</p>", order=50)
    page.add_panel(
        lambda request, incident: ("Titled", "postmortems/incident_panel.html", {"tasks": []}),
        order=10,
    )
    panels = page.panels(rf.get("/"), None)
    assert [(p.title, p.order) for p in panels] == [("Titled", 10), ("", 50)]
    assert "No post-mortem yet" in panels[0].html and panels[1].html == "<p>raw</p>"


# --- closing ---------------------------------------------------------------------------------
def resolved_incident(user, **kwargs):
    incident = open_incident(user, **kwargs)
    services.incident_transition(
        incident=incident, to_status=Status.RESOLVED, resolution_summary="fixed", user=user
    )
    return incident


def test_closing_lists_open_work_and_needs_a_reason(client, root):
    incident = resolved_incident(root)
    steps = ChecklistItem.objects.filter(incident=incident, done_at__isnull=True).count()
    tasks = PostIncidentTask.objects.filter(incident=incident).count()
    assert steps and tasks
    client.force_login(root)
    page = client.get(transition_url(incident, Status.CLOSED))
    html = page.content.decode()
    assert 'id="open-work"' in html and f"Still open ({steps + tasks})" in html
    assert "Checklist step:" in html and "Post-incident task:" in html
    assert "Why close with this work still open" in html

    refused = client.post(transition_url(incident, Status.CLOSED), {})
    assert refused.status_code == 400 and "say why it is closed anyway" in refused.content.decode()
    incident.refresh_from_db()
    assert incident.status == Status.RESOLVED

    reason = "Remaining tasks tracked in OPS-412"
    done = client.post(transition_url(incident, Status.CLOSED), {"reason": reason})
    assert done.status_code == 302
    incident.refresh_from_db()
    assert incident.status == Status.CLOSED
    assert reason in incident.history.first().history_change_reason
    entry = incident.timeline.filter(kind=TimelineKind.STATUS_CHANGE).order_by("-at", "-id")[0]
    assert reason in entry.text and "open item(s)" in entry.text


def test_closing_without_open_work_needs_no_reason(root):
    incident = resolved_incident(root)
    ChecklistItem.objects.filter(incident=incident).update(done_at=timezone.now(), done_by=root)
    PostIncidentTask.objects.filter(incident=incident).update(done_at=timezone.now(), done_by=root)
    assert services.incident_open_work(incident) == []
    services.incident_transition(incident=incident, to_status=Status.CLOSED, user=root)
    incident.refresh_from_db()
    assert incident.status == Status.CLOSED


def breach_with_pending_notification(user):
    incident = resolved_incident(
        user,
        severity=Severity.P2,
        type=IncidentType.DATA_BREACH,
        detection_source=DetectionSource.SECURITY_EVENT,
    )
    assessment = breach_services.breach_assessment_start(
        incident=incident,
        user=user,
        awareness_at=timezone.now(),
        awareness_reason="confirmed",
        regimes=regimes("gdpr-33"),
    )
    pending = NotificationObligation.objects.filter(
        assessment=assessment, status=ObligationStatus.PENDING
    )
    assert pending.exists()
    return incident, pending


def test_closing_with_a_pending_regulatory_notification_is_refused(client, root):
    incident, _ = breach_with_pending_notification(root)
    client.force_login(root)
    html = client.get(transition_url(incident, Status.CLOSED)).content.decode()
    assert "Regulatory notification:" in html
    response = client.post(transition_url(incident, Status.CLOSED), {"reason": "all handled"})
    assert response.status_code == 400
    assert "cannot be closed while a regulatory notification is pending" in (
        response.content.decode()
    )
    incident.refresh_from_db()
    assert incident.status == Status.RESOLVED


def test_api_close_needs_a_reason_with_open_work(session_client, root):
    incident = resolved_incident(root)
    api = session_client(root)
    url = f"/api/v1/incidents/{incident.reference}/transition/"
    response = api.post(url, {"to": "closed"}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()["errors"]
    response = api.post(url, {"to": "closed", "reason": "tracked in OPS-9"}, format="json")
    assert response.status_code == 200, response.json()
    incident.refresh_from_db()
    assert incident.status == Status.CLOSED
    assert "tracked in OPS-9" in incident.history.first().history_change_reason


def test_api_close_with_pending_notification_is_a_conflict(session_client, root):
    incident, _ = breach_with_pending_notification(root)
    api = session_client(root)
    url = f"/api/v1/incidents/{incident.reference}/transition/"
    response = api.post(url, {"to": "closed", "reason": "done"}, format="json")
    assert response.status_code == 409
    assert "regulatory notification is pending" in response.json()["detail"]


def test_a_p1_still_needs_its_published_postmortem(root):
    incident = resolved_incident(root, severity=Severity.P1)
    publish_postmortem(incident, user=root)
    services.incident_transition(
        incident=incident, to_status=Status.CLOSED, user=root, reason="tasks in OPS-1"
    )
    incident.refresh_from_db()
    assert incident.status == Status.CLOSED

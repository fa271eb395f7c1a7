"""Post-incident: checklists and the post-mortem opened on resolution, reminders once,
closing refused until the post-mortem is published, exports, the action-items list."""

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents import services
from incidents.choices import DetectionSource, IncidentType, ResponseRole, Severity, Status
from incidents.domain import DomainError
from incidents.models import Delivery
from postmortems import domain
from postmortems import services as pm
from postmortems.models import ActionItem, PostIncidentTask, PostMortem, PostMortemStatus
from tests.incidents.builders import UserFactory

pytestmark = pytest.mark.django_db


def open_incident(now, severity=Severity.P1, **kwargs):
    data = dict(
        title="Checkout returns 502",
        severity=severity,
        type=IncidentType.SERVICE_OUTAGE,
        detection_source=DetectionSource.CLOUDWATCH_ALARM,
        customer_impact="Customers cannot pay",
        user=None,
        now=now,
    )
    data.update(kwargs)
    return services.incident_create(**data)


def resolve(incident, now, user=None):
    return services.incident_transition(
        incident=incident,
        to_status=Status.RESOLVED,
        resolution_summary="Rolled back",
        user=user,
        now=now,
    )


@pytest.fixture
def approver():
    user = UserFactory(username="approver")
    user.user_permissions.add(Permission.objects.get(codename="approve_postmortem"))
    return type(user).objects.get(pk=user.pk)


def fill_and_publish(postmortem, *, user, approver, now):
    pm.postmortem_update(
        postmortem=postmortem,
        user=user,
        root_cause="A config typo",
        lessons_learned="Lint configs",
        went_well="Fast rollback",
        could_improve="Alerting was late",
    )
    pm.postmortem_submit(postmortem=postmortem, user=user, now=now)
    return pm.postmortem_publish(postmortem=postmortem, approver=approver, now=now)


# --- opened on resolution ---------------------------------------------------------------
def test_resolution_opens_both_checklists_and_the_postmortem(now):
    commander = UserFactory(username="ic")
    incident = open_incident(now - timedelta(hours=2), started_at=now - timedelta(hours=3))
    services.incident_assign_role(
        incident=incident, role=ResponseRole.INCIDENT_COMMANDER, assignee=commander, user=None
    )
    resolve(incident, now)
    tasks = list(PostIncidentTask.objects.filter(incident=incident).order_by("stage", "order"))
    assert [t.text for t in tasks if t.stage == "immediate"] == list(domain.IMMEDIATE_STEPS)
    assert [t.text for t in tasks if t.stage == "review"] == list(domain.REVIEW_STEPS)
    assert {t.due_at for t in tasks if t.stage == "immediate"} == {now + timedelta(hours=24)}
    assert {t.due_at for t in tasks if t.stage == "review"} == {now + timedelta(days=7)}
    assert {t.owner for t in tasks} == {commander}

    postmortem = PostMortem.objects.get(incident=incident)
    assert postmortem.status == PostMortemStatus.DRAFT
    assert postmortem.due_at == now + timedelta(days=7)
    assert postmortem.review_meeting_at > now and postmortem.review_meeting_at.weekday() < 5
    assert postmortem.occurred_at == now - timedelta(hours=3)
    assert postmortem.duration == timedelta(hours=3)
    assert postmortem.impact == "Customers cannot pay"
    assert "P1 Service outage detected" in postmortem.timeline
    assert "Resolved" in postmortem.timeline
    assert postmortem.owner == commander
    # Reopened and resolved again: nothing doubles.
    services.incident_transition(
        incident=incident, to_status=Status.INVESTIGATING, reason="recurred", user=None, now=now
    )
    resolve(incident, now + timedelta(hours=1))
    assert PostIncidentTask.objects.filter(incident=incident).count() == 10
    assert PostMortem.objects.filter(incident=incident).count() == 1


def test_no_postmortem_when_the_policy_does_not_require_one(now):
    incident = open_incident(now, severity=Severity.P3)
    resolve(incident, now)
    assert not PostMortem.objects.filter(incident=incident).exists()
    assert PostIncidentTask.objects.filter(incident=incident).count() == 10
    services.incident_transition(
        incident=incident,
        to_status=Status.CLOSED,
        user=None,
        now=now,
        reason="Open work tracked in OPS-1",
    )


# --- closing refused --------------------------------------------------------------------
def test_closing_is_refused_until_the_postmortem_is_published(now, approver):
    incident = open_incident(now)
    resolve(incident, now)
    with pytest.raises(DomainError, match="published post-mortem"):
        services.incident_transition(
            incident=incident,
            to_status=Status.CLOSED,
            user=None,
            reason="Open work tracked in OPS-1",
        )
    incident.refresh_from_db()
    assert incident.status == Status.RESOLVED
    fill_and_publish(incident.postmortem, user=None, approver=approver, now=now)
    services.incident_transition(
        incident=incident, to_status=Status.CLOSED, user=None, reason="Open work tracked in OPS-1"
    )
    incident.refresh_from_db()
    assert incident.status == Status.CLOSED


def test_closing_refused_through_the_admin_transition_page(client, now):
    admin = UserFactory(username="admin", is_superuser=True)
    client.force_login(admin)
    incident = open_incident(now)
    resolve(incident, now)
    url = reverse("admin:incidents_incident_transition", args=[incident.pk, Status.CLOSED])
    response = client.post(url, {})
    assert response.status_code == 400
    assert "need a published post-mortem" in response.content.decode()
    incident.refresh_from_db()
    assert incident.status == Status.RESOLVED


def test_closing_refused_through_the_api(now):
    from rest_framework.test import APIClient

    from incidents.services.api_keys import api_key_create

    _, raw = api_key_create(name="bot", scopes=["incidents:read", "incidents:write"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    incident = open_incident(now)
    resolve(incident, now)
    response = client.post(f"/api/v1/incidents/{incident.reference}/transition/", {"to": "closed"})
    assert response.status_code == 409, response.json()
    assert "published post-mortem" in response.json()["detail"]


# --- review and publish -----------------------------------------------------------------
def test_submit_needs_the_key_sections_and_publish_needs_an_approver(now, approver):
    incident = open_incident(now)
    resolve(incident, now)
    postmortem = incident.postmortem
    with pytest.raises(DomainError, match="root_cause"):
        pm.postmortem_submit(postmortem=postmortem, user=None)
    pm.postmortem_update(
        postmortem=postmortem, user=None, root_cause="typo", lessons_learned="lint"
    )
    pm.postmortem_submit(postmortem=postmortem, user=None)
    with pytest.raises(DomainError, match="approve"):
        pm.postmortem_publish(postmortem=postmortem, approver=UserFactory(username="nobody"))
    published = pm.postmortem_publish(postmortem=postmortem, approver=approver, now=now)
    assert published.approved_by == approver and published.published_at == now
    with pytest.raises(DomainError, match="published"):
        pm.postmortem_update(postmortem=postmortem, user=None, root_cause="changed")
    reasons = list(published.history.values_list("history_change_reason", flat=True))
    assert "Approved and published by approver" in reasons


# --- reminders --------------------------------------------------------------------------
def test_checklist_reminders_fire_once_when_due_and_once_when_overdue(now):
    owner = UserFactory(username="ic")
    incident = open_incident(now)
    services.incident_assign_role(
        incident=incident, role=ResponseRole.INCIDENT_COMMANDER, assignee=owner, user=None
    )
    resolve(incident, now)
    reminders = Delivery.objects.filter(idempotency_key__startswith="post-incident-task:")
    assert pm.reminders_sweep(now=now + timedelta(hours=17))["tasks"] == 0
    # 6 h before the 24 h deadline: the immediate steps are "due".
    assert pm.reminders_sweep(now=now + timedelta(hours=18))["tasks"] == 5
    assert pm.reminders_sweep(now=now + timedelta(hours=19))["tasks"] == 0
    assert reminders.count() == 5
    step = PostIncidentTask.objects.get(incident=incident, stage="immediate", order=1)
    pm.task_set_done(task=step, done=True, user=owner, now=now + timedelta(hours=20))
    # Past the deadline: the four open steps are "overdue", once each.
    assert pm.reminders_sweep(now=now + timedelta(hours=25))["tasks"] == 4
    assert pm.reminders_sweep(now=now + timedelta(hours=26))["tasks"] == 0
    assert reminders.filter(idempotency_key__contains=":overdue:").count() == 4
    assert set(reminders.values_list("recipient__username", flat=True)) == {"ic"}


def test_action_item_reminders_fire_once_due_and_once_overdue(now):
    owner = UserFactory(username="owner")
    incident = open_incident(now)
    resolve(incident, now)
    due = (now + timedelta(days=3)).date()
    item = pm.action_item_add(
        postmortem=incident.postmortem,
        description="Add config lint to CI",
        owner=owner,
        due_date=due,
        user=None,
        now=now,
    )
    keys = Delivery.objects.filter(idempotency_key__startswith=f"action-item:{item.pk}:")
    start_of_due = domain.action_item_first_reminder(due)
    assert pm.reminders_sweep(now=start_of_due - timedelta(seconds=1))["action_items"] == 0
    assert pm.reminders_sweep(now=start_of_due)["action_items"] == 1
    assert pm.reminders_sweep(now=start_of_due + timedelta(hours=1))["action_items"] == 0
    assert pm.reminders_sweep(now=start_of_due + timedelta(days=1))["action_items"] == 1
    assert pm.reminders_sweep(now=start_of_due + timedelta(days=5))["action_items"] == 0
    assert sorted(k.split(":")[3] for k in keys.values_list("idempotency_key", flat=True)) == [
        "due",
        "overdue",
    ]
    # Done items are not reminded.
    other = pm.action_item_add(
        postmortem=incident.postmortem, description="x", owner=owner, due_date=due, user=None
    )
    pm.action_item_update(item=other, status="done", user=owner)
    assert pm.reminders_sweep(now=start_of_due + timedelta(days=6))["action_items"] == 0


# --- exports ----------------------------------------------------------------------------
def test_markdown_follows_the_spec_template_section_by_section(now, approver):
    owner = UserFactory(username="dana")
    incident = open_incident(now - timedelta(minutes=95))
    resolve(incident, now)
    pm.action_item_add(
        postmortem=incident.postmortem,
        description="Add config lint",
        owner=owner,
        due_date=date(2026, 12, 1),
        ticket_url="https://tickets.example/OPS-1",
        user=None,
    )
    fill_and_publish(incident.postmortem, user=None, approver=approver, now=now)
    from postmortems.selectors import postmortem_markdown

    text = postmortem_markdown(PostMortem.objects.get(incident=incident))
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings == [
        "## Incident Post-Mortem",
        "### Incident Summary",
        "### Timeline",
        "### What Went Well",
        "### What Could Be Improved",
        "### Action Items",
        "### Lessons Learned",
    ]
    assert "- **Duration:** 1h 35m" in text
    assert "- **Impact:** Customers cannot pay" in text
    assert "- **Root Cause:** A config typo" in text
    assert (
        "- [ ] Add config lint — owner: dana, due 2026-12-01 (https://tickets.example/OPS-1)"
        in text
    )
    assert "- Fast rollback" in text and "- Lint configs" in text


def test_api_exports_respect_need_to_know(now):
    from rest_framework.test import APIClient

    from incidents.services.api_keys import api_key_create

    outage = open_incident(now)
    resolve(outage, now)
    breach = open_incident(
        now - timedelta(seconds=1),
        severity=Severity.P0,
        type=IncidentType.DATA_BREACH,
        detection_source=DetectionSource.SECURITY_EVENT,
    )
    resolve(breach, now)

    def client_with(*scopes):
        _, raw = api_key_create(name="k" + "".join(scopes), scopes=list(scopes))
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    reader = client_with("incidents:read")
    md = reader.get(f"/api/v1/incidents/{outage.reference}/postmortem.md")
    assert md.status_code == 200
    assert md["Content-Type"].startswith("text/markdown")
    assert md.content.decode().splitlines()[1] == "## Incident Post-Mortem"
    js = reader.get(f"/api/v1/incidents/{outage.reference}/postmortem/")
    assert js.status_code == 200 and js.json()["status"] == "draft"
    assert js.json()["summary"]["impact"] == "Customers cannot pay"
    # Security incident: a key without incidents:security never learns it exists.
    assert reader.get(f"/api/v1/incidents/{breach.reference}/postmortem.md").status_code == 404
    security = client_with("incidents:read", "incidents:security")
    assert security.get(f"/api/v1/incidents/{breach.reference}/postmortem.md").status_code == 200
    # No scope, no credentials.
    assert (
        client_with("ingest").get(f"/api/v1/incidents/{outage.reference}/postmortem/").status_code
        == 403
    )
    assert APIClient().get(f"/api/v1/incidents/{outage.reference}/postmortem.md").status_code == 401
    # Staff session: a responder sees the outage's, not the breach's.
    from incidents.choices import StaffGroup

    responder = UserFactory(username="resp", groups=[StaffGroup.RESPONDER])
    session = APIClient()
    session.force_login(responder)
    assert session.get(f"/api/v1/incidents/{outage.reference}/postmortem.md").status_code == 200
    assert session.get(f"/api/v1/incidents/{breach.reference}/postmortem.md").status_code == 404


# --- admin ------------------------------------------------------------------------------
@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="admin", is_superuser=True))
    return client


def test_admin_postmortem_page_steps_and_export(admin_client, now):
    incident = open_incident(now)
    resolve(incident, now)
    postmortem = incident.postmortem
    url = reverse("admin:postmortems_postmortem_change", args=[postmortem.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    export = reverse("admin:postmortems_postmortem_export", args=[postmortem.pk])
    assert export in html and "Submit for review" in html
    md = admin_client.get(export)
    assert md.status_code == 200 and b"### Incident Summary" in md.content
    # The incident page links to it.
    incident_page = admin_client.get(reverse("admin:incidents_incident_change", args=[incident.pk]))
    assert url in incident_page.content.decode()
    step = reverse("admin:postmortems_postmortem_step", args=[postmortem.pk, "submit"])
    admin_client.post(step)
    postmortem.refresh_from_db()
    assert postmortem.status == PostMortemStatus.DRAFT  # refused: root cause missing
    pm.postmortem_update(postmortem=postmortem, user=None, root_cause="r", lessons_learned="l")
    admin_client.post(step)
    publish = reverse("admin:postmortems_postmortem_step", args=[postmortem.pk, "publish"])
    admin_client.post(publish, {"override_reason": "Sole reviewer this week"})
    postmortem.refresh_from_db()
    assert postmortem.status == PostMortemStatus.PUBLISHED
    assert postmortem.approved_by.username == "admin"


def test_action_items_list_filters_and_constant_queries(admin_client, now):
    url = reverse("admin:postmortems_actionitem_changelist")
    owners = [UserFactory(username=f"o{i}") for i in range(3)]

    def add(n, severity):
        incident = open_incident(now - timedelta(minutes=n), severity=severity, title=f"i{n}")
        resolve(incident, now)
        for i in range(n):
            pm.action_item_add(
                postmortem=incident.postmortem,
                description=f"fix {severity} {i}",
                owner=owners[i % 3],
                due_date=(now - timedelta(days=1 - i)).date(),
                user=None,
            )

    add(2, Severity.P1)
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(url).status_code == 200
    add(6, Severity.P0)
    with CaptureQueriesContext(connection) as many:
        response = admin_client.get(url)
    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(response.context["cl"].result_list) == 8
    overdue = admin_client.get(url + "?overdue=yes").context["cl"].result_list
    assert {item.due_date for item in overdue} == {(now - timedelta(days=1)).date()}
    p0 = admin_client.get(url + "?severity=P0").context["cl"].result_list
    assert len(p0) == 6
    mine = admin_client.get(url + f"?owner__id__exact={owners[0].pk}").context["cl"].result_list
    assert {item.owner for item in mine} == {owners[0]}
    done = ActionItem.objects.first()
    pm.action_item_update(item=done, status="done", user=None)
    assert len(admin_client.get(url).context["cl"].result_list) == 7


@pytest.mark.parametrize(
    "name",
    ["admin:postmortems_postmortem_changelist", "admin:postmortems_postincidenttask_changelist"],
)
def test_postmortem_and_checklist_lists_have_constant_queries(admin_client, now, name):
    url = reverse(name)

    def resolved(n):
        for i in range(n):
            incident = open_incident(now - timedelta(minutes=n * 10 + i), title=f"x{n}{i}")
            resolve(incident, now)

    resolved(1)
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(url + "?q=INC").status_code == 200
    resolved(4)
    with CaptureQueriesContext(connection) as many:
        response = admin_client.get(url + "?q=INC")
    assert response.status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)

"""The admin as staff use it: every page, action and permission, through the test client."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from incidents import services
from incidents.choices import (
    DetectionSource,
    IncidentType,
    ResponseRole,
    Severity,
    StaffGroup,
    Status,
    TimelineKind,
)
from incidents.models import ChecklistItem, Incident, RoleAssignment, TimelineEntry
from tests.incidents.builders import (
    IncidentFactory,
    RoleAssignmentFactory,
    ServiceFactory,
    UserFactory,
    changeform_post_data,
    inline_prefix,
)
from tests.postmortems.builders import publish_postmortem

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:incidents_incident_changelist")
ADD = reverse("admin:incidents_incident_add")


def change_url(incident):
    return reverse("admin:incidents_incident_change", args=[incident.pk])


def history_url(incident):
    return reverse("admin:incidents_incident_history", args=[incident.pk])


def transition_url(incident, to_status):
    return reverse("admin:incidents_incident_transition", args=[incident.pk, to_status])


@pytest.fixture
def admin_user():
    return UserFactory(username="admin", is_superuser=True)


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def open_incident(user, **kwargs):
    defaults = dict(
        title="Checkout returns 502",
        severity=Severity.P1,
        type=IncidentType.SERVICE_OUTAGE,
        detection_source=DetectionSource.CLOUDWATCH_ALARM,
        user=user,
    )
    defaults.update(kwargs)
    return services.incident_create(**defaults)


# --- changelist ----------------------------------------------------------------------------
def test_changelist_shows_the_columns_staff_triage_by(admin_client, admin_user):
    incident = open_incident(admin_user, severity=Severity.P0)
    commander = UserFactory(username="ic.alex")
    services.incident_assign_role(
        incident=incident,
        role=ResponseRole.INCIDENT_COMMANDER,
        assignee=commander,
        user=admin_user,
    )
    response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    body = response.content.decode()
    assert incident.reference in body
    assert "Checkout returns 502" in body
    assert "ic.alex" in body
    assert "left" in body  # SLA countdown of an unacknowledged P0
    for header in ("Severity", "Status", "Commander", "Age", "Response SLA"):
        assert header in body


def test_changelist_filters_and_search(admin_client):
    p0 = IncidentFactory(severity=Severity.P0, title="Payments down")
    p3 = IncidentFactory(severity=Severity.P3, title="Typo on footer")
    drill = IncidentFactory(severity=Severity.P2, is_drill=True, title="Quarterly drill")

    def listed(query):
        response = admin_client.get(CHANGELIST, query)
        assert response.status_code == 200
        return {obj.pk for obj in response.context["cl"].result_list}

    assert listed({"severity__exact": "P0"}) == {p0.pk}
    assert listed({"is_drill__exact": "1"}) == {drill.pk}
    assert listed({"q": "footer"}) == {p3.pk}
    assert listed({"q": p0.reference}) == {p0.pk}
    assert listed({"open": "yes"}) == {p0.pk, p3.pk, drill.pk}


def test_changelist_lists_newest_first(admin_client):
    now = timezone.now()
    old = IncidentFactory(detected_at=now - timedelta(days=3))
    new = IncidentFactory(detected_at=now - timedelta(minutes=5))
    response = admin_client.get(CHANGELIST)
    assert [obj.pk for obj in response.context["cl"].result_list] == [new.pk, old.pk]


@pytest.mark.parametrize("viewer", ["superuser", "responder"])
def test_changelist_query_count_does_not_grow_with_rows(client, viewer):
    user = (
        UserFactory(username="root", is_superuser=True)
        if viewer == "superuser"
        else UserFactory(username="resp", groups=[StaffGroup.RESPONDER])
    )
    client.force_login(user)

    def queries_for_listing():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(CHANGELIST)
        assert response.status_code == 200
        return len(captured), len(response.context["cl"].result_list)

    for _ in range(3):
        RoleAssignmentFactory(incident=IncidentFactory(), user=UserFactory())
    few_queries, few_rows = queries_for_listing()
    for _ in range(30):
        RoleAssignmentFactory(incident=IncidentFactory(), user=UserFactory())
    many_queries, many_rows = queries_for_listing()
    assert (few_rows, many_rows) == (3, 33)
    assert many_queries == few_queries
    assert many_queries <= 12


# --- add and change ------------------------------------------------------------------------
def test_add_incident_goes_through_the_service(admin_client, admin_user):
    service = ServiceFactory(name="payments")
    page = admin_client.get(ADD)
    data = changeform_post_data(
        page,
        title="Card payments failing",
        severity="P0",
        type="service_outage",
        detection_source="support_ticket",
        affected_services=[str(service.pk)],
        users_affected="1200",
    )
    response = admin_client.post(ADD, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    incident = Incident.objects.get(title="Card payments failing")
    assert incident.reference.startswith("INC-")
    assert incident.category == "operational"
    assert incident.response_due_at == incident.detected_at + timedelta(minutes=15)
    assert list(incident.affected_services.all()) == [service]
    assert incident.timeline.filter(kind=TimelineKind.CREATED).count() == 1
    assert incident.checklist.filter(phase="triage").count() == 5
    assert incident.history.first().history_user == admin_user


def test_add_with_bad_input_shows_form_errors_and_saves_nothing(admin_client):
    page = admin_client.get(ADD)
    future = timezone.localtime() + timedelta(days=2)
    data = changeform_post_data(
        page,
        title="",
        severity="P9",
        type="service_outage",
        detection_source="apm",
        detected_at_0=future.strftime("%Y-%m-%d"),
        detected_at_1=future.strftime("%H:%M:%S"),
    )
    response = admin_client.post(ADD, data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "title" in errors
    assert "severity" in errors
    assert "Detection time cannot be in the future." in errors["detected_at"]
    assert Incident.objects.count() == 0
    assert TimelineEntry.objects.count() == 0


def test_edit_records_history_with_field_level_changes(admin_client, admin_user):
    incident = open_incident(admin_user)
    page = admin_client.get(change_url(incident))
    data = changeform_post_data(
        page, title="Checkout returns 502 for EU users", change_reason="narrowed scope"
    )
    response = admin_client.post(change_url(incident), data)
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.title == "Checkout returns 502 for EU users"
    latest = incident.history.first()
    assert latest.history_user == admin_user
    assert latest.history_change_reason == "narrowed scope"
    assert latest.request_id  # stamped by the request id middleware

    history = admin_client.get(history_url(incident))
    body = history.content.decode()
    assert history.status_code == 200
    assert "Checkout returns 502 for EU users" in body
    assert "narrowed scope" in body
    assert latest.request_id in body


def test_severity_change_in_the_form_recomputes_the_response_deadline(admin_client, admin_user):
    incident = open_incident(admin_user, severity=Severity.P3)
    page = admin_client.get(change_url(incident))
    response = admin_client.post(change_url(incident), changeform_post_data(page, severity="P0"))
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.severity == "P0"
    assert incident.response_due_at == incident.detected_at + timedelta(minutes=15)
    assert incident.timeline.filter(kind=TimelineKind.SEVERITY_CHANGE).exists()


def test_second_editor_gets_a_conflict_instead_of_overwriting(admin_client, admin_user):
    incident = open_incident(admin_user)
    other = UserFactory(username="tl.sam", groups=[StaffGroup.TECHNICAL_LEAD])
    client = Client()
    client.force_login(other)
    first_page = admin_client.get(change_url(incident))
    second_page = client.get(change_url(incident))

    first = admin_client.post(
        change_url(incident), changeform_post_data(first_page, title="Title from the first")
    )
    assert first.status_code == 302
    second = client.post(
        change_url(incident), changeform_post_data(second_page, title="Title from the second")
    )
    assert second.status_code == 200
    assert "Someone else changed this incident" in second.content.decode()
    incident.refresh_from_db()
    assert incident.title == "Title from the first"


# --- transitions ---------------------------------------------------------------------------
def test_whole_lifecycle_through_the_admin_buttons(admin_client, admin_user):
    incident = open_incident(admin_user)
    page = admin_client.get(change_url(incident))
    assert transition_url(incident, "triaged") in page.content.decode()

    for to_status, extra in [
        ("triaged", {"reason": "P1 confirmed"}),
        ("investigating", {}),
        ("contained", {}),
        ("resolved", {"resolution_summary": "Rolled back release 4.2.1"}),
        ("closed", {"reason": "Open steps tracked in OPS-1"}),
    ]:
        if to_status == "closed":  # P1: closing needs the published post-mortem
            publish_postmortem(incident, user=admin_user)
            # Closing with open work lists it and needs the reason.
            assert admin_client.post(transition_url(incident, to_status), {}).status_code == 400
        assert admin_client.get(transition_url(incident, to_status)).status_code == 200
        response = admin_client.post(transition_url(incident, to_status), extra)
        assert response.status_code == 302, response.content.decode()
        incident.refresh_from_db()
        assert incident.status == to_status

    assert incident.acknowledged_at is not None
    for stamp in ("triaged_at", "contained_at", "resolved_at", "closed_at"):
        assert getattr(incident, stamp) is not None
    assert incident.resolution_summary == "Rolled back release 4.2.1"
    kinds = list(incident.timeline.values_list("kind", flat=True))
    assert kinds.count(TimelineKind.STATUS_CHANGE) == 5
    phases = set(incident.checklist.values_list("phase", flat=True))
    assert phases == {"triage", "investigation", "containment", "resolution", "recovery"}
    assert incident.history.count() >= 6
    # A closed incident offers no more moves.
    closed_page = admin_client.get(change_url(incident)).content.decode()
    assert "/transition/" not in closed_page


def test_resolve_without_summary_is_refused_with_a_form_error(admin_client, admin_user):
    incident = open_incident(admin_user)
    response = admin_client.post(transition_url(incident, "resolved"), {})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    incident.refresh_from_db()
    assert incident.status == Status.DETECTED


def test_cancel_needs_a_reason(admin_client, admin_user):
    incident = open_incident(admin_user)
    assert admin_client.post(transition_url(incident, "cancelled"), {}).status_code == 400
    response = admin_client.post(
        transition_url(incident, "cancelled"), {"cancel_reason": "False alarm: test probe"}
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == Status.CANCELLED
    assert incident.cancel_reason == "False alarm: test probe"


def test_invalid_move_gets_a_clear_message_and_changes_nothing(admin_client, admin_user):
    incident = open_incident(admin_user)
    response = admin_client.post(transition_url(incident, "closed"), {})
    assert response.status_code == 409
    assert "cannot move to closed" in response.content.decode()
    incident.refresh_from_db()
    assert incident.status == Status.DETECTED
    assert not incident.timeline.filter(kind=TimelineKind.STATUS_CHANGE).exists()


def test_reopen_a_resolved_incident(admin_client, admin_user):
    incident = open_incident(admin_user)
    services.incident_transition(
        incident=incident, to_status="resolved", resolution_summary="fixed", user=admin_user
    )
    assert admin_client.post(transition_url(incident, "investigating"), {}).status_code == 400
    response = admin_client.post(
        transition_url(incident, "investigating"), {"reason": "errors are back"}
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == Status.INVESTIGATING
    assert incident.resolved_at is None


def test_acknowledge_page_and_action(admin_client, admin_user):
    incident = open_incident(admin_user)
    url = reverse("admin:incidents_incident_acknowledge", args=[incident.pk])
    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url).status_code == 302
    incident.refresh_from_db()
    assert incident.acknowledged_at is not None

    other = open_incident(admin_user, title="Search slow")
    response = admin_client.post(
        CHANGELIST,
        {"action": "acknowledge_selected", "_selected_action": [incident.pk, other.pk]},
    )
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.acknowledged_at is not None
    assert TimelineEntry.objects.filter(kind=TimelineKind.ACKNOWLEDGED).count() == 2


# --- inlines -------------------------------------------------------------------------------
def test_assign_roles_add_notes_and_tick_checklist_from_the_incident_page(admin_client, admin_user):
    incident = open_incident(admin_user)
    first_ic = UserFactory(username="ic.first")
    second_ic = UserFactory(username="ic.second")

    def submit(**fields):
        page = admin_client.get(change_url(incident))
        data = changeform_post_data(page, **fields)
        response = admin_client.post(change_url(incident), data)
        assert response.status_code == 302, response.context["errors"]
        return page

    page = admin_client.get(change_url(incident))
    roles = inline_prefix(page, "roleassignment", add_only=True)
    notes = inline_prefix(page, "timelineentry", add_only=True)
    submit(**{f"{roles}-0-role": "incident_commander", f"{roles}-0-user": str(first_ic.pk)})
    submit(**{f"{roles}-0-role": "incident_commander", f"{roles}-0-user": str(second_ic.pk)})
    assignments = RoleAssignment.objects.filter(incident=incident).order_by("assigned_at", "id")
    assert [(a.user.username, a.relieved_at is None) for a in assignments] == [
        ("ic.first", False),
        ("ic.second", True),
    ]

    submit(**{f"{notes}-0-text": "Rolled back the load balancer config"})
    assert incident.timeline.filter(
        kind=TimelineKind.NOTE, text="Rolled back the load balancer config", author=admin_user
    ).exists()

    page = admin_client.get(change_url(incident))
    checklist = next(
        inline.formset
        for inline in page.context["inline_admin_formsets"]
        if inline.formset.model is ChecklistItem
    )
    first_step = checklist.forms[0].instance
    submit(**{f"{checklist.prefix}-0-done": "on"})
    first_step.refresh_from_db()
    assert first_step.done_by == admin_user
    assert first_step.done_at is not None


def test_assigning_the_current_holder_again_is_a_form_error(admin_client, admin_user):
    incident = open_incident(admin_user)
    holder = UserFactory(username="ic.same")
    services.incident_assign_role(
        incident=incident, role="incident_commander", assignee=holder, user=admin_user
    )
    page = admin_client.get(change_url(incident))
    roles = inline_prefix(page, "roleassignment", add_only=True)
    data = changeform_post_data(
        page, **{f"{roles}-0-role": "incident_commander", f"{roles}-0-user": str(holder.pk)}
    )
    response = admin_client.post(change_url(incident), data)
    assert response.status_code == 200
    assert "already the Incident Commander" in response.content.decode()
    assert RoleAssignment.objects.filter(incident=incident).count() == 1


# --- permissions ---------------------------------------------------------------------------
@pytest.fixture
def security_incident(admin_user):
    return open_incident(
        admin_user,
        title="Credential stuffing against login",
        type=IncidentType.UNAUTHORIZED_ACCESS,
        detection_source=DetectionSource.SECURITY_EVENT,
    )


def test_security_incidents_are_need_to_know(client, admin_user, security_incident):
    ordinary = open_incident(admin_user, title="Search is slow")
    responder = UserFactory(username="resp", groups=[StaffGroup.RESPONDER])
    client.force_login(responder)

    def listed():
        return {obj.pk for obj in client.get(CHANGELIST).context["cl"].result_list}

    assert listed() == {ordinary.pk}
    assert client.get(change_url(security_incident)).status_code == 302  # "does not exist"
    assert client.get(history_url(security_incident)).status_code == 404
    assert client.get(transition_url(security_incident, "triaged")).status_code == 404
    assert client.get(CHANGELIST, {"q": "Credential"}).context["cl"].result_count == 0

    services.incident_assign_role(
        incident=security_incident, role="technical_lead", assignee=responder, user=admin_user
    )
    assert listed() == {ordinary.pk, security_incident.pk}
    assert client.get(change_url(security_incident)).status_code == 200
    assert client.get(history_url(security_incident)).status_code == 200


def test_security_lead_group_and_superuser_see_security_incidents(client, security_incident):
    lead = UserFactory(username="sec.lead", groups=[StaffGroup.SECURITY_LEAD])
    client.force_login(lead)
    assert security_incident.reference in client.get(CHANGELIST).content.decode()
    assert client.get(change_url(security_incident)).status_code == 200


def test_auditor_reads_everything_and_changes_nothing(client, admin_user):
    incident = open_incident(admin_user)
    auditor = UserFactory(username="auditor", groups=[StaffGroup.AUDITOR])
    client.force_login(auditor)
    assert client.get(CHANGELIST).status_code == 200
    page = client.get(change_url(incident))
    assert page.status_code == 200
    assert "/transition/" not in page.content.decode()
    assert client.get(history_url(incident)).status_code == 200
    assert client.post(change_url(incident), {"title": "x"}).status_code == 403
    assert client.post(transition_url(incident, "triaged"), {}).status_code == 403
    assert client.get(ADD).status_code == 403
    incident.refresh_from_db()
    assert incident.status == Status.DETECTED


def test_history_cannot_be_reverted_or_edited(admin_client, admin_user):
    incident = open_incident(admin_user)
    record = incident.history.last()
    url = reverse("admin:incidents_incident_simple_history", args=[incident.pk, record.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"title": "rewritten"})
    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.title == "Checkout returns 502"


def test_incidents_cannot_be_deleted(admin_client, admin_user):
    incident = open_incident(admin_user)
    url = reverse("admin:incidents_incident_delete", args=[incident.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert Incident.objects.filter(pk=incident.pk).exists()


def test_reference_admin_pages_render(admin_client):
    for name in (
        "severitypolicy",
        "service",
        "checklisttemplate",
        "timelineentry",
        "roleassignment",
    ):
        response = admin_client.get(reverse(f"admin:incidents_{name}_changelist"))
        assert response.status_code == 200, name


def test_group_membership_changes_are_history_but_logins_are_not(admin_client):
    person = UserFactory(username="new.lead")
    before = person.history.count()
    assert Client().login(username="new.lead", password="pw")  # writes last_login only
    person.refresh_from_db()
    assert person.last_login is not None
    assert person.history.count() == before

    person.groups.add(*Group.objects.filter(name=StaffGroup.SECURITY_LEAD))
    latest = person.history.first()
    assert person.history.count() == before + 1
    assert [row.group.name for row in latest.groups.all()] == [StaffGroup.SECURITY_LEAD]
    page = admin_client.get(reverse("admin:auth_user_history", args=[person.pk]))
    assert page.status_code == 200

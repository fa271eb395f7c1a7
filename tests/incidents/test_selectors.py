"""Need-to-know: who sees which incidents (incidents.selectors)."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser

from incidents.models import Incident
from incidents.outbox.services import delivery_enqueue, notify_people
from incidents.selectors import (
    incident_list_queryset,
    incidents_visible_to,
    incidents_withheld_from,
    user_can_see_incident,
    user_sees_all_security,
)
from incidents.services import incident_assign_role, incident_relieve_role
from tests.incidents.builders import IncidentFactory, RoleAssignmentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def incidents():
    return {
        "breach": IncidentFactory(type="data_breach"),
        "malware": IncidentFactory(type="malware"),
        "outage": IncidentFactory(type="service_outage"),
        "bug": IncidentFactory(type="software_bug", category="application"),
    }


def visible(user):
    return set(incidents_visible_to(user).values_list("type", flat=True))


ALL = {"data_breach", "malware", "service_outage", "software_bug"}
NON_SECURITY = {"service_outage", "software_bug"}


def assert_consistent(user, incidents):
    """The single-incident check agrees with the list."""
    seen = visible(user)
    for incident in incidents.values():
        assert user_can_see_incident(user, incident) is (incident.type in seen), incident.type


def test_factory_incidents_have_the_right_category(incidents):
    assert incidents["breach"].is_security
    assert incidents["malware"].is_security
    assert not incidents["outage"].is_security


def test_superuser_sees_everything(incidents):
    admin = UserFactory(username="root", is_superuser=True)
    assert visible(admin) == ALL
    assert user_sees_all_security(admin)
    assert_consistent(admin, incidents)


@pytest.mark.parametrize("group", ["Security Lead", "Auditor"])
def test_security_lead_and_auditor_groups_see_everything(incidents, group):
    member = UserFactory(username="sec", groups=[group])
    assert visible(member) == ALL
    assert user_sees_all_security(member)
    assert not incidents_withheld_from(member).exists()
    assert_consistent(member, incidents)


@pytest.mark.parametrize(
    "group",
    ["Incident Commander", "Technical Lead", "Communications Lead", "Responder"],
)
def test_other_groups_see_only_non_security(incidents, group):
    user = UserFactory(username="member", groups=[group])
    assert visible(user) == NON_SECURITY
    assert not user_sees_all_security(user)
    assert_consistent(user, incidents)


def test_plain_staff_sees_non_security(incidents):
    staff = UserFactory(username="staff")
    assert visible(staff) == NON_SECURITY
    assert_consistent(staff, incidents)


@pytest.mark.parametrize(
    "role", ["incident_commander", "technical_lead", "communications_lead", "security_lead"]
)
def test_active_role_holder_sees_that_security_incident_only(incidents, role):
    holder = UserFactory(username="holder")
    RoleAssignmentFactory(incident=incidents["breach"], role=role, user=holder)
    assert visible(holder) == NON_SECURITY | {"data_breach"}
    assert_consistent(holder, incidents)


def test_role_on_a_non_security_incident_grants_nothing_extra(incidents):
    holder = UserFactory(username="holder")
    RoleAssignmentFactory(incident=incidents["outage"], user=holder)
    assert visible(holder) == NON_SECURITY


def test_relieved_role_holder_keeps_access(incidents):
    """Who held a role on a security incident keeps reading it (their own work, the
    post-mortem) after being relieved."""
    holder = UserFactory(username="holder")
    boss = UserFactory(username="boss", is_superuser=True)
    assignment = incident_assign_role(
        incident=incidents["malware"], role="security_lead", assignee=holder, user=boss
    )
    assert "malware" in visible(holder)
    incident_relieve_role(assignment=assignment, user=boss)
    assert visible(holder) == NON_SECURITY | {"malware"}
    assert user_can_see_incident(holder, incidents["malware"])
    assert_consistent(holder, incidents)


def test_handed_over_role_holder_keeps_access(incidents):
    first = UserFactory(username="first")
    second = UserFactory(username="second")
    boss = UserFactory(username="boss", is_superuser=True)
    for assignee in (first, second):
        incident_assign_role(
            incident=incidents["breach"], role="incident_commander", assignee=assignee, user=boss
        )
    assert "data_breach" in visible(first)
    assert "data_breach" in visible(second)
    assert "malware" not in visible(first)


def test_paged_person_sees_that_security_incident_only(incidents):
    paged = UserFactory(username="oncall", email="oncall@example.test", groups=["Responder"])
    colleague = UserFactory(username="colleague", groups=["Responder"])
    notify_people(
        people=[paged],
        key="test-page",
        subject="P0 data breach",
        body="You are paged.",
        now=incidents["breach"].detected_at,
        incident=incidents["breach"],
    )
    assert visible(paged) == NON_SECURITY | {"data_breach"}
    assert_consistent(paged, incidents)
    # Being in the same group as the paged person grants nothing.
    assert visible(colleague) == NON_SECURITY
    assert_consistent(colleague, incidents)


def test_a_delivery_to_no_person_grants_nothing(incidents):
    """A message to a channel or an address (no recipient) opens the incident to nobody,
    and a page about another incident opens only that one."""
    staff = UserFactory(username="staff", email="staff@example.test")
    delivery_enqueue(
        key="chat",
        channel="slack",
        target="https://chat.example.test/hook",
        subject="P0",
        body="…",
        now=incidents["breach"].detected_at,
        incident=incidents["breach"],
    )
    delivery_enqueue(
        key="mail",
        channel="email",
        target="staff@example.test",
        subject="P3",
        body="…",
        now=incidents["outage"].detected_at,
        incident=incidents["outage"],
        recipient=staff,
    )
    assert visible(staff) == NON_SECURITY


def test_visibility_is_one_query_whatever_the_rows(incidents, django_assert_num_queries):
    holder = UserFactory(username="holder", email="holder@example.test")
    RoleAssignmentFactory(incident=incidents["breach"], user=holder)
    notify_people(
        people=[holder],
        key="page",
        subject="P0",
        body="…",
        now=incidents["malware"].detected_at,
        incident=incidents["malware"],
    )
    for _ in range(5):
        IncidentFactory(type="malware")
    with django_assert_num_queries(1):
        assert len(list(incidents_visible_to(holder))) == 4
    with django_assert_num_queries(1):
        assert incidents_withheld_from(holder).count() == 5


def test_withheld_counts_every_hidden_security_incident(incidents):
    staff = UserFactory(username="staff")
    assert set(incidents_withheld_from(staff).values_list("type", flat=True)) == {
        "data_breach",
        "malware",
    }
    RoleAssignmentFactory(incident=incidents["breach"], user=staff)
    assert list(incidents_withheld_from(staff).values_list("type", flat=True)) == ["malware"]
    root = UserFactory(username="root", is_superuser=True)
    assert incidents_withheld_from(root).count() == 0


def test_several_roles_count_the_incident_once(incidents):
    holder = UserFactory(username="holder")
    now = incidents["breach"].detected_at
    RoleAssignmentFactory(
        incident=incidents["breach"],
        role="technical_lead",
        user=holder,
        assigned_at=now - timedelta(hours=2),
        relieved_at=now - timedelta(hours=1),
    )
    RoleAssignmentFactory(incident=incidents["breach"], role="security_lead", user=holder)
    assert visible(holder) == NON_SECURITY | {"data_breach"}
    assert incidents_visible_to(holder).filter(type="data_breach").count() == 1


def test_anonymous_sees_nothing(incidents):
    anonymous = AnonymousUser()
    assert visible(anonymous) == set()
    assert visible(None) == set()
    assert not user_sees_all_security(anonymous)
    assert_consistent(anonymous, incidents)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"is_superuser": True},
        {"groups": ["Security Lead"]},
        {"groups": ["Auditor"]},
    ],
    ids=["staff", "superuser", "security-lead", "auditor"],
)
def test_inactive_users_see_nothing(incidents, kwargs):
    user = UserFactory(username="gone", is_active=False, **kwargs)
    assert visible(user) == set()
    assert not user_sees_all_security(user)
    assert_consistent(user, incidents)


def test_inactive_role_holder_sees_nothing(incidents):
    holder = UserFactory(username="holder", is_active=False)
    RoleAssignmentFactory(incident=incidents["breach"], user=holder)
    assert visible(holder) == set()


def test_non_staff_users_see_nothing(incidents):
    customer = UserFactory(username="customer", is_staff=False)
    assert visible(customer) == set()
    assert_consistent(customer, incidents)


def test_narrows_a_given_queryset(incidents):
    staff = UserFactory(username="staff")
    security_only = Incident.objects.filter(category="security")
    assert incidents_visible_to(staff, security_only).count() == 0
    lead = UserFactory(username="sec", groups=["Security Lead"])
    assert incidents_visible_to(lead, security_only).count() == 2


def test_incident_list_queryset_annotates_active_commander(incidents):
    admin = UserFactory(username="root", is_superuser=True)
    old = UserFactory(username="old-ic")
    new = UserFactory(username="new-ic")
    for assignee in (old, new):
        incident_assign_role(
            incident=incidents["outage"], role="incident_commander", assignee=assignee, user=admin
        )
    incident_assign_role(incident=incidents["bug"], role="technical_lead", assignee=old, user=admin)
    commanders = dict(incident_list_queryset(admin).values_list("type", "commander_username"))
    assert commanders == {
        "service_outage": "new-ic",
        "software_bug": None,
        "data_breach": None,
        "malware": None,
    }


def test_incident_list_queryset_respects_need_to_know(incidents):
    staff = UserFactory(username="staff")
    assert set(incident_list_queryset(staff).values_list("type", flat=True)) == NON_SECURITY

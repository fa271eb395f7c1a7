"""incidents.services.roles: assigning, handing over and relieving response roles."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from incidents.domain import DomainError
from incidents.models import RoleAssignment
from incidents.services import incident_assign_role, incident_relieve_role
from tests.incidents.builders import UserFactory
from tests.incidents.services.helpers import T0, open_incident, snapshot, timeline, walk

pytestmark = pytest.mark.django_db


# --- roles ------------------------------------------------------------------------------
def test_assign_role(alice, bob):
    incident = open_incident(alice)
    at = T0 + timedelta(minutes=2)
    assignment = incident_assign_role(
        incident=incident, role="incident_commander", assignee=bob, user=alice, now=at
    )
    assignment.refresh_from_db()
    assert assignment.user == bob
    assert assignment.assigned_by == alice
    assert assignment.assigned_at == at
    assert assignment.relieved_at is None
    assert assignment.is_active
    [entry] = timeline(incident, "role_assigned")
    assert (entry.text, entry.author, entry.at) == ("bob is Incident Commander", alice, at)
    [history] = assignment.history.all()
    assert history.history_user == alice
    assert history.history_change_reason == "Incident Commander assigned"


def test_handover_keeps_the_old_assignment(alice, bob):
    carol = UserFactory(username="carol")
    incident = open_incident(alice)
    first = incident_assign_role(
        incident=incident, role="incident_commander", assignee=bob, user=alice, now=T0
    )
    handover_at = T0 + timedelta(hours=8)
    second = incident_assign_role(
        incident=incident, role="incident_commander", assignee=carol, user=bob, now=handover_at
    )
    first.refresh_from_db()
    assert first.relieved_at == handover_at
    assert second.relieved_at is None
    assignments = RoleAssignment.objects.filter(incident=incident, role="incident_commander")
    assert assignments.count() == 2
    assert list(assignments.filter(relieved_at__isnull=True)) == [second]
    relieved = first.history.order_by("-history_id").first()
    assert relieved.history_user == bob
    assert relieved.history_change_reason == "Handed over to carol"
    assert [e.text for e in timeline(incident) if e.kind.startswith("role_")] == [
        "bob is Incident Commander",
        "bob relieved as Incident Commander",
        "carol is Incident Commander",
    ]


def test_each_role_has_its_own_holder(alice, bob):
    incident = open_incident(alice)
    for role in ["incident_commander", "technical_lead", "communications_lead", "security_lead"]:
        incident_assign_role(incident=incident, role=role, assignee=bob, user=alice, now=T0)
    assert RoleAssignment.objects.filter(incident=incident, relieved_at__isnull=True).count() == 4


def test_same_role_on_other_incident_is_independent(alice, bob):
    one = open_incident(alice)
    two = open_incident(alice, detected_at=T0 - timedelta(hours=1))
    incident_assign_role(incident=one, role="technical_lead", assignee=bob, user=alice, now=T0)
    incident_assign_role(incident=two, role="technical_lead", assignee=alice, user=alice, now=T0)
    assert RoleAssignment.objects.get(incident=one).relieved_at is None


@pytest.mark.parametrize(
    ("role", "assignee", "field"),
    [
        ("incident_commander", "bob", "user"),  # already holds it
        ("incident_commander", "inactive", "user"),
        ("incident_commander", None, "user"),
        ("scribe", "carol", "role"),
    ],
)
def test_assign_role_refusals_write_nothing(alice, bob, role, assignee, field):
    users = {
        "bob": bob,
        "carol": UserFactory(username="carol"),
        "inactive": UserFactory(username="gone", is_active=False),
        None: None,
    }
    incident = open_incident(alice)
    incident_assign_role(
        incident=incident, role="incident_commander", assignee=bob, user=alice, now=T0
    )
    before = snapshot()
    with pytest.raises(DomainError) as excinfo:
        incident_assign_role(
            incident=incident, role=role, assignee=users[assignee], user=alice, now=T0
        )
    assert excinfo.value.field == field
    assert snapshot() == before


@pytest.mark.parametrize("path", [["cancelled"], ["resolved", "closed"]])
def test_assign_role_refused_on_final_incident(alice, bob, path):
    incident = walk(open_incident(alice), alice, *path)
    before = snapshot()
    with pytest.raises(DomainError):
        incident_assign_role(
            incident=incident, role="technical_lead", assignee=bob, user=alice, now=T0
        )
    assert snapshot() == before


def test_database_allows_only_one_active_holder_per_role(alice, bob):
    incident = open_incident(alice)
    RoleAssignment.objects.create(
        incident=incident, role="incident_commander", user=alice, assigned_at=T0
    )
    # a relieved holder and another role are fine
    RoleAssignment.objects.create(
        incident=incident,
        role="incident_commander",
        user=bob,
        assigned_at=T0 - timedelta(hours=1),
        relieved_at=T0,
    )
    RoleAssignment.objects.create(
        incident=incident, role="technical_lead", user=bob, assigned_at=T0
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(
            incident=incident, role="incident_commander", user=bob, assigned_at=T0
        )
    assert RoleAssignment.objects.filter(incident=incident, relieved_at__isnull=True).count() == 2


def test_relieve_role(alice, bob):
    incident = open_incident(alice)
    assignment = incident_assign_role(
        incident=incident, role="communications_lead", assignee=bob, user=alice, now=T0
    )
    at = T0 + timedelta(hours=1)
    incident_relieve_role(assignment=assignment.pk, user=alice, now=at)
    assignment.refresh_from_db()
    assert assignment.relieved_at == at
    assert timeline(incident, "role_relieved")[0].text == "bob relieved as Communications Lead"
    before = snapshot()
    with pytest.raises(DomainError, match="already ended"):
        incident_relieve_role(assignment=assignment, user=alice, now=at)
    assert snapshot() == before

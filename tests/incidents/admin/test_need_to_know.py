"""Need-to-know in the incident admin: who opens a security incident (superusers, the
Security Lead and Auditor groups, former and current role holders, people paged for it),
the Auditor's read-only view, and the "N not shown" notice for everyone else."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from incidents.choices import StaffGroup
from incidents.outbox.services import notify_people
from incidents.services import incident_assign_role, incident_relieve_role
from tests.incidents.builders import (
    IncidentFactory,
    TimelineEntryFactory,
    UserFactory,
    changeform_post_data,
)

pytestmark = pytest.mark.django_db

LIST = "/admin/incidents/incident/"


@pytest.fixture
def breach():
    return IncidentFactory(type="data_breach", title="Customer table exfiltrated")


@pytest.fixture
def outage():
    return IncidentFactory(type="service_outage", title="Checkout 502")


def change_url(incident) -> str:
    return reverse("admin:incidents_incident_change", args=[incident.pk])


def notices(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_auditor_group_may_only_view():
    permissions = Group.objects.get(name=StaffGroup.AUDITOR).permissions.all()
    codenames = set(permissions.values_list("codename", flat=True))
    assert "view_incident" in codenames and "view_breachassessment" in codenames
    assert "view_audit_trail" in codenames and "view_postmortem" in codenames
    assert not [c for c in codenames if c.split("_")[0] in {"add", "change", "delete"}]


def test_auditor_opens_the_security_incident_read_only(client, breach, outage):
    auditor = UserFactory(username="auditor", groups=[StaffGroup.AUDITOR])
    client.force_login(auditor)
    listing = client.get(LIST)
    assert breach.reference in listing.content.decode()
    assert not [n for n in notices(listing) if "not shown" in n]
    page = client.get(change_url(breach))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Customer table exfiltrated" in html
    assert 'name="_save"' not in html and 'name="_continue"' not in html
    history = client.get(reverse("admin:incidents_incident_history", args=[breach.pk]))
    assert history.status_code == 200
    timeline = client.get("/admin/incidents/timelineentry/", {"incident__id__exact": breach.pk})
    assert timeline.status_code == 200


def test_auditor_changes_nothing(client, breach):
    lead = UserFactory(username="sec", groups=[StaffGroup.SECURITY_LEAD])
    client.force_login(lead)
    data = changeform_post_data(client.get(change_url(breach)), title="Renamed by the auditor")
    auditor = UserFactory(username="auditor", groups=[StaffGroup.AUDITOR])
    client.force_login(auditor)
    assert client.post(change_url(breach), data).status_code == 403
    acknowledge = reverse("admin:incidents_incident_acknowledge", args=[breach.pk])
    assert client.post(acknowledge).status_code == 403
    transition = reverse("admin:incidents_incident_transition", args=[breach.pk, "triaged"])
    assert client.post(transition, {"reason": "x"}).status_code == 403
    breach.refresh_from_db()
    assert breach.title == "Customer table exfiltrated" and breach.acknowledged_at is None


def test_everyone_else_gets_not_found_and_a_notice_on_the_list(client, breach, outage):
    responder = UserFactory(username="resp", groups=[StaffGroup.RESPONDER])
    client.force_login(responder)
    listing = client.get(LIST)
    assert breach.reference not in listing.content.decode()
    assert outage.reference in listing.content.decode()
    assert "1 security incident is not shown: need-to-know." in notices(listing)
    # The count does not follow a search (no probing of the hidden incident's text).
    searched = client.get(LIST, {"q": "exfiltrated"})
    assert "1 security incident is not shown: need-to-know." in notices(searched)
    assert client.get(change_url(breach)).status_code in {302, 404}
    assert (
        client.get(reverse("admin:incidents_incident_history", args=[breach.pk])).status_code == 404
    )
    TimelineEntryFactory(incident=breach)
    timeline = client.get("/admin/incidents/timelineentry/")
    assert "1 timeline entry of security incidents is not shown: need-to-know." in notices(timeline)
    assert any("timeline entr" in n and "not shown" in n for n in notices(timeline))


def test_former_role_holder_still_opens_it(client, breach):
    holder = UserFactory(username="holder", groups=[StaffGroup.RESPONDER])
    boss = UserFactory(username="boss", is_superuser=True)
    assignment = incident_assign_role(
        incident=breach, role="technical_lead", assignee=holder, user=boss
    )
    incident_relieve_role(assignment=assignment, user=boss)
    client.force_login(holder)
    assert client.get(change_url(breach)).status_code == 200
    assert not [n for n in notices(client.get(LIST)) if "not shown" in n]


def test_paged_person_opens_it_and_a_group_mate_does_not(client, breach):
    paged = UserFactory(username="oncall", email="oncall@example.test", groups=["Responder"])
    mate = UserFactory(username="mate", email="mate@example.test", groups=["Responder"])
    notify_people(
        people=[paged],
        key="page",
        subject="P0 data breach",
        body="You are paged.",
        now=breach.detected_at,
        incident=breach,
    )
    client.force_login(paged)
    assert client.get(change_url(breach)).status_code == 200
    client.force_login(mate)
    assert client.get(change_url(breach)).status_code in {302, 404}

"""The incident change page as every app contributes to it: the buttons, in order, and the
pages behind them. Incidents define the page; post-mortems and compliance add to it."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents import services
from incidents.choices import DetectionSource, IncidentType, Severity
from postmortems.services import post_incident_open
from tests.incidents.builders import UserFactory

pytestmark = pytest.mark.django_db

BUTTON = re.compile(r'<a href="([^"]+)" class="incident-action">([^<]+)</a>')
PRIMARY_POST = re.compile(
    r'<form method="post" action="([^"]+)" class="band-form">.*?id="band-primary">([^<]+)</button>',
    re.S,
)
PRIMARY_LINK = re.compile(
    r'<a href="([^"]+)" class="band-primary incident-primary"[^>]*>([^<]+)</a>'
)


@pytest.fixture
def superuser_client(client):
    user = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(user)
    return client, user


@pytest.fixture
def breach(superuser_client):
    client, user = superuser_client
    incident = services.incident_create(
        title="Customer export left public",
        severity=Severity.P1,
        type=IncidentType.DATA_BREACH,
        detection_source=DetectionSource.CLOUDWATCH_ALARM,
        user=user,
    )
    postmortem = post_incident_open(incident=incident, user=user, now=timezone.now())
    assert postmortem is not None
    # Started from the incident page, as staff do.
    start = reverse("admin:reporting_breachassessment_start", args=[incident.pk])
    response = client.post(start)
    assert response.status_code == 302
    assessment_pk = int(response.url.rstrip("/").split("/")[-2])
    return incident, postmortem, assessment_pk


def buttons(client, incident):
    """The primary move in the header band, then the menu's actions (History aside)."""
    response = client.get(reverse("admin:incidents_incident_change", args=[incident.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    primary = PRIMARY_POST.findall(html) or PRIMARY_LINK.findall(html)
    return [(label, url) for url, label in primary + BUTTON.findall(html)]


def test_every_app_contributes_its_buttons_in_order(superuser_client, breach):
    client, _ = superuser_client
    incident, postmortem, assessment_pk = breach
    pk = incident.pk
    assert buttons(client, incident) == [
        ("Acknowledge", f"/admin/incidents/incident/{pk}/acknowledge/"),
        ("Mark triaged", f"/admin/incidents/incident/{pk}/transition/triaged/"),
        ("Start investigating", f"/admin/incidents/incident/{pk}/transition/investigating/"),
        ("Mark contained", f"/admin/incidents/incident/{pk}/transition/contained/"),
        ("Resolve", f"/admin/incidents/incident/{pk}/transition/resolved/"),
        ("Cancel (false alarm)", f"/admin/incidents/incident/{pk}/transition/cancelled/"),
        ("Send communication", f"/admin/incidents/incident/{pk}/communicate/"),
        ("Post-mortem", f"/admin/postmortems/postmortem/{postmortem.pk}/change/"),
        ("Breach assessment", f"/admin/reporting/breachassessment/{assessment_pk}/change/"),
        ("Evidence pack", f"/admin/reporting/auditseal/evidence/{pk}/"),
    ]


def test_every_button_opens_its_page(superuser_client, breach):
    client, _ = superuser_client
    incident, _, _ = breach
    for label, url in buttons(client, incident):
        if label == "Acknowledge":
            continue  # a POST from the band; its page is tested in test_incident.py
        response = client.get(url)
        assert response.status_code == 200, label
        if response.streaming:
            # Read it to the end: the test client then closes it without firing
            # request_finished, which would close the test's database connection.
            assert b"".join(response.streaming_content), label


def test_without_an_assessment_the_page_offers_to_start_one(superuser_client):
    client, user = superuser_client
    incident = services.incident_create(
        title="Checkout returns 502",
        severity=Severity.P3,
        type=IncidentType.SERVICE_OUTAGE,
        detection_source=DetectionSource.CLOUDWATCH_ALARM,
        user=user,
    )
    labels = [label for label, _ in buttons(client, incident)]
    assert labels[-3:] == ["Send communication", "Start breach assessment", "Evidence pack"]
    start = dict(buttons(client, incident))["Start breach assessment"]
    assert start == reverse("admin:reporting_breachassessment_start", args=[incident.pk])
    assert client.get(start).status_code == 200


def test_the_changelist_offers_every_apps_bulk_actions(superuser_client, breach):
    client, _ = superuser_client
    response = client.get(reverse("admin:incidents_incident_changelist"))
    actions = [value for value, _ in response.context["action_form"].fields["action"].choices]
    assert actions == ["", "acknowledge_selected", "export_audit_csv", "export_audit_jsonl"]


def test_the_incident_page_names_resolve():
    pk = 7
    for name, args in [
        ("admin:incidents_incident_change", [pk]),
        ("admin:incidents_incident_acknowledge", [pk]),
        ("admin:incidents_incident_transition", [pk, "triaged"]),
        ("admin:incidents_incident_communicate", [pk]),
        ("admin:reporting_breachassessment_start", [pk]),
        ("admin:reporting_evidence_pack", [pk]),
        ("admin:postmortems_postmortem_change", [pk]),
    ]:
        assert reverse(name, args=args)

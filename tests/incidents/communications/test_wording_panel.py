"""The incident page's "Public wording" section: what customers may read, read-only, with
a link to edit it on the Send communication page."""

import pytest
from django.urls import reverse

from incidents import services
from incidents.choices import DetectionSource, IncidentType, Severity, StaffGroup
from tests.incidents.builders import UserFactory

pytestmark = pytest.mark.django_db

EMPTY = "No public wording yet — required before an external message."


@pytest.fixture
def incident(now):
    return services.incident_create(
        title="db primary failover",
        summary="INTERNAL-ONLY summary",
        severity=Severity.P2,
        type=IncidentType.SERVICE_OUTAGE,
        detection_source=DetectionSource.CLOUDWATCH_ALARM,
        user=None,
        now=now,
    )


def page(client, user, incident) -> str:
    client.force_login(user)
    response = client.get(reverse("admin:incidents_incident_change", args=[incident.pk]))
    assert response.status_code == 200
    return response.content.decode()


def section(html: str) -> str:
    start = html.index('id="section-public-wording"')
    return html[start : html.index("</div>", start)]


def test_without_wording_the_section_says_it_is_needed_and_links_to_the_editor(client, incident):
    lead = UserFactory(groups=[StaffGroup.COMMUNICATIONS_LEAD])
    html = page(client, lead, incident)
    assert "<h2>Public wording</h2>" in html
    body = section(html)
    assert EMPTY in body
    edit = reverse("admin:incidents_incident_communicate", args=[incident.pk]) + "#public-wording"
    assert f'href="{edit}"' in body
    assert "Edit the public wording" in body


def test_written_wording_shows_each_field_with_its_label(client, incident, now):
    services.incident_update(
        incident=incident,
        user=None,
        public_title="Checkout slow for some customers",
        public_summary="Some payments take longer than usual.\nWe are on it.",
        now=now,
    )
    lead = UserFactory(groups=[StaffGroup.COMMUNICATIONS_LEAD])
    body = section(page(client, lead, incident))
    assert EMPTY not in body
    assert "Checkout slow for some customers" in body
    assert "Some payments take longer than usual.<br>We are on it." in body
    for label in ("Public title", "Public summary", "Public impact", "Public resolution"):
        assert label in body
    assert "Not written yet" in body  # impact and resolution
    assert "INTERNAL-ONLY" not in body


def test_people_who_cannot_send_see_the_wording_without_a_link(client, incident):
    responder = UserFactory(groups=[StaffGroup.RESPONDER])
    body = section(page(client, responder, incident))
    assert EMPTY in body
    assert "href=" not in body


def test_a_commander_who_may_send_but_not_edit_gets_a_link_to_the_send_page(client, incident):
    commander = UserFactory(groups=[StaffGroup.INCIDENT_COMMANDER])
    body = section(page(client, commander, incident))
    assert "Open it on the Send communication page" in body

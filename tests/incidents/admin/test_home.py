"""The staff home (the admin index): open incidents (mine first, then by response
deadline), failed deliveries, overdue regulatory notifications and reminders, and the
models grouped into sections the person may see."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model

from incidents.choices import DeliveryStatus, IncidentType, ResponseRole, Severity, StaffGroup
from incidents.models import Delivery, RoleAssignment
from tests.incidents.builders import IncidentFactory, UserFactory
from tests.reporting.builders import gdpr_assessment

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def home(client, user):
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 200
    return response


def test_open_incidents_mine_first_then_by_response_deadline(client, db):
    me = UserFactory(username="me", groups=[StaffGroup.INCIDENT_COMMANDER])
    IncidentFactory(title="Late one", detected_at=NOW - timedelta(hours=3))
    IncidentFactory(title="Soon one", detected_at=NOW - timedelta(minutes=1))
    mine = IncidentFactory(title="My one", detected_at=NOW - timedelta(minutes=2))
    RoleAssignment.objects.create(
        incident=mine, user=me, role=ResponseRole.INCIDENT_COMMANDER, assigned_at=NOW
    )
    IncidentFactory(title="Done one", status="cancelled", cancel_reason="dup")

    panel = home(client, me).context["panels"][0]
    assert panel.key == "open-incidents"
    assert [row.label.split(" ", 1)[1] for row in panel.rows] == ["My one", "Late one", "Soon one"]
    assert panel.rows[0].badge == "mine" and not panel.rows[1].badge
    assert panel.title == "Open incidents (3)"
    html = home(client, me).content.decode()
    assert html.index("My one") < html.index("Late one") < html.index("Soon one")
    assert "Done one" not in html


def test_security_incidents_stay_need_to_know_on_the_home(client, db):
    responder = UserFactory(username="resp", groups=[StaffGroup.RESPONDER])
    IncidentFactory(title="Secret breach", type=IncidentType.DATA_BREACH, severity=Severity.P0)
    IncidentFactory(title="Slow checkout")
    html = home(client, responder).content.decode()
    assert "Slow checkout" in html
    assert "Secret breach" not in html
    lead = UserFactory(username="lead", groups=[StaffGroup.SECURITY_LEAD])
    assert "Secret breach" in home(client, lead).content.decode()


def test_failed_deliveries_are_listed(client, db):
    admin = get_user_model().objects.create_superuser("root", "r@example.test", "x")
    incident = IncidentFactory(title="Paging broke")
    Delivery.objects.create(
        idempotency_key="k1",
        channel="email",
        target="a@example.test",
        subject="Page: P1",
        body="b",
        status=DeliveryStatus.FAILED,
        created_at=NOW,
        incident=incident,
        last_error="SMTP 550 mailbox unavailable",
    )
    Delivery.objects.create(
        idempotency_key="k2",
        channel="email",
        target="b@example.test",
        subject="Sent fine",
        body="b",
        status=DeliveryStatus.SENT,
        created_at=NOW,
    )
    html = home(client, admin).content.decode()
    assert 'id="panel-failed-deliveries"' in html
    assert "Page: P1" in html and "SMTP 550 mailbox unavailable" in html
    assert "Sent fine" not in html


def test_models_are_grouped_into_sections(client, db):
    admin = get_user_model().objects.create_superuser("root", "r@example.test", "x")
    html = home(client, admin).content.decode()
    sections = [
        "section-respond",
        "section-communicate",
        "section-comply",
        "section-prepare",
        "section-configure",
    ]
    positions = [html.index(f'id="{key}"') for key in sections]
    assert positions == sorted(positions)
    assert html.index('id="section-respond-incident"') < html.index('id="section-communicate"')
    assert html.index('id="section-comply-breachassessment"') < html.index('id="section-prepare"')
    assert "KPI dashboard" in html and "Quarterly compliance report" in html
    assert "Models in the" not in html  # no per-app list


def test_a_group_sees_only_the_sections_and_models_it_may_view(client, db):
    auditor = UserFactory(username="aud", groups=[StaffGroup.AUDITOR])
    responder = UserFactory(username="resp", groups=[StaffGroup.RESPONDER])
    auditor_html = home(client, auditor).content.decode()
    responder_html = home(client, responder).content.decode()
    assert 'id="section-respond-incident"' in responder_html
    assert 'id="section-configure-user"' not in responder_html
    assert 'id="section-configure-apikey"' not in responder_html
    assert 'id="section-comply-auditseal"' in auditor_html
    assert "addlink" not in auditor_html  # read-only


def test_overdue_obligations_and_reminders(client, open_breach, people):
    incident, owed = gdpr_assessment(open_breach, people, aware=NOW - timedelta(days=4))
    panel = {p.key: p for p in home(client, people["sec"]).context["panels"]}["obligations"]
    assert [row.label for row in panel.rows] == [f"{incident.reference}: {owed.stage}"]
    assert panel.rows[0].badge == "overdue" and "overdue by 1d" in panel.rows[0].detail
    # A responder neither sees the security incident nor the obligations panel.
    keys = [p.key for p in home(client, people["resp"]).context["panels"]]
    assert "obligations" not in keys

"""The KPI dashboard (/admin/kpis/), the admin index's Reports box and the quarterly
compliance report (/admin/kpis/quarterly/): permissions, filters, form errors, numbers equal
to the selectors' (and to hand-computed values), query budgets, need-to-know."""

import json
import re
from datetime import UTC, date, datetime, timedelta
from html import unescape

import pytest
import time_machine
from django.urls import reverse

from incidents.choices import IncidentType, Severity, StaffGroup, Status
from incidents.selectors import incidents_visible_to
from reporting.breach.choices import ObligationStatus
from reporting.dashboard import domain
from reporting.kpis.domain import periods_between
from reporting.kpis.selectors import kpi_breakdown, kpi_frequency, kpi_incidents, kpi_summary
from reporting.models import BreachAssessment, NotificationObligation, RegimeStage
from reporting.preparedness import services as preparedness
from reporting.preparedness.choices import ReviewOutcome, TrainingTopic
from reporting.preparedness.selectors import contact_verification_status, training_coverage
from tests.incidents.builders import IncidentFactory, ServiceFactory, UserFactory

DASHBOARD = "/admin/kpis/"
QUARTERLY = "/admin/kpis/quarterly/"
# A fixed window well in the past, so nothing depends on today's date.
RANGE = {"from": "2026-01-01", "to": "2026-03-31"}
JAN = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
FEB = datetime(2026, 2, 10, 9, 0, tzinfo=UTC)


# --- pure helpers -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "—"),
        (0, "0 s"),
        (45, "45 s"),
        (59.6, "1 min"),
        (90, "1 min 30 s"),
        (3600, "1 h"),
        (5430, "1 h 30 min"),
        (7261, "2 h 1 min"),
        (90_000, "1 d 1 h"),
        (86_400 + 59, "1 d"),
    ],
)
def test_humanize_duration(seconds, text):
    assert domain.humanize_duration(seconds) == text


def test_percent_and_default_range():
    assert domain.percent(None) == "—"
    assert domain.percent(0.875) == "87.5 %"
    assert domain.percent(1) == "100.0 %"
    assert domain.default_range(date(2026, 11, 28)) == (date(2025, 12, 1), date(2026, 11, 28))
    assert domain.default_range(date(2026, 1, 5)) == (date(2025, 2, 1), date(2026, 1, 5))


def test_frequency_chart_fills_empty_months_and_orders_groups():
    rows = [
        {"period": "2026-01", "group": "P2", "label": "P2 — Medium", "count": 2},
        {"period": "2026-03", "group": "P0", "label": "P0 — Critical", "count": 1},
    ]
    chart = domain.frequency_chart(rows, ["2026-01", "2026-02", "2026-03"])
    assert chart["periods"] == ["2026-01", "2026-02", "2026-03"]
    assert chart["labels"] == ["Jan 2026", "Feb 2026", "Mar 2026"]
    assert [(d["key"], d["data"]) for d in chart["datasets"]] == [
        ("P0", [0, 0, 1]),
        ("P2", [2, 0, 0]),
    ]


def _stats(mean):
    return {
        "count": 1,
        "missing": 0,
        "mean_seconds": mean,
        "p50_seconds": mean,
        "p90_seconds": mean,
    }


def test_response_trend_and_sla_charts():
    month = {"group": "2026-02", "mtta": _stats(600.0), "mttr": _stats(5400.0)}
    chart = domain.response_trend_chart([month], ["2026-01", "2026-02"])
    assert chart["labels"] == ["Jan 2026", "Feb 2026"]
    # No incident in January: a gap (null), not a zero.
    assert chart["datasets"][0] == {
        "key": "mtta",
        "label": "MTTA mean (minutes)",
        "data": [None, 10.0],
    }
    assert chart["datasets"][1]["data"] == [None, 1.5]
    sla_rows = [
        {"label": "P0 — Critical", "sla": {"met": 3, "breached": 1, "compliance_rate": 0.75}},
        {"label": "P3 — Low", "sla": {"met": 0, "breached": 0, "compliance_rate": None}},
    ]
    sla = domain.sla_chart(sla_rows)
    assert sla["datasets"][0]["data"] == [75.0, None]
    assert (sla["met"], sla["breached"]) == ([3, 0], [1, 0])


# --- data ------------------------------------------------------------------------------------
def incident(detected_at, **fields):
    fields.setdefault("response_due_at", detected_at + timedelta(hours=1))
    return IncidentFactory(detected_at=detected_at, **fields)


@pytest.fixture
def responder(db):
    return UserFactory(username="responder", groups=[StaffGroup.RESPONDER])


@pytest.fixture
def world(db):
    """Three counted incidents (Jan P1 with MTTA 10 min / MTTR 1 h and MTTD 30 min, Jan P2
    with MTTR 3 h, Feb P1 unacknowledged and unresolved), plus what must not count: a drill,
    an incident outside the range and a security incident the responder may not see."""
    payments = ServiceFactory(name="Payments")
    first = incident(
        JAN,
        severity=Severity.P1,
        started_at=JAN - timedelta(minutes=30),
        acknowledged_at=JAN + timedelta(minutes=10),
        resolved_at=JAN + timedelta(hours=1),
        status=Status.RESOLVED,
        resolution_summary="fixed",
        users_affected=100,
    )
    first.affected_services.add(payments)
    second = incident(
        JAN + timedelta(days=2),
        severity=Severity.P2,
        acknowledged_at=JAN + timedelta(days=2, minutes=30),
        resolved_at=JAN + timedelta(days=2, hours=3),
        status=Status.RESOLVED,
        resolution_summary="fixed",
    )
    third = incident(FEB, severity=Severity.P1)
    incident(JAN + timedelta(days=1), severity=Severity.P0, is_drill=True)
    incident(datetime(2026, 4, 2, tzinfo=UTC), severity=Severity.P1)
    secret = incident(FEB + timedelta(days=1), severity=Severity.P0, type=IncidentType.DATA_BREACH)
    return {"payments": payments, "counted": [first, second, third], "secret": secret}


def page_json(html: str, element_id: str):
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html)
    assert match, element_id
    return json.loads(match.group(1))


def tile_text(html: str, key: str) -> str:
    match = re.search(rf'<div class="kpi-tile" id="tile-{key}".*?</div>', html, re.S)
    assert match, key
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", match.group(0))).split())


# --- permissions -------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("url", [DASHBOARD, QUARTERLY])
def test_anonymous_is_sent_to_login_and_staff_without_permission_get_403(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.force_login(UserFactory(username="nobody"))  # staff, no permissions
    assert client.get(url).status_code == 403
    not_staff = UserFactory(username="customer", is_staff=False)
    client.force_login(not_staff)
    assert client.get(url).status_code == 302


@pytest.mark.django_db
def test_named_routes(responder, client):
    assert reverse("kpis:dashboard") == DASHBOARD
    assert reverse("kpis:quarterly") == QUARTERLY
    client.force_login(responder)
    assert client.get(DASHBOARD).status_code == 200
    assert client.get(QUARTERLY).status_code == 200


# --- the dashboard's numbers -----------------------------------------------------------------
@pytest.mark.django_db
def test_dashboard_numbers_equal_the_selectors_and_hand_computed_values(client, responder, world):
    client.force_login(responder)
    response = client.get(DASHBOARD, RANGE)
    assert response.status_code == 200
    html = response.content.decode()

    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
    incidents = kpi_incidents(incidents_visible_to(responder), start=start, end=end)
    summary = kpi_summary(incidents)
    assert response.context["summary"] == summary
    # By hand: three incidents (drill, April and the hidden security incident left out).
    assert summary["incidents"] == 3
    assert tile_text(html, "incidents") == "Incidents 3"
    # MTTR: 1 h and 3 h -> mean 2 h; one unresolved incident is counted as missing.
    assert summary["mttr"]["mean_seconds"] == 7200
    mttr = tile_text(html, "mttr")
    assert mttr.startswith("MTTR 2 h") and "1 missing a timestamp" in mttr
    # MTTA: 10 and 30 min -> 20 min; MTTD: only the first has started_at.
    assert tile_text(html, "mtta").startswith("MTTA 20 min")
    assert "2 missing a timestamp" in tile_text(html, "mttd")
    impact = summary["customer_impact"]["missing"]
    assert impact and f"{impact} without user-hours" in tile_text(html, "customer_impact")
    for tile in domain.summary_tiles(summary):
        text = tile_text(html, tile["key"])
        assert tile["value"] in text
        for line in tile.get("details", []):
            assert line in text
    assert "100 users" in tile_text(html, "customer_impact")

    # Chart data embedded for the JavaScript equals the selectors' output, shaped.
    months = periods_between(start, end, "month")
    frequency = page_json(html, "data-frequency")
    assert frequency == domain.frequency_chart(
        kpi_frequency(incidents, period="month", by="severity"), months
    )
    assert frequency["labels"] == ["Jan 2026", "Feb 2026", "Mar 2026"]
    by_key = {d["key"]: d["data"] for d in frequency["datasets"]}
    assert by_key == {"P1": [1, 1, 0], "P2": [1, 0, 0]}
    trend = page_json(html, "data-response-trend")
    assert trend == domain.response_trend_chart(kpi_breakdown(incidents, group_by="month"), months)
    assert trend["datasets"][0]["data"] == [20.0, None, None]  # MTTA minutes per month
    assert trend["datasets"][1]["data"] == [2.0, None, None]  # MTTR hours per month
    sla = page_json(html, "data-sla")
    assert sla == domain.sla_chart(kpi_breakdown(incidents, group_by="severity"))
    assert world["secret"].reference not in html


@pytest.mark.django_db
def test_security_lead_sees_security_incidents_in_the_numbers(client, world):
    lead = UserFactory(username="lead", groups=[StaffGroup.SECURITY_LEAD])
    client.force_login(lead)
    response = client.get(DASHBOARD, RANGE)
    assert response.context["summary"]["incidents"] == 4
    assert "not included (need-to-know)" not in response.content.decode()
    client.force_login(UserFactory(username="resp2", groups=[StaffGroup.RESPONDER]))
    assert "not included (need-to-know)" in client.get(DASHBOARD, RANGE).content.decode()


@pytest.mark.django_db
def test_filters_narrow_the_incidents(client, responder, world):
    client.force_login(responder)
    by_severity = client.get(DASHBOARD, {**RANGE, "severity": ["P2"]})
    assert by_severity.context["summary"]["incidents"] == 1
    by_service = client.get(DASHBOARD, {**RANGE, "service": [world["payments"].pk]})
    assert by_service.context["summary"]["incidents"] == 1
    by_type = client.get(DASHBOARD, {**RANGE, "type": ["software_bug"]})
    assert by_type.context["summary"]["incidents"] == 0
    february = client.get(DASHBOARD, {"from": "2026-02-01", "to": "2026-02-28"})
    assert february.context["summary"]["incidents"] == 1
    assert page_json(february.content.decode(), "data-frequency")["labels"] == ["Feb 2026"]


@pytest.mark.django_db
def test_breakdown_table_groups_by_the_chosen_dimension(client, responder, world):
    client.force_login(responder)
    response = client.get(DASHBOARD, {**RANGE, "group_by": "service"})
    rows = response.context["breakdown"]["rows"]
    assert [(row["label"], row["cells"][0]["value"]) for row in rows] == [
        ("Payments", "1"),
        ("(no service)", "2"),
    ]
    html = response.content.decode()
    assert "Breakdown by service" in html
    # The chooser links keep the filters and switch the grouping.
    assert "group_by=month" in html and "from=2026-01-01" in html
    by_severity = client.get(DASHBOARD, RANGE).context["breakdown"]["rows"]
    assert [row["group"] for row in by_severity] == ["P1", "P2"]
    assert by_severity[0]["cells"][5]["value"] == domain.percent(
        kpi_breakdown(
            kpi_incidents(
                incidents_visible_to(responder),
                start=datetime(2026, 1, 1, tzinfo=UTC),
                end=datetime(2026, 4, 1, tzinfo=UTC),
            ),
            group_by="severity",
        )[0]["sla"]["compliance_rate"]
    )


@pytest.mark.django_db
def test_export_links_carry_the_filters(client, responder, world):
    client.force_login(responder)
    response = client.get(DASHBOARD, {**RANGE, "severity": ["P1", "P2"], "group_by": "month"})
    links = {
        (link_label, export["rows"]): url
        for export in response.context["exports"]
        for link_label, url in export["links"]
    }
    assert set(links) == {(f, r) for f in ("CSV", "XLSX", "JSON") for r in ("kpis", "incidents")}
    url = links[("XLSX", "incidents")]
    assert url.startswith("/api/v1/reports/kpis/export/?format=xlsx&rows=incidents&")
    assert "from=2026-01-01&to=2026-03-31&severity=P1&severity=P2" in url
    assert "group_by=month" in url
    assert url.replace("&", "&amp;") in response.content.decode()


@pytest.mark.django_db
def test_export_links_answer_with_the_dashboards_numbers(client, responder, world):
    """The staff session follows the link: the KPI API's JSON export has the same numbers."""
    client.force_login(responder)
    response = client.get(DASHBOARD, {**RANGE, "severity": ["P1"]})
    links = {
        (label, e["rows"]): url for e in response.context["exports"] for label, url in e["links"]
    }
    exported = client.get(links[("JSON", "kpis")])
    assert exported.status_code == 200
    body = json.loads(b"".join(exported.streaming_content))
    assert body["summary"] == response.context["summary"]
    incidents_csv = client.get(links[("CSV", "incidents")])
    assert incidents_csv.status_code == 200
    body = b"".join(incidents_csv.streaming_content).decode()
    references = {row.reference for row in world["counted"] if row.severity == Severity.P1}
    assert all(reference in body for reference in references)
    assert world["counted"][1].reference not in body  # P2: filtered out


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"from": "2026-03-01", "to": "2026-01-01"}, "from", "from must be before to"),
        ({"from": "2026-13-01"}, "from", "Enter a valid date"),
        ({"to": "9999-12-31"}, "to", "Choose an earlier date"),
        ({"from": "2015-01-01", "to": "2026-01-01"}, "to", "at most 5 years"),
        ({"severity": ["P9"]}, "severity", "Select a valid choice"),
        ({"service": ["999999"]}, "service", "Select a valid choice"),
        ({"service": ["x"]}, "service", "is not a valid value"),
        ({"group_by": "colour"}, "group_by", "Select a valid choice"),
    ],
)
def test_bad_filters_are_form_errors_not_500(client, responder, params, field, message):
    client.force_login(responder)
    response = client.get(DASHBOARD, params)
    assert response.status_code == 200
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    html = response.content.decode()
    assert "errorlist" in html and "no numbers are shown" in html
    assert 'id="chart-frequency"' not in html


@pytest.mark.django_db
def test_the_last_representable_month_draws_its_charts(client, responder):
    client.force_login(responder)
    response = client.get(DASHBOARD, {"from": "9999-01-01", "to": "9999-12-29"})
    assert response.status_code == 200
    assert not response.context["form"].errors
    assert 'id="chart-frequency"' in response.content.decode()


@pytest.mark.django_db
def test_dashboard_defaults_to_the_last_twelve_months(client, responder):
    client.force_login(responder)
    with time_machine.travel(datetime(2026, 11, 28, 12, 0, tzinfo=UTC), tick=False):
        response = client.get(DASHBOARD)
    form = response.context["form"]
    assert form.cleaned_data["from"] == date(2025, 12, 1)
    assert form.cleaned_data["to"] == date(2026, 11, 28)
    html = response.content.decode()
    assert 'value="2025-12-01"' in html and 'value="2026-11-28"' in html
    assert len(page_json(html, "data-frequency")["labels"]) == 12


def _dashboard_queries(client) -> tuple[int, object]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(DASHBOARD, {"from": "2025-01-01", "to": "2026-12-31"})
    assert response.status_code == 200
    return len(captured), response


@pytest.mark.django_db
def test_dashboard_query_count_is_constant(client, responder, django_assert_num_queries):
    """Every number is an aggregate query: 5 or 50 incidents, the same number of queries."""
    client.force_login(responder)
    services = [ServiceFactory(name=f"svc-{i}") for i in range(3)]

    def add(count):
        for i in range(count):
            row = incident(
                JAN + timedelta(days=i * 7),
                severity=Severity.values[i % 4],
                acknowledged_at=JAN + timedelta(days=i * 7, minutes=5),
            )
            row.affected_services.add(services[i % 3])

    add(5)
    small, response = _dashboard_queries(client)
    assert response.context["summary"]["incidents"] == 5
    add(45)
    large, response = _dashboard_queries(client)
    assert response.context["summary"]["incidents"] == 50
    assert small == large
    # The budget (session, user, permissions, service choices, and one query per aggregate).
    with django_assert_num_queries(small):
        client.get(DASHBOARD, {"from": "2025-01-01", "to": "2026-12-31"})
    assert small <= 12


# --- the admin index ---------------------------------------------------------------------
@pytest.mark.django_db
def test_admin_index_links_reports_only_for_those_who_may_view_incidents(client, responder):
    client.force_login(responder)
    html = client.get("/admin/").content.decode()
    assert 'id="section-comply"' in html  # the reports are links of "Comply and audit"
    assert f'href="{DASHBOARD}"' in html and f'href="{QUARTERLY}"' in html
    assert 'id="section-respond-incident"' in html  # the models are still there
    client.force_login(UserFactory(username="nobody"))
    html = client.get("/admin/").content.decode()
    assert DASHBOARD not in html


# --- the quarterly report -----------------------------------------------------------------------
Q3 = datetime(2026, 7, 1, tzinfo=UTC)


def stage(regime: str, code: str) -> RegimeStage:
    return RegimeStage.objects.get(regime__code=regime, code=code)


def breach(incident_row, *, aware, obligations):
    assessment = BreachAssessment.objects.create(
        incident=incident_row,
        created_at=aware,
        awareness_at=aware,
        awareness_reason="SOC ticket",
    )
    for (regime, code), status, due_at, submitted_at in obligations:
        NotificationObligation.objects.create(
            assessment=assessment,
            stage=stage(regime, code),
            status=status,
            recipient="authority",
            due_at=due_at,
            submitted_at=submitted_at,
            rationale="below threshold" if status == ObligationStatus.NOT_REQUIRED else "",
        )
    return assessment


@pytest.fixture
def quarter_world(db):
    """Q3 2026: an operational incident with a breach (GDPR on time, NIS2 early warning late,
    NIS2 notification pending and overdue), a security breach (GDPR not required, NIS2 early
    warning on time), a Q2 breach and a drill incident's breach that must not count; a
    review, a drill, training and contact verifications."""
    aware = Q3 + timedelta(days=9)
    operational = incident(
        aware, type=IncidentType.DATA_CORRUPTION, severity=Severity.P1, title="Orders corrupted"
    )
    breach(
        operational,
        aware=aware,
        obligations=[
            (
                ("gdpr-33", "notification"),
                "submitted",
                aware + timedelta(hours=72),
                aware + timedelta(hours=30),
            ),
            (
                ("nis2", "early-warning"),
                "submitted",
                aware + timedelta(hours=24),
                aware + timedelta(hours=30),
            ),
            (("nis2", "notification"), "pending", aware + timedelta(hours=72), None),
        ],
    )
    secret_at = Q3 + timedelta(days=31)
    secret = incident(secret_at, type=IncidentType.DATA_BREACH, severity=Severity.P0)
    breach(
        secret,
        aware=secret_at,
        obligations=[
            (("gdpr-33", "notification"), "not_required", secret_at + timedelta(hours=72), None),
            (
                ("nis2", "early-warning"),
                "submitted",
                secret_at + timedelta(hours=24),
                secret_at + timedelta(hours=2),
            ),
        ],
    )
    june = datetime(2026, 6, 10, tzinfo=UTC)
    earlier = incident(june, type=IncidentType.DATA_CORRUPTION)
    breach(
        earlier,
        aware=june,
        obligations=[(("gdpr-33", "notification"), "submitted", june + timedelta(days=3), june)],
    )
    drill_incident = incident(aware, type=IncidentType.DATA_CORRUPTION, is_drill=True)
    breach(
        drill_incident,
        aware=aware,
        obligations=[(("gdpr-33", "notification"), "pending", aware + timedelta(hours=72), None)],
    )

    lead = UserFactory(username="ic-lead", groups=[StaffGroup.INCIDENT_COMMANDER])
    trained = UserFactory(username="trained", groups=[StaffGroup.RESPONDER])
    now = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
    review, _ = preparedness.procedure_review_open_for_quarter(quarter="2026-Q3", now=Q3)
    preparedness.procedure_review_complete(
        review=review,
        by=lead,
        outcome=ReviewOutcome.UPDATED,
        changes_made="Escalation matrix: CTO phone replaced",
        now=Q3 + timedelta(days=20),
    )
    drill = preparedness.drill_create(
        by=lead,
        now=Q3,
        title="Ransomware tabletop",
        scenario="File shares encrypted overnight",
        incident_type=IncidentType.MALWARE,
        severity=Severity.P1,
        scheduled_for=Q3 + timedelta(days=40),
        facilitator=lead,
    )
    preparedness.drill_record_outcome(
        drill=drill,
        by=lead,
        now=now,
        held_at=Q3 + timedelta(days=40, hours=2),
        evaluation="Paging worked; comms lead joined late",
        participants=[lead, trained],
    )
    for topic in TrainingTopic.values:
        preparedness.training_record_add(
            user=trained, topic=topic, completed_on=date(2026, 7, 15), by=lead, now=now
        )
    preparedness.contact_verification_open_for_quarter(quarter="2026-Q3", now=Q3)
    return {"operational": operational, "secret": secret, "earlier": earlier, "now": now}


def section(html: str, name: str) -> str:
    match = re.search(
        rf'<section class="report-section" id="section-{name}">(.*?)</section>', html, re.S
    )
    assert match, name
    return match.group(1)


def table_rows(html: str, table_id: str) -> list[list[str]]:
    table = re.search(rf'<table class="kpi-table" id="{table_id}">(.*?)</table>', html, re.S)
    assert table, table_id
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(1), re.S):
        cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
        rows.append([" ".join(unescape(re.sub(r"<[^>]+>", " ", c)).split()) for c in cells])
    return rows


@pytest.mark.django_db
def test_quarterly_report_for_a_superuser(client, quarter_world):
    admin_user = UserFactory(username="root", is_superuser=True)
    client.force_login(admin_user)
    with time_machine.travel(quarter_world["now"], tick=False):
        response = client.get(QUARTERLY, {"quarter": "2026-q3"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Quarterly compliance report 2026-Q3" in html
    assert "Period 2026-07-01 – 2026-09-30" in html

    # KPIs: the two real Q3 incidents (the drill and the June one are out).
    visible = incidents_visible_to(admin_user)
    q3 = kpi_incidents(visible, start=Q3, end=datetime(2026, 10, 1, tzinfo=UTC))
    assert response.context["summary"]["incidents"] == 2
    assert response.context["summary"]["incidents"] == kpi_summary(q3)["incidents"]
    by_severity = table_rows(html, "table-by-severity")
    assert [row[:2] for row in by_severity[1:]] == [["P0 — Critical", "1"], ["P1 — High", "1"]]
    assert [row[:2] for row in table_rows(html, "table-by-category")[1:]] == [
        ["Operational", "1"],
        ["Security", "1"],
    ]

    obligations = table_rows(html, "table-obligations")
    header, *stages, total = obligations
    assert header[:8] == [
        "Regime",
        "Stage",
        "Due",
        "Submitted on time",
        "Submitted late",
        "Pending",
        "of which overdue",
        "Not required",
    ]
    assert stages == [
        [
            "GDPR Art. 33 (supervisory authority)",
            "Notification to the lead supervisory authority",
            "2",
            "1",
            "0",
            "0",
            "0",
            "1",
        ],
        ["NIS2 Art. 23", "Early warning", "2", "1", "1", "0", "0", "0"],
        ["NIS2 Art. 23", "Incident notification", "1", "0", "0", "1", "1", "0"],
    ]
    assert total == ["Total", "5", "2", "1", "1", "1", "1"]
    breaches = section(html, "breaches")
    assert quarter_world["operational"].reference in breaches
    assert quarter_world["secret"].reference in breaches
    assert quarter_world["earlier"].reference not in breaches

    drills = table_rows(html, "table-drills")
    assert len(drills) == 2 and drills[1][0].startswith("Ransomware tabletop")
    assert drills[1][6] == "2"  # participants
    assert "Paging worked" in drills[1][8]
    reviews = table_rows(html, "table-reviews")
    assert reviews[1][0] == "2026-Q3" and reviews[1][4] == "Reviewed — procedures updated"
    assert "CTO phone replaced" in reviews[1][5]

    coverage = {row["group"]: row for row in training_coverage(on=date(2026, 9, 30))}
    training = {row[0]: row for row in table_rows(html, "table-training")[1:]}
    responders = training[StaffGroup.RESPONDER.value]
    assert responders[1] == str(coverage[StaffGroup.RESPONDER.value]["members"])
    assert responders[2:6] == ["1", "1", "1", "1"]  # one member trained on each topic
    assert responders[6] == "1"
    contacts = contact_verification_status("2026-Q3", now=quarter_world["now"])
    assert table_rows(html, "table-contacts")[1] == [
        str(contacts["due"]),
        str(contacts["verified"]),
        str(contacts["overdue"]),
    ]
    assert contacts["due"] >= 2


@pytest.mark.django_db
def test_quarterly_report_leaves_out_security_breaches_the_viewer_may_not_see(
    client, quarter_world
):
    """Need-to-know: an incident commander (who may view breach records) holds no role on
    the security incident, so its breach is neither listed nor counted."""
    commander = UserFactory(username="commander", groups=[StaffGroup.INCIDENT_COMMANDER])
    client.force_login(commander)
    with time_machine.travel(quarter_world["now"], tick=False):
        html = client.get(QUARTERLY, {"quarter": "2026-Q3"}).content.decode()
    breaches = section(html, "breaches")
    assert quarter_world["operational"].reference in breaches
    assert quarter_world["secret"].reference not in breaches
    assert table_rows(html, "table-obligations")[-1] == ["Total", "3", "1", "1", "1", "1", "0"]
    assert "left out of every section" in html
    assert [row[:2] for row in table_rows(html, "table-by-severity")[1:]] == [["P1 — High", "1"]]


@pytest.mark.django_db
def test_quarterly_sections_need_their_view_permissions(client, responder, quarter_world):
    client.force_login(responder)
    html = client.get(QUARTERLY, {"quarter": "2026-Q3"}).content.decode()
    breaches = section(html, "breaches")
    assert "reporting.view_breachassessment" in breaches
    assert quarter_world["operational"].reference not in breaches
    # Responders see the reviews and drills, not everyone's training and contact details.
    assert 'id="table-drills"' in html and 'id="table-reviews"' in html
    assert 'id="table-training"' not in html and "reporting.view_all_training" in html
    assert 'id="table-contacts"' not in html
    assert "reporting.view_all_contact_verifications" in html
    assert 'id="table-by-severity"' in html  # the KPIs show to anyone who may view incidents


@pytest.mark.django_db
@pytest.mark.parametrize("quarter", ["2026-Q5", "2026", "Q3-2026", "x" * 20])
def test_bad_quarter_is_a_form_error(client, responder, quarter):
    client.force_login(responder)
    response = client.get(QUARTERLY, {"quarter": quarter})
    assert response.status_code == 200
    assert response.context["form"].errors["quarter"]
    assert 'id="section-summary"' not in response.content.decode()


@pytest.mark.django_db
def test_quarterly_report_opens_on_the_current_quarter(client, responder):
    client.force_login(responder)
    with time_machine.travel(datetime(2026, 11, 28, 12, 0, tzinfo=UTC), tick=False):
        response = client.get(QUARTERLY)
    assert response.context["quarter"] == "2026-Q4"
    assert 'value="2026-Q4"' in response.content.decode()


@pytest.mark.django_db
def test_quarterly_report_query_count_is_constant(client, quarter_world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(UserFactory(username="root", is_superuser=True))

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(QUARTERLY, {"quarter": "2026-Q3"}).status_code == 200
        return len(captured)

    before = count()
    for day in range(10):
        incident(Q3 + timedelta(days=day + 50), type=IncidentType.DATA_CORRUPTION)
    assert count() == before

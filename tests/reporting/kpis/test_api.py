"""/api/v1/reports/kpis/…: numbers equal to the hand-computed fixture, filters, errors,
scope/permission denial, need-to-know, a constant query count, and exports (CSV, XLSX,
JSON) parsed back and equal to the API numbers."""

import csv
import io
import json

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook
from rest_framework.test import APIClient

from incidents.choices import StaffGroup
from incidents.models import ApiScope
from reporting.kpis.exports import INCIDENT_COLUMNS
from tests.incidents.builders import IncidentFactory, RoleAssignmentFactory, UserFactory
from tests.reporting.kpis.data import (
    EXPECTED_P1,
    EXPECTED_SUMMARY,
    NOW,
    at,
    build_world,
)

URL = "/api/v1/reports/kpis/"
FREQUENCY_URL = "/api/v1/reports/kpis/frequency/"
EXPORT_URL = "/api/v1/reports/kpis/export/"
RANGE = {"from": "2026-03-01", "to": "2026-04-30"}  # `to` as a date includes that day
ALL_IN = (ApiScope.REPORTS_READ, ApiScope.INCIDENTS_SECURITY)


@pytest.fixture(autouse=True)
def _frozen_clock_and_fresh_throttles():
    cache.clear()
    with time_machine.travel(NOW, tick=False):
        yield
    cache.clear()


@pytest.fixture
def world(db):
    return build_world()


def _get(client, url=URL, **params):
    return client.get(url, {**RANGE, **params})


# --- numbers -------------------------------------------------------------------------------


def test_key_with_security_scope_gets_the_hand_computed_numbers(world, key_client):
    response = _get(key_client(*ALL_IN), group_by="severity")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["from"] == "2026-03-01T00:00:00Z"
    assert body["to"] == "2026-05-01T00:00:00Z"
    assert body["group_by"] == "severity"
    assert body["security_incidents_included"] is True
    assert body["summary"] == EXPECTED_SUMMARY
    assert [g["group"] for g in body["groups"]] == ["P0", "P1", "P2", "P3"]
    assert body["groups"][1] == EXPECTED_P1


def test_group_by_service_month_and_the_default(world, key_client):
    client = key_client(*ALL_IN)
    assert _get(client).json()["group_by"] == "severity"
    services = _get(client, group_by="service").json()["groups"]
    assert [(g["label"], g["incidents"]) for g in services] == [
        ("checkout", 2),
        ("search", 2),
        ("(no service)", 3),
    ]
    assert services[0]["group"] == world.services["checkout"].pk
    months = _get(client, group_by="month").json()["groups"]
    assert [(g["group"], g["incidents"]) for g in months] == [("2026-03", 3), ("2026-04", 3)]


def test_filters(world, key_client):
    client = key_client(*ALL_IN)
    checkout = world.services["checkout"].pk

    def incidents(**params):
        response = _get(client, **params)
        assert response.status_code == 200, response.content
        return response.json()["summary"]["incidents"]

    assert incidents(severity="P1") == 2
    assert incidents(severity="P0,P3") == 2
    assert client.get(URL, {**RANGE, "severity": ["P0", "P1"]}).json()["summary"]["incidents"] == 3
    assert incidents(category="security") == 1
    assert incidents(type="service_outage") == 2
    assert incidents(service=str(checkout)) == 2
    assert incidents(service=str(checkout), severity="P2") == 1
    # A datetime range: only A (detected 2026-03-02T10:00Z).
    assert incidents(**{"from": "2026-03-02T09:00:00Z", "to": "2026-03-02T11:00:00+00:00"}) == 1


def test_default_range_is_the_last_90_days(world, key_client):
    body = key_client(*ALL_IN).get(URL).json()
    assert body["to"] == "2026-05-01T00:00:00Z"
    assert body["from"] == "2026-01-31T00:00:00Z"
    assert body["summary"]["incidents"] == 7  # A–F and H (2026-02-28); I is at `to`


def test_frequency(world, key_client):
    response = key_client(*ALL_IN).get(
        FREQUENCY_URL, {**RANGE, "period": "month", "by": "severity"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["periods"] == ["2026-03", "2026-04"]
    assert [(r["period"], r["group"], r["count"]) for r in body["rows"]] == [
        ("2026-03", "P1", 1),
        ("2026-03", "P2", 2),
        ("2026-04", "P0", 1),
        ("2026-04", "P1", 1),
        ("2026-04", "P3", 1),
    ]
    weekly = key_client(ApiScope.REPORTS_READ).get(
        FREQUENCY_URL, {**RANGE, "period": "week", "by": "category"}
    )
    rows = weekly.json()["rows"]
    assert ("2026-W14", "security") not in {(r["period"], r["group"]) for r in rows}
    assert sum(r["count"] for r in rows) == 5


# --- need-to-know --------------------------------------------------------------------------


def test_key_without_security_scope_never_counts_security_incidents(world, key_client):
    body = _get(key_client(ApiScope.REPORTS_READ), group_by="category").json()
    assert body["security_incidents_included"] is False
    assert body["summary"]["incidents"] == 5
    assert body["summary"]["customer_impact"]["users_affected"] == 2100
    assert "security" not in [g["group"] for g in body["groups"]]


def test_staff_sessions_see_what_they_see_in_the_admin(world, session_client):
    responder = UserFactory(username="kpi-resp", groups=[StaffGroup.RESPONDER])
    body = _get(session_client(responder)).json()
    assert body["security_incidents_included"] is False
    assert body["summary"]["incidents"] == 5
    # A role on the security incident makes it count for them.
    RoleAssignmentFactory(incident=world.incidents["C"], user=responder)
    assert _get(session_client(responder)).json()["summary"]["incidents"] == 6

    lead = UserFactory(username="kpi-sec", groups=[StaffGroup.SECURITY_LEAD])
    body = _get(session_client(lead)).json()
    assert body["security_incidents_included"] is True
    assert body["summary"] == EXPECTED_SUMMARY


# --- denial and errors ---------------------------------------------------------------------


@pytest.mark.parametrize("url", [URL, FREQUENCY_URL, EXPORT_URL])
def test_scope_and_permission_are_required(db, key_client, session_client, url):
    assert APIClient().get(url).status_code == 401
    response = key_client(ApiScope.INCIDENTS_READ, ApiScope.INCIDENTS_SECURITY).get(url)
    assert response.status_code == 403
    assert "reports:read" in response.json()["detail"]
    no_perm = UserFactory(username="kpi-staff-no-perm")
    assert session_client(no_perm).get(url).status_code == 403
    not_staff = UserFactory(username="kpi-customer", is_staff=False)
    assert session_client(not_staff).get(url).status_code == 403
    auditor = UserFactory(username="kpi-auditor", groups=[StaffGroup.AUDITOR])
    assert session_client(auditor).get(url).status_code == 200


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-04-01", "to": "2026-03-01"}, "from"),
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-13-45"}, "to"),
        ({"from": "2016-01-01", "to": "2026-01-01"}, "to"),
        ({"group_by": "colour"}, "group_by"),
        ({"severity": "P9"}, "severity"),
        ({"category": "weather"}, "category"),
        ({"type": "meteor"}, "type"),
        ({"service": "abc"}, "service"),
        ({"service": "999999"}, "service"),
        ({"service": "²"}, "service"),  # str.isdigit() says yes, int() says no
        # The day after 9999-12-31 cannot be represented: a 400, not an OverflowError.
        ({"from": "9999-12-30", "to": "9999-12-31"}, "to"),
        ({"to": "0001-01-01"}, "to"),
        ({"to": "0001-01-01T00:00:00+01:00"}, "to"),
    ],
)
def test_bad_input_is_a_400_with_field_errors(db, key_client, params, field):
    response = key_client(ApiScope.REPORTS_READ).get(URL, params)
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert list(body["errors"]) == [field]


@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        (FREQUENCY_URL, {"period": "day"}, "period"),
        (FREQUENCY_URL, {"by": "month"}, "by"),
        (EXPORT_URL, {"format": "pdf"}, "format"),
        (EXPORT_URL, {"rows": "everything"}, "rows"),
        (EXPORT_URL, {"from": "nope"}, "from"),
    ],
)
def test_bad_input_on_frequency_and_export(db, key_client, url, params, field):
    response = key_client(ApiScope.REPORTS_READ).get(url, params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert list(response.json()["errors"]) == [field]


# --- query budget --------------------------------------------------------------------------


def _queries(client, url, params) -> int:
    client.get(url, params)  # warm up: the key's last_used_at is written at most once a minute
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    ("url", "params"),
    [
        (URL, {"group_by": "service", "severity": "P1,P2"}),
        (FREQUENCY_URL, {"period": "week", "by": "service"}),
        (EXPORT_URL, {"format": "json", "group_by": "service"}),
    ],
)
def test_query_count_is_constant_whatever_the_number_of_incidents(world, key_client, url, params):
    client = key_client(*ALL_IN)
    params = {**RANGE, **params}
    before = _queries(client, url, params)
    for n in range(40):
        incident = IncidentFactory(
            detected_at=at(2026, 3, 10, 0, n),
            acknowledged_at=at(2026, 3, 10, 1, n),
            severity="P1" if n % 2 else "P2",
        )
        incident.affected_services.set(list(world.services.values())[: n % 3])
    assert _queries(client, url, params) == before
    # The key lookup, then one statement for all the numbers.
    assert before == 2


def test_incident_export_query_count_is_per_chunk_not_per_row(world, key_client):
    client = key_client(*ALL_IN)
    params = {**RANGE, "format": "csv", "rows": "incidents"}
    client.get(EXPORT_URL, params)
    with CaptureQueriesContext(connection) as captured:
        b"".join(client.get(EXPORT_URL, params).streaming_content)
    few = len(captured)
    for n in range(30):
        IncidentFactory(detected_at=at(2026, 3, 11, 0, n)).affected_services.set(
            list(world.services.values())
        )
    with CaptureQueriesContext(connection) as captured:
        content = b"".join(client.get(EXPORT_URL, params).streaming_content)
    assert len(captured) == few
    assert content.decode().count("\n") == 1 + 6 + 30


# --- exports -------------------------------------------------------------------------------


def _export(client, **params) -> bytes:
    response = client.get(EXPORT_URL, {**RANGE, **params})
    assert response.status_code == 200, getattr(response, "content", b"")
    if response.streaming:
        return b"".join(response.streaming_content)
    return b"".join(response)


def _number(text: str):
    if text == "":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return {"True": True, "False": False}.get(text, text)


def _unflatten(row: dict, template: dict) -> dict:
    """Columns back into the API's nested shape, following the template's keys."""
    numbers = {}
    for key, value in template.items():
        if isinstance(value, dict):
            numbers[key] = {sub: row[f"{key}_{sub}"] for sub in value}
        else:
            numbers[key] = row[key]
    return numbers


def test_kpi_exports_equal_the_api_numbers(world, key_client):
    client = key_client(*ALL_IN)
    api = _get(client, group_by="service").json()

    rows = list(
        csv.DictReader(io.StringIO(_export(client, format="csv", group_by="service").decode()))
    )
    parsed = [{k: _number(v) for k, v in row.items()} for row in rows]
    assert parsed[0]["group"] == "all"
    assert _unflatten(parsed[0], api["summary"]) == api["summary"]
    assert [r["label"] for r in parsed[1:]] == [g["label"] for g in api["groups"]]
    for row, group in zip(parsed[1:], api["groups"], strict=True):
        numbers = {k: v for k, v in group.items() if k not in ("group", "label")}
        assert _unflatten(row, numbers) == numbers

    workbook = load_workbook(io.BytesIO(_export(client, format="xlsx", group_by="service")))
    sheet = list(workbook["Kpis"].iter_rows(values_only=True))
    header, values = sheet[0], sheet[1:]
    xlsx_rows = [dict(zip(header, row, strict=True)) for row in values]
    assert _unflatten(xlsx_rows[0], api["summary"]) == api["summary"]
    assert _unflatten(xlsx_rows[2], api["groups"][1]) == api["groups"][1]

    as_json = json.loads(_export(client, format="json", group_by="service"))
    assert as_json == api


def test_incident_exports_list_the_incidents_behind_the_numbers(world, key_client):
    client = key_client(*ALL_IN)
    summary = _get(client).json()["summary"]

    as_json = json.loads(_export(client, format="json", rows="incidents"))
    incidents = as_json["incidents"]
    assert as_json["security_incidents_included"] is True
    assert [i["reference"] for i in incidents] == [f"INC-KPI-{x}" for x in "ABFCDE"]
    a = incidents[0]
    assert a["services"] == ["checkout", "search"]
    assert a["detected_at"] == "2026-03-02T10:00:00Z"
    assert (a["mttd_seconds"], a["mtta_seconds"], a["mttr_seconds"]) == (600.0, 600.0, 7200.0)
    assert a["time_to_contain_seconds"] == 2400.0
    assert (a["sla"], a["users_affected"], a["user_hours"], a["escalations_fired"]) == (
        "met",
        100,
        216.667,
        2,
    )
    # The rows add up to the numbers.
    mttr = [i["mttr_seconds"] for i in incidents if i["mttr_seconds"] is not None]
    assert round(sum(mttr) / len(mttr), 3) == summary["mttr"]["mean_seconds"]
    assert len(incidents) - len(mttr) == summary["mttr"]["missing"]
    for outcome in ("met", "breached", "pending", "not_applicable"):
        assert sum(i["sla"] == outcome for i in incidents) == summary["sla"][outcome]
    hours = sum(i["user_hours"] for i in incidents if i["user_hours"] is not None)
    assert round(hours, 3) == summary["customer_impact"]["user_hours"]
    assert sum(i["escalations_fired"] for i in incidents) == summary["escalations_fired"]

    rows = list(csv.DictReader(io.StringIO(_export(client, rows="incidents").decode())))
    assert tuple(rows[0]) == INCIDENT_COLUMNS
    assert [r["reference"] for r in rows] == [i["reference"] for i in incidents]
    assert rows[0]["services"] == "checkout, search"
    assert rows[4]["mtta_seconds"] == ""  # D: never acknowledged
    assert float(rows[0]["user_hours"]) == 216.667

    workbook = load_workbook(io.BytesIO(_export(client, format="xlsx", rows="incidents")))
    sheet = list(workbook["Incidents"].iter_rows(values_only=True))
    assert sheet[0][INCIDENT_COLUMNS.index("detected_at")] == "detected_at (UTC)"
    assert [r[0] for r in sheet[1:]] == [i["reference"] for i in incidents]
    assert sheet[1][INCIDENT_COLUMNS.index("mttr_seconds")] == 7200.0


def test_incident_exports_make_formulas_inert_and_survive_control_characters(world, key_client):
    from incidents.models import Incident

    Incident.objects.filter(reference="INC-KPI-A").update(title='=HYPERLINK("http://x","y")')
    Incident.objects.filter(reference="INC-KPI-B").update(title="disk\x1bfull @ 99%")
    client = key_client(*ALL_IN)
    titles = {
        r["reference"]: r["title"]
        for r in csv.DictReader(io.StringIO(_export(client, rows="incidents").decode()))
    }
    assert titles["INC-KPI-A"] == '\'=HYPERLINK("http://x","y")'
    workbook = load_workbook(io.BytesIO(_export(client, format="xlsx", rows="incidents")))
    cells = {
        row[0].value: row[INCIDENT_COLUMNS.index("title")]
        for row in workbook["Incidents"].iter_rows(min_row=2)
    }
    assert cells["INC-KPI-A"].data_type == "s"
    assert cells["INC-KPI-A"].value == '\'=HYPERLINK("http://x","y")'
    assert cells["INC-KPI-B"].value == "diskfull @ 99%"
    # JSON is data, not a spreadsheet: titles stay as they are.
    incidents = json.loads(_export(client, format="json", rows="incidents"))["incidents"]
    assert {i["reference"]: i["title"] for i in incidents}["INC-KPI-A"].startswith("=")


@pytest.mark.parametrize("period", ["week", "month", "quarter"])
def test_frequency_up_to_the_last_representable_day(db, key_client, period):
    response = key_client(ApiScope.REPORTS_READ).get(
        FREQUENCY_URL, {"from": "9999-01-01", "to": "9999-12-30", "period": period}
    )
    assert response.status_code == 200, response.content
    assert response.json()["periods"][-1].startswith("9999")


def test_incident_export_respects_need_to_know(world, key_client):
    as_json = json.loads(
        _export(key_client(ApiScope.REPORTS_READ), format="json", rows="incidents")
    )
    assert as_json["security_incidents_included"] is False
    assert "INC-KPI-C" not in [i["reference"] for i in as_json["incidents"]]
    assert len(as_json["incidents"]) == 5


def test_export_headers(world, key_client):
    response = key_client(*ALL_IN).get(EXPORT_URL, {**RANGE, "rows": "incidents"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="kpis-incidents-20260301-20260501.csv"'
    )
    response = key_client(*ALL_IN).get(EXPORT_URL, {**RANGE, "format": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "kpis-kpis-20260301-20260501.xlsx" in response["Content-Disposition"]

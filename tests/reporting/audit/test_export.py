"""The audit trail export: equal to the history tables, filterable, streamed, and only what
the reader may see."""

import csv
import io
import json
from collections import defaultdict
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from incidents import services as incident_services
from incidents.choices import DetectionSource, IncidentType, Severity
from incidents.models import ApiScope
from incidents.services.api_keys import api_key_create
from reporting.audit.export import AuditFilter, csv_lines, iter_events, jsonl_lines
from reporting.audit.tables import history_tables, plain
from reporting.breach import services
from reporting.models import Regime
from tests.incidents.builders import ServiceFactory
from tests.reporting.builders import T0

pytestmark = pytest.mark.django_db
URL = "/api/v1/audit/events/"


@pytest.fixture
def activity(open_breach, people):
    """A data breach with a breach record, an outage with edits: history in many tables."""
    breach = open_breach()
    assessment = services.breach_assessment_start(
        incident=breach,
        user=people["sec"],
        awareness_at=T0,
        awareness_reason="confirmed",
        regimes=list(Regime.objects.filter(code__in=["gdpr-33", "nis2"])),
        now=T0 + timedelta(minutes=5),
    )
    services.breach_assessment_update(
        assessment=assessment,
        user=people["sec"],
        approx_data_subjects=4000,
        measures="Keys rotated",
        now=T0 + timedelta(minutes=6),
    )
    outage = incident_services.incident_create(
        title="Checkout 502",
        severity=Severity.P2,
        type=IncidentType.SERVICE_OUTAGE,
        detection_source=DetectionSource.CLOUDWATCH_ALARM,
        user=people["ic"],
        detected_at=T0 + timedelta(hours=1),
        now=T0 + timedelta(hours=1),
    )
    incident_services.incident_update(
        incident=outage,
        user=people["resp"],
        title="Checkout 502 in eu-west-1",
        users_affected=1200,
        affected_services=[ServiceFactory(name="Checkout"), ServiceFactory(name="Payments")],
        reason="Scope known",
        now=T0 + timedelta(hours=2),
    )
    incident_services.incident_add_note(
        incident=outage, text="Rolled back", user=people["resp"], now=T0 + timedelta(hours=3)
    )
    return {"breach": breach, "outage": outage, "assessment": assessment}


def _all_history_rows():
    """(model, history_id) → (table, row with its m2m sets as sorted id lists)."""
    rows = {}
    for table in history_tables():
        for row in table.model.objects.values(*table.columns):
            for m2m in table.m2m:
                row[m2m.field] = sorted(
                    m2m.model.objects.filter(history_id=row["history_id"]).values_list(
                        m2m.member_attname, flat=True
                    )
                )
            rows[(table.tracked_label, row["history_id"])] = (table, row)
    return rows


def test_the_export_equals_the_history_tables(activity):
    events = list(iter_events(AuditFilter()))
    expected = _all_history_rows()
    assert len(events) == len(expected) > 30
    assert {(e["model"], e["history_id"]) for e in events} == set(expected)

    # Replaying every object's changes rebuilds each history row exactly.
    state: dict = defaultdict(dict)
    for event in events:
        table, row = expected[(event["model"], event["history_id"])]
        current = state[(event["model"], event["object_id"])]
        for name, (before, after) in event["changes"].items():
            assert current.get(name) == before
            current[name] = after
        assert current == {
            name: plain(row[name]) for name in (*table.fields, *(m.field for m in table.m2m))
        }
        assert event["at"] == plain(row["history_date"])
        assert event["change_reason"] == (row["history_change_reason"] or "")
        assert event["request_id"] == row["request_id"]
        assert (
            event["action"] == {"+": "created", "~": "changed", "-": "deleted"}[row["history_type"]]
        )


def test_each_event_says_who_which_incident_and_what_changed(activity, people):
    outage = activity["outage"]
    events = list(iter_events(AuditFilter(models=["incidents.incident"], object_id=str(outage.pk))))
    edit = next(e for e in events if e["change_reason"] == "Scope known")
    assert edit["user"] == "resp"
    assert edit["incident"] == outage.reference
    assert edit["changes"]["title"] == ["Checkout 502", "Checkout 502 in eu-west-1"]
    assert edit["changes"]["users_affected"] == [None, 1200]
    assert "severity" not in edit["changes"]
    # A tracked m2m field appears as the sorted member ids, before and after.
    services = sorted(outage.affected_services.values_list("pk", flat=True))
    assert "affected_services" not in edit["changes"]
    moved = next(e for e in events if "affected_services" in e["changes"] and e is not events[0])
    assert moved["changes"] == {"affected_services": [[], services]}
    assert moved["user"] == "resp" and moved["change_reason"] == "Scope known"
    # Rows of models that belong to an incident carry its reference, two hops away too.
    obligations = list(iter_events(AuditFilter(models=["reporting.notificationobligation"])))
    assert obligations and {e["incident"] for e in obligations} == {activity["breach"].reference}


def test_filters_time_range_user_incident_and_model(activity, people):
    from incidents.models import Incident

    outage = activity["outage"]
    # History is stamped with the wall clock: take the edit's own time as the boundary.
    since = (
        Incident.history.filter(id=outage.pk, history_change_reason="Scope known")
        .earliest("history_date", "history_id")
        .history_date
    )
    late = list(iter_events(AuditFilter(since=since)))
    assert late and all(e["at"] >= plain(since) for e in late)
    # The first row in range is still diffed against its real predecessor.
    edit = next(e for e in late if e["change_reason"] == "Scope known")
    assert edit["changes"]["title"][0] == "Checkout 502"
    assert "severity" not in edit["changes"]

    early = list(iter_events(AuditFilter(until=since)))
    assert early and all(e["at"] < plain(since) for e in early)
    assert len(early) + len(late) == len(list(iter_events(AuditFilter())))
    by_resp = list(iter_events(AuditFilter(user="resp")))
    assert by_resp and {e["user"] for e in by_resp} == {"resp"}
    of_outage = list(iter_events(AuditFilter(incident=outage.reference)))
    assert {e["incident"] for e in of_outage} == {outage.reference}
    assert {e["model"] for e in of_outage} >= {"incidents.incident", "incidents.timelineentry"}
    users = list(iter_events(AuditFilter(models=["auth.user"])))
    assert users and {e["model"] for e in users} == {"auth.user"}


def test_every_m2m_history_table_is_exported_through_its_owner():
    from reporting.audit.tables import m2m_history_tables

    folded = {m2m.model for table in history_tables() for m2m in table.m2m}
    assert folded == set(m2m_history_tables())
    assert {m2m.field for table in history_tables() for m2m in table.m2m} >= {
        "affected_services",
        "groups",
        "regimes",
    }


def test_several_incidents_at_once(activity):
    references = [activity["breach"].reference, activity["outage"].reference]
    events = list(iter_events(AuditFilter(incidents=references)))
    assert {e["incident"] for e in events} == set(references)
    one = list(iter_events(AuditFilter(incidents=references[1:])))
    assert 0 < len(one) < len(events)
    assert one == list(iter_events(AuditFilter(incident=references[1])))


def test_csv_and_jsonl_carry_the_same_events(activity):
    events = list(iter_events(AuditFilter()))
    rows = list(csv.DictReader(io.StringIO("".join(csv_lines(iter(events))))))
    lines = [json.loads(line) for line in jsonl_lines(iter(events))]
    assert len(rows) == len(lines) == len(events)
    for row, line in zip(rows, lines, strict=True):
        assert json.loads(row["changes"]) == line["changes"]
        assert (row["model"], row["history_id"]) == (line["model"], str(line["history_id"]))


def test_the_export_does_not_query_per_row(activity, open_breach):
    with CaptureQueriesContext(connection) as before:
        small = len(list(iter_events(AuditFilter())))
    for hour in range(2, 8):
        open_breach(at=T0 + timedelta(hours=hour), title=f"more {hour}")
    with CaptureQueriesContext(connection) as after:
        large = len(list(iter_events(AuditFilter())))
    assert large > small + 40
    assert len(after.captured_queries) == len(before.captured_queries)


def test_the_command_writes_the_same_rows(activity, tmp_path):
    target = tmp_path / "audit.jsonl"
    call_command("export_audit", "--format", "jsonl", "--output", str(target), "--no-progress")
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert lines == json.loads(json.dumps(list(iter_events(AuditFilter())), default=str))
    target_csv = tmp_path / "audit.csv"
    from incidents.models import Incident

    since = Incident.history.filter(id=activity["outage"].pk).earliest().history_date
    call_command(
        "export_audit",
        "--since",
        since.isoformat(),
        "--format",
        "csv",
        "--output",
        str(target_csv),
    )
    rows = list(csv.DictReader(target_csv.open()))
    assert rows and all(row["at"] >= plain(since) for row in rows)


@pytest.mark.parametrize("object_id", ["²", "abc", "1" * 19])
def test_the_command_refuses_an_object_id_that_is_not_a_number(object_id):
    with pytest.raises(CommandError, match="whole-number object id"):
        call_command("export_audit", "--object", object_id, "--no-progress")


# --- API -------------------------------------------------------------------------------------
def _key_client(*scopes):
    _key, raw = api_key_create(name="auditor-tool", scopes=list(scopes))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def _body(response) -> str:
    return b"".join(response.streaming_content).decode()


def test_api_streams_jsonl_with_audit_read_and_hides_security_rows_without_the_scope(activity):
    breach = activity["breach"]
    client = _key_client(ApiScope.AUDIT_READ)
    response = client.get(URL)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("application/x-ndjson")
    events = [json.loads(line) for line in _body(response).splitlines()]
    assert events and breach.reference not in {e["incident"] for e in events}
    assert activity["outage"].reference in {e["incident"] for e in events}
    assert not any(
        e["model"] == "incidents.incident" and e["object_id"] == str(breach.pk) for e in events
    )

    wide = _key_client(ApiScope.AUDIT_READ, ApiScope.INCIDENTS_SECURITY)
    events = [json.loads(line) for line in _body(wide.get(URL)).splitlines()]
    assert breach.reference in {e["incident"] for e in events}


def test_api_csv_and_filters(activity):
    client = _key_client(ApiScope.AUDIT_READ, ApiScope.INCIDENTS_SECURITY)
    response = client.get(
        URL, {"output": "csv", "incident": activity["outage"].reference, "user": "resp"}
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(_body(response))))
    assert rows and {r["user"] for r in rows} == {"resp"}
    for params in (
        {"since": "yesterday"},
        {"model": "nope.nope"},
        {"output": "xml"},
        {"object_id": "x"},
        {"object_id": "²"},  # str.isdigit() says yes; int() says no
        {"since": "0001-01-01T00:00:00+01:00"},  # before year 1 in UTC
    ):
        bad = client.get(URL, params)
        assert bad.status_code == 400, params
        assert set(bad.json()) == {"detail", "errors"}


def test_api_offsets_postgresql_refuses_are_converted_to_utc_first(activity):
    # Python accepts offsets up to ±23:59, PostgreSQL only ±15:59 (found by schemathesis).
    client = _key_client(ApiScope.AUDIT_READ, ApiScope.INCIDENTS_SECURITY)
    everything = _body(client.get(URL, {"since": "2000-01-01T00:00:00-17:24"}))
    assert everything and everything == _body(client.get(URL, {"since": "2000-01-01T17:24Z"}))
    nothing = client.get(URL, {"until": "0155-12-26T23:14:31-17:24"})
    assert nothing.status_code == 200 and _body(nothing) == ""


def test_api_needs_the_audit_scope(activity):
    assert _key_client(ApiScope.INCIDENTS_READ).get(URL).status_code == 403
    assert APIClient().get(URL).status_code == 401


def test_staff_sessions_need_the_auditor_group(activity, people, client):
    client.force_login(people["resp"])
    assert client.get(URL).status_code == 403
    client.force_login(people["auditor"])
    response = client.get(URL)
    assert response.status_code == 200
    events = [json.loads(line) for line in _body(response).splitlines()]
    # The Auditor group reads every security incident (need-to-know): nothing withheld.
    assert activity["breach"].reference in {e["incident"] for e in events}
    assert response["X-Withheld-Count"] == "0"


def test_admin_export_page_for_auditors(activity, people, client):
    client.force_login(people["auditor"])
    page = client.get("/admin/reporting/auditseal/export/")
    assert page.status_code == 200
    response = client.get("/admin/reporting/auditseal/export/", {"format": "csv", "user": "resp"})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(_body(response))))
    assert rows and {r["user"] for r in rows} == {"resp"}
    client.force_login(people["resp"])
    assert client.get("/admin/reporting/auditseal/export/").status_code == 403


def _export_action(client, action, *incidents):
    return client.post(
        "/admin/incidents/incident/",
        {"action": action, "_selected_action": [incident.pk for incident in incidents]},
    )


def test_admin_action_exports_the_selected_incidents_trail(activity, people, client):
    outage = activity["outage"]
    client.force_login(people["auditor"])
    changelist = client.get("/admin/incidents/incident/")
    assert b"export_audit_csv" in changelist.content
    response = _export_action(client, "export_audit_csv", outage)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="audit-incidents-')
    rows = list(csv.DictReader(io.StringIO(_body(response))))
    assert {r["incident"] for r in rows} == {outage.reference}
    expected = list(iter_events(AuditFilter(incident=outage.reference)))
    assert [(r["model"], int(r["history_id"])) for r in rows] == [
        (e["model"], e["history_id"]) for e in expected
    ]
    lines = _body(_export_action(client, "export_audit_jsonl", outage)).splitlines()
    assert [json.loads(line)["history_id"] for line in lines] == [e["history_id"] for e in expected]


def test_admin_action_is_for_auditors_only_and_keeps_need_to_know(activity, people, client):
    client.force_login(people["resp"])
    assert b"export_audit_csv" not in client.get("/admin/incidents/incident/").content
    refused = _export_action(client, "export_audit_csv", activity["outage"])
    # Django answers an action the user may not run with the changelist again, no file.
    assert refused.status_code == 302 and not refused.has_header("Content-Disposition")
    # Someone allowed to export who may not see the security incident gets nothing of it,
    # even by posting its id.
    people["resp"].user_permissions.add(
        Permission.objects.get(content_type__app_label="reporting", codename="view_audit_trail")
    )
    client.force_login(people["resp"])
    response = _export_action(client, "export_audit_csv", activity["breach"], activity["outage"])
    body = _body(response)
    rows = list(csv.DictReader(io.StringIO(body)))
    assert rows and activity["breach"].reference not in {r["incident"] for r in rows}
    assert response["X-Withheld-Count"] == "1"
    assert body.splitlines()[-1] == "# Rows of 1 security incident are not included: need-to-know."


# --- need-to-know notices ------------------------------------------------------------------------
def test_api_export_says_how_many_incidents_are_withheld(activity):
    hidden = _key_client(ApiScope.AUDIT_READ).get(URL)
    assert hidden.status_code == 200 and hidden["X-Withheld-Count"] == "1"
    full = _key_client(ApiScope.AUDIT_READ, ApiScope.INCIDENTS_SECURITY).get(URL)
    assert full["X-Withheld-Count"] == "0"


def test_api_export_of_a_named_hidden_incident_is_a_404_not_an_empty_file(activity):
    client = _key_client(ApiScope.AUDIT_READ)
    hidden = client.get(URL, {"incident": activity["breach"].reference, "output": "csv"})
    missing = client.get(URL, {"incident": "INC-20000101-000000", "output": "csv"})
    assert hidden.status_code == missing.status_code == 404
    assert (
        hidden.json()
        == missing.json()
        == {
            "detail": "No incident with this reference.",
            "errors": {},
        }
    )
    allowed = _key_client(ApiScope.AUDIT_READ, ApiScope.INCIDENTS_SECURITY)
    rows = list(
        csv.DictReader(
            io.StringIO(
                _body(allowed.get(URL, {"incident": activity["breach"].reference, "output": "csv"}))
            )
        )
    )
    assert rows and {r["incident"] for r in rows} == {activity["breach"].reference}


def test_auditor_exports_the_security_incidents_trail_in_the_admin(activity, people, client):
    client.force_login(people["auditor"])
    page = client.get("/admin/reporting/auditseal/export/")
    assert not [str(m) for m in page.context["messages"] if "need-to-know" in str(m)]
    response = client.get(
        "/admin/reporting/auditseal/export/",
        {"format": "csv", "incident": activity["breach"].reference},
    )
    assert response.status_code == 200 and response["X-Withheld-Count"] == "0"
    rows = list(csv.DictReader(io.StringIO(_body(response))))
    assert rows and {r["incident"] for r in rows} == {activity["breach"].reference}


def test_admin_export_names_what_is_withheld(activity, people, client):
    people["resp"].user_permissions.add(
        Permission.objects.get(content_type__app_label="reporting", codename="view_audit_trail")
    )
    client.force_login(people["resp"])
    page = client.get("/admin/reporting/auditseal/export/")
    notices = [str(m) for m in page.context["messages"]]
    assert "Rows of 1 security incident are not included: need-to-know." in notices
    # Naming the hidden incident is refused like a reference that does not exist.
    for reference in (activity["breach"].reference, "INC-20000101-000000"):
        refused = client.get(
            "/admin/reporting/auditseal/export/", {"format": "csv", "incident": reference}
        )
        assert refused.status_code == 200 and not refused.has_header("Content-Disposition")
        assert "No incident with this reference." in refused.content.decode()
    broad = client.get("/admin/reporting/auditseal/export/", {"format": "csv"})
    assert broad["X-Withheld-Count"] == "1"
    lines = _body(broad).splitlines()
    assert lines[-1] == "# Rows of 1 security incident are not included: need-to-know."
    assert activity["breach"].reference not in "\n".join(lines)

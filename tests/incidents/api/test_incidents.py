"""Contract tests, endpoint by endpoint: names, values, status codes and the error shape."""

from datetime import UTC, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import services
from incidents.api.pagination import encode_keyset
from incidents.choices import IncidentType, Severity, Status, TimelineKind
from incidents.models import Incident, RoleAssignment, TimelineEntry
from tests.incidents.builders import (
    IncidentFactory,
    RoleAssignmentFactory,
    ServiceFactory,
    UserFactory,
)
from tests.postmortems.builders import publish_postmortem

from .conftest import LIST_URL, detail_url

pytestmark = pytest.mark.django_db

INCIDENT_FIELDS = {
    "reference",
    "url",
    "title",
    "summary",
    "severity",
    "type",
    "category",
    "status",
    "detection_source",
    "is_drill",
    "started_at",
    "detected_at",
    "acknowledged_at",
    "triaged_at",
    "contained_at",
    "resolved_at",
    "closed_at",
    "cancelled_at",
    "response_due_at",
    "response_sla",
    "sla_breached_at",
    "affected_services",
    "users_affected",
    "customer_impact",
    "business_impact",
    "data_integrity_impact",
    "security_implications",
    "personal_data_involved",
    "resolution_summary",
    "cancel_reason",
    "public_title",
    "public_summary",
    "public_impact",
    "public_resolution",
    "roles",
    "version",
    "created_at",
    "updated_at",
}


def assert_error(response, status_code: int, field: str | None = None):
    assert response.status_code == status_code, response.content
    body = response.json()
    assert set(body) == {"detail", "errors"}, body
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["errors"], dict)
    if field is not None:
        assert field in body["errors"], body
        assert all(isinstance(message, str) for message in body["errors"][field])
    return body


@pytest.fixture
def client(key_client):
    return key_client("incidents:read", "incidents:write")


# --- list ------------------------------------------------------------------------------------
def test_list_shape_and_contract_values(client, outage):
    response = client.get(LIST_URL)
    assert response.status_code == 200
    body = response.json()
    # Cursor pagination: no count of the rows; `withheld` says how many security incidents
    # the caller may not see (none here).
    assert set(body) == {"next", "previous", "withheld", "results"}
    assert body["withheld"] == 0 and response["X-Withheld-Count"] == "0"
    (item,) = body["results"]
    assert set(item) == INCIDENT_FIELDS
    assert item["reference"] == outage.reference
    assert item["reference"].startswith("INC-")
    assert item["url"].endswith(f"/api/v1/incidents/{outage.reference}/")
    assert (item["severity"], item["type"], item["category"], item["status"]) == (
        "P1",
        "service_outage",
        "operational",
        "detected",
    )
    assert item["detection_source"] == "cloudwatch_alarm"
    assert item["response_sla"] == "pending"
    assert item["roles"] == {
        "incident_commander": None,
        "technical_lead": None,
        "communications_lead": None,
        "security_lead": None,
    }
    # ISO 8601 with an offset (UTC is written Z).
    for name in ("detected_at", "response_due_at", "created_at"):
        assert item[name].endswith("Z") or item[name][-6] in "+-", item[name]


def test_list_is_newest_first_and_cursor_paginated(client):
    now = timezone.now()
    made = [IncidentFactory(detected_at=now - timedelta(hours=hours)) for hours in range(5)]
    expected = [incident.reference for incident in made]  # made[0] is the newest

    seen, url = [], f"{LIST_URL}?page_size=2"
    while url:
        body = client.get(url).json()
        assert len(body["results"]) <= 2
        seen += [item["reference"] for item in body["results"]]
        url = body["next"]
    assert seen == expected


def test_pages_walk_every_row_once_however_many_share_the_sort_value(client):
    # DRF's stock cursor kept one sort value plus an offset capped at 1,000 rows: past that
    # many equal values (ordering=severity has four) it served the same page again.
    at = timezone.now()
    Incident.objects.bulk_create(
        IncidentFactory.build(severity=Severity.P2, detected_at=at) for _ in range(1_050)
    )
    Incident.objects.bulk_create(
        IncidentFactory.build(severity=Severity.P1, detected_at=at) for _ in range(30)
    )
    expected = list(Incident.objects.order_by("severity", "id").values_list("reference", flat=True))

    pages, url = [], f"{LIST_URL}?ordering=severity&page_size=200"
    while url:
        body = client.get(url).json()
        pages.append([item["reference"] for item in body["results"]])
        url = body["next"]
    assert [ref for page in pages for ref in page] == expected
    assert len(pages) == 6

    # And back again with `previous` from the last page: the same pages, in reverse.
    back, url = [], body["previous"]
    while url:
        body = client.get(url).json()
        back.append([item["reference"] for item in body["results"]])
        url = body["previous"]
    assert back == pages[-2::-1]


def test_forged_cursors_are_404_not_database_errors(client):
    IncidentFactory.create_batch(3)
    for values in (
        ["not a date", 1],
        [1],
        [timezone.now().isoformat(), "x"],
        [None, 1],
        ["2026-01-01T00:00:00", 1],  # naive
        ["0001-01-01T00:00:00+01:00", 1],  # before year 1 in UTC
        [{"a": 1}, 1],
    ):
        assert_error(client.get(f"{LIST_URL}?cursor={encode_keyset(values)}"), 404)
    # An offset PostgreSQL refuses (Python allows up to ±23:59) still pages correctly.
    odd = encode_keyset(["2999-01-01T00:00:00-17:24", 2**62])
    assert len(client.get(f"{LIST_URL}?cursor={odd}").json()["results"]) == 3


ALL_TAGS = {"triaged", "detected", "p0", "bug", "drill", "old"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=triaged", {"triaged"}),
        ("status=triaged&status=detected", ALL_TAGS),
        ("severity=P0", {"p0"}),
        ("category=application", {"bug"}),
        ("type=software_bug", {"bug"}),
        ("is_drill=true", {"drill"}),
        ("is_drill=false", ALL_TAGS - {"drill"}),
        ("search=FOOTER", {"bug"}),
        ("search=rotated", {"p0"}),
        ("search=INC-20250101-000000", {"old"}),
    ],
)
def test_list_filters(client, query, expected):
    now = timezone.now()
    tags = {
        "triaged": IncidentFactory(status=Status.TRIAGED),
        "detected": IncidentFactory(),
        "p0": IncidentFactory(severity=Severity.P0, summary="Keys rotated"),
        "bug": IncidentFactory(type=IncidentType.SOFTWARE_BUG, title="Footer broken"),
        "drill": IncidentFactory(is_drill=True),
        "old": IncidentFactory(
            reference="INC-20250101-000000", detected_at=now - timedelta(days=400)
        ),
    }
    by_reference = {incident.reference: tag for tag, incident in tags.items()}
    response = client.get(f"{LIST_URL}?{query}")
    assert response.status_code == 200, response.content
    assert {by_reference[item["reference"]] for item in response.json()["results"]} == expected


def test_list_detected_between(client):
    now = timezone.now()
    inside = IncidentFactory(detected_at=now - timedelta(days=2))
    IncidentFactory(detected_at=now - timedelta(days=10))
    IncidentFactory(detected_at=now)
    after = (now - timedelta(days=3)).isoformat().replace("+00:00", "Z")
    before = (now - timedelta(days=1)).isoformat()
    response = client.get(LIST_URL, {"detected_after": after, "detected_before": before})
    assert [item["reference"] for item in response.json()["results"]] == [inside.reference]


def test_list_ordering(client):
    p3 = IncidentFactory(severity=Severity.P3)
    p0 = IncidentFactory(severity=Severity.P0)
    p2 = IncidentFactory(severity=Severity.P2)
    response = client.get(LIST_URL, {"ordering": "severity"})
    assert [item["reference"] for item in response.json()["results"]] == [
        p0.reference,
        p2.reference,
        p3.reference,
    ]
    response = client.get(LIST_URL, {"ordering": "-severity", "page_size": 1})
    body = response.json()
    assert [item["reference"] for item in body["results"]] == [p3.reference]
    assert client.get(body["next"]).json()["results"][0]["reference"] == p2.reference


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("severity=P9", "severity"),
        ("status=open", "status"),
        ("detected_after=yesterday", "detected_after"),
        ("is_drill=maybe", "is_drill"),
        ("ordering=password", "ordering"),
    ],
)
def test_list_bad_filter_is_400(client, query, field):
    assert_error(client.get(f"{LIST_URL}?{query}"), 400, field)


def test_list_bad_cursor_is_404_in_contract_shape(client):
    assert_error(client.get(f"{LIST_URL}?cursor=garbage"), 404)


@pytest.mark.parametrize("auth", ["key", "session"])
def test_list_query_count_does_not_grow_with_rows(auth, key_client, session_client, responder):
    client = (
        key_client("incidents:read", "incidents:security")
        if auth == "key"
        else session_client(responder)
    )

    def queries_for_listing():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(LIST_URL)
        assert response.status_code == 200
        return len(captured), len(response.json()["results"])

    services_ = [ServiceFactory() for _ in range(3)]

    def add(n):
        for _ in range(n):
            incident = IncidentFactory()
            incident.affected_services.set(services_)
            RoleAssignmentFactory(incident=incident, user=UserFactory())

    add(3)
    queries_for_listing()  # warm-up: last_used_at, sessions, permissions caches
    few_queries, few_rows = queries_for_listing()
    add(30)
    many_queries, many_rows = queries_for_listing()
    assert (few_rows, many_rows) == (3, 33)
    assert many_queries == few_queries
    assert many_queries <= 10


# --- retrieve --------------------------------------------------------------------------------
def test_retrieve_with_etag(client, outage):
    response = client.get(detail_url(outage.reference))
    assert response.status_code == 200
    assert response.json()["reference"] == outage.reference
    assert response["ETag"] == f'"{outage.version}"'


@pytest.mark.parametrize("reference", ["INC-20200101-000000", "nonsense", "INC-1%00"])
def test_retrieve_unknown_is_404(client, reference):
    body = assert_error(client.get(detail_url(reference)), 404)
    assert body == {"detail": "Not found.", "errors": {}}


# --- create ----------------------------------------------------------------------------------
NEW = {
    "title": "Card payments failing",
    "severity": "P0",
    "type": "service_outage",
    "detection_source": "support_ticket",
    "summary": "Customers report failures.",
    "users_affected": 1200,
}


def test_create_goes_through_the_service(client):
    payments = ServiceFactory(name="payments")
    response = client.post(
        LIST_URL, {**NEW, "affected_services": ["payments"], "reason": "From chatops"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"] == body["url"]
    incident = Incident.objects.get(reference=body["reference"])
    assert body["status"] == "detected" and body["category"] == "operational"
    assert incident.response_due_at == incident.detected_at + timedelta(minutes=15)
    assert list(incident.affected_services.all()) == [payments]
    assert body["affected_services"] == ["payments"]
    # Who: the key's service account, on the timeline and in the history.
    account = client.api_key.user
    created = TimelineEntry.objects.get(incident=incident, kind=TimelineKind.CREATED)
    assert created.author == account
    first = incident.history.earliest()
    assert first.history_user == account
    assert first.history_change_reason == "From chatops"
    assert incident.checklist.exists()  # triage checklist, as the service does


def test_create_with_detection_time(client):
    detected = (timezone.now() - timedelta(hours=2)).replace(microsecond=0)
    response = client.post(LIST_URL, {**NEW, "detected_at": detected.isoformat()})
    assert response.status_code == 201
    expected = "INC-" + detected.astimezone(UTC).strftime("%Y%m%d-%H%M%S")
    assert response.json()["reference"] == expected


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": None}, "title"),
        ({"title": ""}, "title"),
        ({"severity": "P9"}, "severity"),
        ({"type": "alien_invasion"}, "type"),
        ({"detection_source": "rumour"}, "detection_source"),
        ({"users_affected": -1}, "users_affected"),
        ({"users_affected": 2**40}, "users_affected"),
        ({"affected_services": ["nope"]}, "affected_services.0"),
        ({"affected_services": "payments"}, "affected_services"),
        ({"detected_at": "2999-01-01T00:00:00Z"}, "detected_at"),
        ({"detected_at": "1999-12-31T00:00:00Z"}, "detected_at"),
        ({"status": "closed"}, "status"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_create_invalid_is_400_with_field_errors(client, change, field):
    data = {**NEW, **change}
    data = {key: value for key, value in data.items() if value is not None}
    assert_error(client.post(LIST_URL, data), 400, field)
    assert not Incident.objects.exists()


def test_create_missing_everything_lists_the_required_fields(client):
    body = assert_error(client.post(LIST_URL, {}), 400)
    assert set(body["errors"]) == {"title", "severity", "type", "detection_source"}


# --- partial update --------------------------------------------------------------------------
def test_patch_with_version(client, outage):
    payments = ServiceFactory(name="payments")
    response = client.patch(
        detail_url(outage.reference),
        {
            "version": outage.version,
            "title": "Checkout down",
            "severity": "P0",
            "affected_services": ["payments"],
            "reason": "All regions now",
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    outage.refresh_from_db()
    assert (body["title"], body["severity"]) == ("Checkout down", "P0")
    assert body["version"] == outage.version > 1
    assert response["ETag"] == f'"{outage.version}"'
    assert outage.response_due_at == outage.detected_at + timedelta(minutes=15)
    assert list(outage.affected_services.all()) == [payments]


def test_patch_with_if_match(client, outage):
    etag = client.get(detail_url(outage.reference))["ETag"]
    response = client.patch(detail_url(outage.reference), {"title": "New"}, HTTP_IF_MATCH=etag)
    assert response.status_code == 200
    # The same ETag again is now stale.
    stale = client.patch(detail_url(outage.reference), {"title": "Newer"}, HTTP_IF_MATCH=etag)
    assert_error(stale, 409)


def test_patch_stale_version_is_409_and_changes_nothing(client, outage):
    services.incident_update(incident=outage, user=None, title="Someone else's edit")
    response = client.patch(
        detail_url(outage.reference), {"version": outage.version, "title": "Mine"}
    )
    body = assert_error(response, 409)
    assert "changed by someone else" in body["detail"]
    outage.refresh_from_db()
    assert outage.title == "Someone else's edit"


@pytest.mark.parametrize(
    ("data", "headers", "field"),
    [
        ({"title": "x"}, {}, "version"),
        ({"title": "x", "version": 1}, {"HTTP_IF_MATCH": '"2"'}, "version"),
        ({"title": "x"}, {"HTTP_IF_MATCH": "yesterday"}, "If-Match"),
        ({"version": 1, "status": "closed"}, {}, "status"),
        ({"version": 1, "detected_at": "2026-01-01T00:00:00Z"}, {}, "detected_at"),
        ({"version": 1, "title": ""}, {}, "title"),
        ({"version": 1, "started_at": "2999-01-01T00:00:00Z"}, {}, "started_at"),
    ],
)
def test_patch_bad_input_is_400(client, outage, data, headers, field):
    assert_error(client.patch(detail_url(outage.reference), data, **headers), 400, field)


def test_patch_severity_of_a_closed_incident_is_refused(client, outage):
    services.incident_transition(
        incident=outage, to_status=Status.RESOLVED, user=None, resolution_summary="fixed"
    )
    publish_postmortem(outage)  # P1: closing needs the published post-mortem
    services.incident_transition(
        incident=outage, to_status=Status.CLOSED, user=None, reason="Open work tracked in OPS-1"
    )
    outage.refresh_from_db()
    response = client.patch(
        detail_url(outage.reference), {"version": outage.version, "severity": "P3"}
    )
    assert_error(response, 400, "severity")


# --- transition and acknowledge --------------------------------------------------------------
def test_transition(client, outage):
    response = client.post(detail_url(outage.reference, "transition"), {"to": "triaged"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "triaged" and body["triaged_at"] and body["acknowledged_at"]
    assert TimelineEntry.objects.filter(
        incident=outage, kind=TimelineKind.STATUS_CHANGE, text__contains="detected → triaged"
    ).exists()


def test_transition_invalid_move_is_409(client, outage):
    body = assert_error(
        client.post(detail_url(outage.reference, "transition"), {"to": "closed"}), 409
    )
    assert "Allowed from detected" in body["detail"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"to": "resolved"}, "resolution_summary"),
        ({"to": "cancelled"}, "cancel_reason"),
        ({"to": "sideways"}, "to"),
        ({}, "to"),
    ],
)
def test_transition_missing_field_is_400(client, outage, data, field):
    assert_error(client.post(detail_url(outage.reference, "transition"), data), 400, field)
    outage.refresh_from_db()
    assert outage.status == Status.DETECTED


def test_transition_resolve_cancel_and_reopen(client, open_incident):
    incident = open_incident()
    url = detail_url(incident.reference, "transition")
    resolved = client.post(url, {"to": "resolved", "resolution_summary": "Rolled back"})
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["resolution_summary"] == "Rolled back"
    assert_error(client.post(url, {"to": "investigating"}), 400, "reason")
    reopened = client.post(url, {"to": "investigating", "reason": "It came back"})
    assert reopened.json()["status"] == "investigating"
    assert reopened.json()["resolved_at"] is None

    other = open_incident()
    cancelled = client.post(
        detail_url(other.reference, "transition"),
        {"to": "cancelled", "cancel_reason": "False alarm"},
    )
    assert cancelled.json()["status"] == "cancelled"
    assert_error(client.post(detail_url(other.reference, "transition"), {"to": "triaged"}), 409)


def test_acknowledge(client, outage):
    url = detail_url(outage.reference, "acknowledge")
    response = client.post(url)
    assert response.status_code == 200, response.content
    assert response.json()["acknowledged_at"]
    assert response.json()["response_sla"] == "met"
    body = assert_error(client.post(url), 409)
    assert "already acknowledged" in body["detail"]


def test_acknowledge_takes_no_body(client, outage):
    assert_error(client.post(detail_url(outage.reference, "acknowledge"), {"x": 1}), 400, "x")


# --- timeline --------------------------------------------------------------------------------
def test_timeline_lists_oldest_first(client, outage):
    services.incident_add_note(incident=outage, text="first note", user=None)
    response = client.get(detail_url(outage.reference, "timeline"))
    assert response.status_code == 200
    results = response.json()["results"]
    assert results[0]["kind"] == "created"
    assert results[-1]["text"] == "first note"
    assert set(results[0]) == {"id", "at", "kind", "author", "text"}


def test_timeline_paginates(client, outage):
    for n in range(4):
        services.incident_add_note(incident=outage, text=f"note {n}", user=None)
    total = TimelineEntry.objects.filter(incident=outage).count()
    seen, url = [], detail_url(outage.reference, "timeline") + "?page_size=2"
    while url:
        body = client.get(url).json()
        seen += [entry["id"] for entry in body["results"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == total


def test_timeline_ignores_the_incident_list_ordering(client, outage):
    response = client.get(detail_url(outage.reference, "timeline") + "?ordering=-severity")
    assert response.status_code == 200


def test_add_note(client, outage):
    at = (timezone.now() - timedelta(minutes=30)).replace(microsecond=0)
    response = client.post(
        detail_url(outage.reference, "timeline"), {"text": "Rollback started", "at": at.isoformat()}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "note" and body["text"] == "Rollback started"
    assert body["author"] == client.api_key.user.username
    assert TimelineEntry.objects.get(pk=body["id"]).at == at


@pytest.mark.parametrize(
    ("data", "field"),
    [({"text": ""}, "text"), ({"text": "x", "at": "2999-01-01T00:00:00Z"}, "at"), ({}, "text")],
)
def test_add_note_invalid(client, outage, data, field):
    assert_error(client.post(detail_url(outage.reference, "timeline"), data), 400, field)


# --- roles -----------------------------------------------------------------------------------
def test_roles_get_and_put(client, outage):
    alice = UserFactory(username="alice")
    bob = UserFactory(username="bob")
    url = detail_url(outage.reference, "roles")
    assert client.get(url).json() == dict.fromkeys(
        ["incident_commander", "technical_lead", "communications_lead", "security_lead"]
    )

    response = client.put(url, {"incident_commander": "alice", "technical_lead": "bob"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["incident_commander"]["username"] == "alice"
    assert body["incident_commander"]["assigned_by"] == client.api_key.user.username
    assert body["technical_lead"]["username"] == "bob"
    assert body["security_lead"] is None

    # Handover (and the GET shape is accepted back); the other roles stay.
    response = client.put(url, {"incident_commander": {"username": "bob"}})
    assert response.json()["incident_commander"]["username"] == "bob"
    assert response.json()["technical_lead"]["username"] == "bob"
    assert RoleAssignment.objects.filter(
        incident=outage, user=alice, relieved_at__isnull=False
    ).exists()

    # Same holder again: nothing to do. null: relieved.
    assert client.put(url, {"incident_commander": "bob"}).status_code == 200
    response = client.put(url, {"technical_lead": None})
    assert response.json()["technical_lead"] is None
    detail = client.get(detail_url(outage.reference)).json()
    assert detail["roles"]["incident_commander"]["username"] == "bob"
    assert bob.incident_roles.filter(relieved_at__isnull=True).count() == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"incident_commander": "ghost"}, "incident_commander"),
        ({"incident_commander": 7}, "incident_commander"),
        ({"incident_commander": "outsider"}, "incident_commander"),
        ({"chief": "alice"}, "chief"),
    ],
)
def test_roles_invalid(client, outage, data, field):
    UserFactory(username="alice")
    UserFactory(username="outsider", is_staff=False)
    assert_error(client.put(detail_url(outage.reference, "roles"), data), 400, field)
    assert not RoleAssignment.objects.exists()


def test_roles_all_or_nothing(client, outage):
    UserFactory(username="alice")
    response = client.put(
        detail_url(outage.reference, "roles"),
        {"incident_commander": "alice", "technical_lead": "ghost"},
    )
    assert_error(response, 400, "technical_lead")
    assert not RoleAssignment.objects.exists()


def test_roles_on_a_closed_incident_is_409(client, outage):
    holder = UserFactory(username="alice")
    services.incident_assign_role(
        incident=outage, role="technical_lead", assignee=holder, user=None
    )
    services.incident_transition(
        incident=outage, to_status=Status.CANCELLED, user=None, cancel_reason="dup"
    )
    url = detail_url(outage.reference, "roles")
    assert_error(client.put(url, {"incident_commander": "alice"}), 409)
    assert_error(client.put(url, {"technical_lead": None}), 409)


# --- history ---------------------------------------------------------------------------------
def test_history_who_when_why_and_field_changes(client, outage):
    ServiceFactory(name="payments")
    response = client.patch(
        detail_url(outage.reference),
        {"version": 1, "severity": "P0", "affected_services": ["payments"], "reason": "Worse"},
        HTTP_X_REQUEST_ID="req-42",
    )
    assert response.status_code == 200
    body = client.get(detail_url(outage.reference, "history")).json()
    records = body["results"]
    assert records[0]["action"] == "created"
    assert records[0]["user"] is None  # opened by the system in this test
    assert {"field": "title", "before": None, "after": "Checkout returns 502"} in records[0][
        "changes"
    ]

    severity_change = next(r for r in records if r["reason"].startswith("Severity P1 → P0"))
    assert severity_change["user"] == client.api_key.user.username
    assert severity_change["request_id"] == "req-42"
    assert severity_change["action"] == "changed"
    fields = {change["field"]: change for change in severity_change["changes"]}
    assert fields["severity"] == {"field": "severity", "before": "P1", "after": "P0"}
    assert fields["response_due_at"]["before"] != fields["response_due_at"]["after"]
    assert fields["version"]["after"] == fields["version"]["before"] + 1

    services_change = next(
        r
        for r in records
        for c in r["changes"]
        if c["field"] == "affected_services"
        if c["before"] is not None
    )
    change = next(c for c in services_change["changes"] if c["field"] == "affected_services")
    assert (change["before"], change["after"]) == ([], ["payments"])
    assert services_change["request_id"] == "req-42"


def test_history_paginates_with_diffs_across_pages(client, outage):
    for n in range(3):
        services.incident_update(incident=outage, user=None, title=f"Title {n}")
    url = detail_url(outage.reference, "history") + "?page_size=1"
    records = []
    while url:
        body = client.get(url).json()
        records += body["results"]
        url = body["next"]
    titles = [
        (change["before"], change["after"])
        for record in records
        for change in record["changes"]
        if change["field"] == "title"
    ]
    assert titles == [
        (None, "Checkout returns 502"),
        ("Checkout returns 502", "Title 0"),
        ("Title 0", "Title 1"),
        ("Title 1", "Title 2"),
    ]


def test_history_is_read_only(client, outage):
    assert_error(client.post(detail_url(outage.reference, "history"), {}), 405)


def test_security_group_member_sees_security_history(session_client, security_lead, breach):
    response = session_client(security_lead).get(detail_url(breach.reference, "history"))
    assert response.status_code == 200


def test_filter_offsets_postgres_would_refuse_are_converted_to_utc(client):
    incident = IncidentFactory()
    response = client.get(LIST_URL, {"detected_after": "2000-01-01T00:00:00+19:40"})
    assert response.status_code == 200
    assert [item["reference"] for item in response.json()["results"]] == [incident.reference]
    assert_error(client.get(LIST_URL, {"detected_after": "0001-01-01T00:00:00+05:00"}), 400)

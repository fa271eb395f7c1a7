"""Who may do what: scopes × endpoints, need-to-know for security incidents, staff
sessions with their admin permissions, and deny-by-default."""

import pytest
from django.conf import settings
from rest_framework.test import APIClient
from rest_framework.views import APIView

from incidents import services
from incidents.api.permissions import ApiPermission
from incidents.choices import ResponseRole
from incidents.models import Incident
from incidents.outbox.services import notify_people
from incidents.services.api_keys import api_key_revoke
from tests.incidents.builders import RoleAssignmentFactory, UserFactory

from .conftest import LIST_URL, detail_url

pytestmark = pytest.mark.django_db

READ, WRITE, SECURITY = "incidents:read", "incidents:write", "incidents:security"
OTHER_SCOPES = ("ingest", "audit:read", "reports:read")

NEW = {
    "title": "Card payments failing",
    "severity": "P2",
    "type": "software_bug",
    "detection_source": "support_ticket",
}


def endpoints(reference: str, version: int):
    """(name, method, url, body, scope needed) for every incident endpoint."""
    return [
        ("list", "get", LIST_URL, None, READ),
        ("create", "post", LIST_URL, NEW, WRITE),
        ("retrieve", "get", detail_url(reference), None, READ),
        ("patch", "patch", detail_url(reference), {"version": version, "title": "T"}, WRITE),
        ("transition", "post", detail_url(reference, "transition"), {"to": "triaged"}, WRITE),
        ("acknowledge", "post", detail_url(reference, "acknowledge"), None, WRITE),
        ("timeline", "get", detail_url(reference, "timeline"), None, READ),
        ("note", "post", detail_url(reference, "timeline"), {"text": "hi"}, WRITE),
        ("roles", "get", detail_url(reference, "roles"), None, READ),
        ("assign", "put", detail_url(reference, "roles"), {"incident_commander": "alice"}, WRITE),
        ("history", "get", detail_url(reference, "history"), None, READ),
    ]


ENDPOINT_NAMES = [name for name, *_ in endpoints("INC-x", 1)]
DETAIL_ENDPOINTS = [name for name in ENDPOINT_NAMES if name not in {"list", "create"}]


def call(client, method, url, body):
    return (
        getattr(client, method)(url, body, format="json") if body else getattr(client, method)(url)
    )


def endpoint(name, incident):
    return next(e for e in endpoints(incident.reference, incident.version) if e[0] == name)


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


# --- scopes ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ENDPOINT_NAMES)
def test_each_endpoint_needs_its_scope(name, key_client, outage, alice):
    _name, method, url, body, needed = endpoint(name, outage)
    wrong = [scope for scope in (READ, WRITE) if scope != needed] + list(OTHER_SCOPES)

    denied = call(key_client(*wrong, SECURITY), method, url, body)
    assert denied.status_code == 403, denied.content
    assert denied.json() == {"detail": f"This API key lacks the {needed!r} scope.", "errors": {}}

    allowed = call(key_client(needed), method, url, body)
    assert allowed.status_code in {200, 201}, allowed.content


@pytest.mark.parametrize("name", ENDPOINT_NAMES)
def test_no_credentials_is_401(name, outage):
    _name, method, url, body, _scope = endpoint(name, outage)
    response = call(APIClient(), method, url, body)
    assert response.status_code == 401
    assert response.json()["errors"] == {}
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer hm_00000000_nope",
        "Bearer nonsense",
        "Bearer",
        "Bearer a b",
        "Bearer hm_\u00e9t\u00e9_x",
    ],
)
def test_bad_key_is_401(header, outage):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header.encode("utf-8").decode("latin-1"))
    response = client.get(LIST_URL)
    assert response.status_code == 401
    assert set(response.json()) == {"detail", "errors"}


def test_wrong_secret_with_a_real_prefix_is_401(make_key):
    _api_key, raw = make_key(READ)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw[:-4]}AAAA")
    assert client.get(LIST_URL).status_code == 401


def test_revoked_key_is_401(key_client):
    client = key_client(READ)
    assert client.get(LIST_URL).status_code == 200
    api_key_revoke(api_key=client.api_key)
    response = client.get(LIST_URL)
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid API key (unknown or revoked).", "errors": {}}


def test_key_of_a_deactivated_service_account_is_401(key_client):
    client = key_client(READ)
    client.api_key.user.is_active = False
    client.api_key.user.save()
    assert client.get(LIST_URL).status_code == 401


# --- need-to-know ----------------------------------------------------------------------------
@pytest.fixture
def no_security(key_client):
    return key_client(READ, WRITE)


def test_key_without_security_scope_never_sees_security_incidents_in_lists(
    no_security, outage, breach
):
    queries = [
        "",
        "?category=security",
        "?type=data_breach",
        f"?search={breach.reference}",
        "?search=exfiltrated",
        "?search=secret-sauce",
        "?severity=P0",
        "?ordering=severity",
    ]
    for query in queries:
        response = no_security.get(LIST_URL + query)
        assert response.status_code == 200
        assert breach.reference not in response.content.decode(), query
    assert [i["reference"] for i in no_security.get(LIST_URL).json()["results"]] == [
        outage.reference
    ]


@pytest.mark.parametrize("name", DETAIL_ENDPOINTS)
def test_key_without_security_scope_gets_the_same_404_as_for_nothing(
    name, no_security, breach, alice
):
    _name, method, url, body, _scope = endpoint(name, breach)
    hidden = call(no_security, method, url, body)
    missing_url = url.replace(breach.reference, "INC-20000101-000000")
    missing = call(no_security, method, missing_url, body)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
    breach.refresh_from_db()
    assert breach.version == 1 and breach.title == "Customer table exfiltrated"


@pytest.mark.parametrize("name", DETAIL_ENDPOINTS)
def test_key_with_security_scope_reaches_security_incidents(name, key_client, breach, alice):
    _name, method, url, body, _scope = endpoint(name, breach)
    response = call(key_client(READ, WRITE, SECURITY), method, url, body)
    assert response.status_code in {200, 201}, response.content


def test_opening_a_security_incident_needs_the_security_scope(no_security, key_client):
    body = {**NEW, "type": "data_breach"}
    response = no_security.post(LIST_URL, body, format="json")
    assert response.status_code == 403
    assert "incidents:security" in response.json()["detail"]
    assert not Incident.objects.exists()
    assert key_client(WRITE, SECURITY).post(LIST_URL, body, format="json").status_code == 201


def test_moving_an_incident_into_security_needs_the_security_scope(no_security, outage):
    response = no_security.patch(
        detail_url(outage.reference), {"version": 1, "type": "malware"}, format="json"
    )
    assert response.status_code == 403
    outage.refresh_from_db()
    assert outage.type == "service_outage"


# --- staff sessions --------------------------------------------------------------------------
def test_responder_reads_and_works_but_cannot_assign_roles_or_open(
    session_client, responder, outage, alice
):
    client = session_client(responder)
    for name in ("list", "retrieve", "timeline", "roles", "history"):
        _n, method, url, body, _s = endpoint(name, outage)
        assert call(client, method, url, body).status_code == 200, name
    for name in ("patch", "transition", "note"):
        outage.refresh_from_db()
        _n, method, url, body, _s = endpoint(name, outage)
        assert call(client, method, url, body).status_code in {200, 201}, name
    for name in ("assign", "create"):
        _n, method, url, body, _s = endpoint(name, outage)
        response = call(client, method, url, body)
        assert response.status_code == 403, name
        assert "permission" in response.json()["detail"]


def test_commander_can_open_and_assign(session_client, commander, outage, alice):
    client = session_client(commander)
    for name in ("create", "assign", "acknowledge"):
        _n, method, url, body, _s = endpoint(name, outage)
        assert call(client, method, url, body).status_code in {200, 201}, name
    created = Incident.objects.exclude(pk=outage.pk).get()
    assert created.history.earliest().history_user == commander


@pytest.mark.parametrize("name", ENDPOINT_NAMES)
def test_auditor_is_read_only(name, session_client, auditor, outage, alice):
    _n, method, url, body, scope = endpoint(name, outage)
    response = call(session_client(auditor), method, url, body)
    assert response.status_code == (200 if scope == READ else 403), response.content


def test_session_need_to_know_matches_the_admin(
    session_client, responder, security_lead, breach, outage
):
    url = detail_url(breach.reference)
    assert session_client(security_lead).get(url).status_code == 200
    listed = session_client(responder).get(LIST_URL).json()["results"]
    assert [item["reference"] for item in listed] == [outage.reference]
    assert session_client(responder).get(url).status_code == 404
    # Holding a role on it opens it to that person.
    RoleAssignmentFactory(incident=breach, user=responder, role=ResponseRole.TECHNICAL_LEAD)
    assert session_client(responder).get(url).status_code == 200


@pytest.mark.parametrize("name", ENDPOINT_NAMES)
def test_auditor_reads_a_security_incident_and_changes_nothing(
    name, session_client, auditor, breach, alice
):
    _n, method, url, body, scope = endpoint(name, breach)
    response = call(session_client(auditor), method, url, body)
    assert response.status_code == (200 if scope == READ else 403), response.content
    if name == "retrieve":
        assert response.json()["reference"] == breach.reference
    breach.refresh_from_db()
    assert breach.version == 1 and breach.acknowledged_at is None


def test_former_role_holder_still_opens_the_security_incident(
    session_client, responder, breach, alice
):
    boss = UserFactory(username="boss", is_superuser=True)
    assignment = services.incident_assign_role(
        incident=breach, role=ResponseRole.TECHNICAL_LEAD, assignee=responder, user=boss
    )
    services.incident_relieve_role(assignment=assignment, user=boss)
    client = session_client(responder)
    assert client.get(detail_url(breach.reference)).status_code == 200
    assert client.get(detail_url(breach.reference, "history")).status_code == 200
    listed = client.get(LIST_URL).json()
    assert breach.reference in {item["reference"] for item in listed["results"]}
    assert listed["withheld"] == 0


def test_paged_person_opens_the_security_incident_and_a_group_mate_does_not(
    session_client, responder, breach, outage
):
    responder.email = "resp@example.test"
    responder.save()
    notify_people(
        people=[responder],
        key="page-test",
        subject="P0",
        body="You are paged.",
        now=breach.detected_at,
        incident=breach,
    )
    colleague = UserFactory(username="colleague", groups=["Responder"])
    assert session_client(responder).get(detail_url(breach.reference)).status_code == 200
    assert session_client(colleague).get(detail_url(breach.reference)).status_code == 404


def test_list_says_how_many_security_incidents_are_withheld(
    session_client, no_security, key_client, responder, security_lead, auditor, breach, outage
):
    """Never a silent gap: `withheld` and X-Withheld-Count count every security incident
    the caller may not see, the same whatever the filters (no probing by search)."""
    for client, expected in [
        (session_client(responder), 1),
        (no_security, 1),
        (session_client(security_lead), 0),
        (session_client(auditor), 0),
        (key_client(READ, SECURITY), 0),
    ]:
        for query in ("", "?search=exfiltrated", "?search=no-such-words", "?severity=P3"):
            response = client.get(LIST_URL + query)
            assert response.status_code == 200
            assert response.json()["withheld"] == expected, query
            assert response["X-Withheld-Count"] == str(expected)


def test_session_writes_need_the_csrf_token(responder, outage):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(responder)
    response = client.post(detail_url(outage.reference, "acknowledge"))
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    outage.refresh_from_db()
    assert outage.acknowledged_at is None


def test_non_staff_session_is_refused(session_client, outage):
    client = session_client(UserFactory(username="customer", is_staff=False))
    response = client.get(LIST_URL)
    assert response.status_code == 403
    assert response.json()["detail"] == "Only staff may use the API with a session."


def test_session_write_is_recorded_as_the_person(session_client, responder, outage):
    session_client(responder).post(detail_url(outage.reference, "transition"), {"to": "triaged"})
    outage.refresh_from_db()
    assert outage.history.latest().history_user == responder


# --- deny by default -------------------------------------------------------------------------
def test_default_permission_is_deny_unless_declared(rf, make_key, responder):
    assert settings.REST_FRAMEWORK["DEFAULT_PERMISSION_CLASSES"] == [
        "incidents.api.permissions.ApiPermission"
    ]
    api_key, _raw = make_key()  # every scope

    class Undeclared(APIView):
        def get(self, request): ...

    class Declared(APIView):
        required_scopes = {"GET": "ingest"}
        required_perms = {"GET": ("incidents.view_incident",)}

        def get(self, request): ...

        def post(self, request): ...

    def request_as(user, auth, method="get"):
        request = getattr(rf, method)("/api/v1/x/")
        request.user, request.auth = user, auth
        return request

    permission = ApiPermission()
    assert not permission.has_permission(request_as(api_key.user, api_key), Undeclared())
    superuser = UserFactory(username="root", is_superuser=True)
    assert not permission.has_permission(request_as(superuser, None), Undeclared())
    assert permission.has_permission(request_as(api_key.user, api_key), Declared())
    assert not permission.has_permission(request_as(api_key.user, api_key, "post"), Declared())
    assert permission.has_permission(request_as(responder, None), Declared())
    assert permission.has_permission(request_as(api_key.user, api_key, "head"), Declared())


def test_single_required_scope(rf, make_key):
    ingest_key, _ = make_key("ingest")
    read_key, _ = make_key(READ)

    class Ingest(APIView):
        required_scope = "ingest"

        def post(self, request): ...

    request = rf.post("/api/v1/ingest/x/")
    request.user, request.auth = ingest_key.user, ingest_key
    assert ApiPermission().has_permission(request, Ingest())
    request.user, request.auth = read_key.user, read_key
    assert not ApiPermission().has_permission(request, Ingest())


def test_the_api_key_service_account_cannot_use_the_admin(client, make_key, outage):
    api_key, _raw = make_key()
    assert not api_key.user.is_staff and not api_key.user.has_usable_password()
    client.force_login(api_key.user)
    assert client.get("/admin/").status_code == 302  # to the login page
    services.incident_acknowledge(incident=outage, user=api_key.user)  # but it can author

"""Bad input never becomes a 500: every error is the contract shape with a useful detail."""

import base64

import pytest
from django.conf import settings
from django.test import override_settings

from incidents.models import Incident

from .conftest import LIST_URL, detail_url

pytestmark = pytest.mark.django_db

NEW = (
    '{"title": "T", "severity": "P2", "type": "software_bug", "detection_source": "support_ticket"}'
)


def rates(**scopes):
    return {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": scopes}


@pytest.fixture
def client(key_client):
    return key_client("incidents:read", "incidents:write")


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ('{"title": ', "JSON parse error - Expecting value: line 1 column 11"),
        ("{'title': 'x'}", "JSON parse error - Expecting property name enclosed in double quotes"),
        ('{"title": NaN}', "JSON parse error"),
        ('{"title": "\\ud800"}', "invalid Unicode"),
        (b'{"title": "\xff"}', "JSON parse error"),
    ],
)
def test_malformed_json_is_400_saying_what_is_wrong(client, body, says):
    response = client.post(LIST_URL, data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"] == {}
    assert says in response.json()["detail"]


@pytest.mark.parametrize("body", ["[]", '"text"', "42", "null"])
def test_json_that_is_not_an_object_is_400(client, body):
    response = client.post(LIST_URL, data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"]


def test_form_encoded_body_is_415(client):
    response = client.post(
        LIST_URL, data="title=x", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    assert set(response.json()) == {"detail", "errors"}


@override_settings(HARBORMASTER_API_MAX_BODY_BYTES=1000)
def test_body_too_large_is_413_json(client):
    big = '{"title": "' + "x" * 2000 + '"}'
    response = client.post(LIST_URL, data=big, content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {
        "detail": f"Request body too large: {len(big)} bytes; the limit is 1000 bytes.",
        "errors": {},
    }
    assert response["X-Request-ID"]
    assert not Incident.objects.exists()


def test_body_size_limit_default_is_one_mebibyte():
    assert settings.HARBORMASTER_API_MAX_BODY_BYTES == 1024 * 1024


def test_unknown_api_route_is_404_json(client):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"detail": "No API endpoint at /api/v1/no-such-thing/.", "errors": {}}


def test_non_api_404_stays_html(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "application/json" not in response["Content-Type"]


def test_method_not_allowed_is_405_json(client, outage):
    for method in ("delete", "put"):
        response = getattr(client, method)(detail_url(outage.reference))
        assert response.status_code == 405
        assert response.json()["detail"].startswith("Method")
    assert client.options(LIST_URL).status_code == 405  # no schema introspection via OPTIONS


@override_settings(REST_FRAMEWORK=rates(api="3/minute", ingest="3/minute"))
def test_throttled_per_key_with_retry_after(key_client):
    first, second = key_client("incidents:read"), key_client("incidents:read")
    for _ in range(3):
        assert first.get(LIST_URL).status_code == 200
    response = first.get(LIST_URL)
    assert response.status_code == 429
    assert response.json()["detail"].startswith("Request was throttled")
    assert response.json()["errors"] == {}
    assert 0 < int(response["Retry-After"]) <= 60
    # Another key has its own allowance.
    assert second.get(LIST_URL).status_code == 200


@override_settings(REST_FRAMEWORK=rates(api="2/minute", ingest="2/minute"))
def test_throttled_per_session_user(session_client, responder):
    client = session_client(responder)
    assert [client.get(LIST_URL).status_code for _ in range(3)] == [200, 200, 429]
    assert client.get(LIST_URL)["Retry-After"]


def test_throttle_rates_come_from_settings():
    assert set(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]) >= {"api", "ingest"}
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] == [
        "incidents.api.throttling.ApiClientRateThrottle"
    ]


def test_invalid_content_length_is_400(client):
    response = client.generic("POST", LIST_URL, NEW, "application/json", CONTENT_LENGTH="abc")
    assert response.status_code == 400
    assert response.json()["detail"] == "Invalid Content-Length header."


def test_unexpected_error_under_api_is_json_500(client, monkeypatch):
    from incidents.api import views

    def boom(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(views.IncidentViewSet, "list", boom)
    client.raise_request_exception = False
    response = client.get(LIST_URL)
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error.", "errors": {}}


@pytest.mark.parametrize("depth", [65, 1_000, 100_000])
def test_json_nested_too_deep_is_400_naming_the_limit(client, depth):
    body = '{"title": ' + "[" * depth + "]" * depth + "}"
    response = client.post(LIST_URL, data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "JSON parse error - nested deeper than 64 levels (arrays and objects)",
        "errors": {},
    }


def test_a_cursor_nested_too_deep_is_404_like_any_forged_cursor(client):
    cursor = base64.urlsafe_b64encode(("[" * 2_000 + "]" * 2_000).encode()).decode()
    response = client.get(f"{LIST_URL}?cursor={cursor}")
    assert response.status_code == 404

"""The OpenAPI schema is valid and documents errors and examples; the docs load offline."""

import re
from io import StringIO

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command

pytestmark = pytest.mark.django_db

INCIDENT_PATHS = {
    "/api/v1/incidents/": {"get", "post"},
    "/api/v1/incidents/{reference}/": {"get", "patch"},
    "/api/v1/incidents/{reference}/transition/": {"post"},
    "/api/v1/incidents/{reference}/acknowledge/": {"post"},
    "/api/v1/incidents/{reference}/timeline/": {"get", "post"},
    "/api/v1/incidents/{reference}/roles/": {"get", "put"},
    "/api/v1/incidents/{reference}/history/": {"get"},
}


@pytest.fixture(scope="module")
def schema():
    out = StringIO()
    # Fails on any warning as well as on an invalid OpenAPI document.
    call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi", stdout=out)
    return yaml.safe_load(out.getvalue())


def test_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Harbormaster API"


def test_every_incident_endpoint_is_documented(schema):
    for path, methods in INCIDENT_PATHS.items():
        assert path in schema["paths"], path
        assert methods <= set(schema["paths"][path]), path


def test_every_operation_documents_its_errors_in_the_contract_shape(schema):
    for path, methods in INCIDENT_PATHS.items():
        for method in methods:
            responses = schema["paths"][path][method]["responses"]
            assert {"401", "403", "429"} <= set(responses), (path, method)
            for code, response in responses.items():
                if code.startswith("4"):
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/Error"), (path, method, code)
                    assert response["content"]["application/json"]["examples"], (path, code)
            if "{reference}" in path:
                assert "404" in responses, (path, method)
            if method in {"post", "patch", "put"}:
                assert {"400", "409"} & set(responses), (path, method)
    error = schema["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"detail", "errors"}


def test_writes_have_request_examples_and_posts_take_an_idempotency_key(schema):
    for path, methods in INCIDENT_PATHS.items():
        for method in methods - {"get"}:
            operation = schema["paths"][path][method]
            if method == "post":
                headers = [p["name"] for p in operation["parameters"] if p["in"] == "header"]
                assert "Idempotency-Key" in headers, path
            if operation.get("requestBody"):
                content = operation["requestBody"]["content"]["application/json"]
                assert content.get("examples"), (path, method)


def test_contract_enums_are_named(schema):
    components = schema["components"]["schemas"]
    assert components["SeverityEnum"]["enum"] == ["P0", "P1", "P2", "P3"]
    assert components["StatusEnum"]["enum"] == [
        "detected",
        "triaged",
        "investigating",
        "contained",
        "resolved",
        "closed",
        "cancelled",
    ]
    assert "security" in components["CategoryEnum"]["enum"]


def test_bearer_scheme_is_documented(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["apiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["apiKey"]["description"],
    }


def test_schema_view_serves_the_same_schema(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")
    assert "/api/v1/incidents/{reference}/transition/" in response.json()["paths"]


def test_docs_page_loads_with_local_assets_only(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert not re.search(r"https?://", html), re.findall(r"https?://\S+", html)
    assets = re.findall(r'(?:src|href)="/static/([^"]+)"', html)
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets)
    for asset in assets:
        assert finders.find(asset), asset

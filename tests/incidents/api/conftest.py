"""Fixtures for the REST API tests: keys with chosen scopes, staff sessions with CSRF."""

import pytest
from django.core.cache import cache
from django.middleware.csrf import _get_new_csrf_string
from rest_framework.test import APIClient

from incidents import services
from incidents.choices import DetectionSource, IncidentType, Severity, StaffGroup
from incidents.models import ApiScope
from incidents.services.api_keys import api_key_create
from tests.incidents.builders import UserFactory

ALL_SCOPES = list(ApiScope.values)
LIST_URL = "/api/v1/incidents/"


def detail_url(reference: str, sub: str = "") -> str:
    return f"/api/v1/incidents/{reference}/" + (f"{sub}/" if sub else "")


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_key(db):
    def make(*scopes: str, name: str = "integration"):
        return api_key_create(name=name, scopes=list(scopes) or ALL_SCOPES)

    return make


@pytest.fixture
def key_client(make_key):
    """`key_client("incidents:read", ...)` → an APIClient sending that key as Bearer."""

    def make(*scopes: str, name: str = "integration") -> APIClient:
        api_key, raw = make_key(*scopes, name=name)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        client.api_key = api_key
        return client

    return make


@pytest.fixture
def session_client(db):
    """`session_client(user)` → a client logged in as `user` that sends the CSRF token."""

    def make(user) -> APIClient:
        client = APIClient(enforce_csrf_checks=True)
        client.force_login(user)
        token = _get_new_csrf_string()
        client.cookies["csrftoken"] = token
        client.credentials(HTTP_X_CSRFTOKEN=token)
        client.user = user
        return client

    return make


@pytest.fixture
def responder(db):
    return UserFactory(username="resp", groups=[StaffGroup.RESPONDER])


@pytest.fixture
def security_lead(db):
    return UserFactory(username="seclead", groups=[StaffGroup.SECURITY_LEAD])


@pytest.fixture
def auditor(db):
    return UserFactory(username="auditor", groups=[StaffGroup.AUDITOR])


@pytest.fixture
def commander(db):
    return UserFactory(username="ic", groups=[StaffGroup.INCIDENT_COMMANDER])


@pytest.fixture
def open_incident(db):
    """Open an incident through the service, as the API would."""

    def make(**overrides):
        data = dict(
            title="Checkout returns 502",
            severity=Severity.P1,
            type=IncidentType.SERVICE_OUTAGE,
            detection_source=DetectionSource.CLOUDWATCH_ALARM,
            user=None,
        )
        data.update(overrides)
        return services.incident_create(**data)

    return make


@pytest.fixture
def outage(open_incident):
    return open_incident(title="Checkout returns 502")


@pytest.fixture
def breach(open_incident):
    return open_incident(
        title="Customer table exfiltrated",
        severity=Severity.P0,
        type=IncidentType.DATA_BREACH,
        detection_source=DetectionSource.SECURITY_EVENT,
        summary="secret-sauce",
    )

"""Fixtures for the incident API tests: staff in each group and incidents opened through
the service. API clients (make_key, key_client, session_client) are in
tests/incidents/builders.py."""

import pytest
from django.core.cache import cache

from incidents import services
from incidents.choices import DetectionSource, IncidentType, Severity, StaffGroup
from tests.incidents.builders import UserFactory

LIST_URL = "/api/v1/incidents/"


def detail_url(reference: str, sub: str = "") -> str:
    return f"/api/v1/incidents/{reference}/" + (f"{sub}/" if sub else "")


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    yield
    cache.clear()


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

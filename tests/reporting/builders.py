"""Builders for the reporting app, shared by the whole suite (a pytest plugin listed in
tests/conftest.py): staff with their groups, an open breach, a clock, and an attacker
with direct database access."""

from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from django.db import connection

from incidents import services
from incidents.choices import DetectionSource, IncidentType, Severity, StaffGroup
from reporting.breach import services as breach_services
from reporting.models import NotificationObligation, Regime
from tests.incidents.builders import UserFactory

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def people(db):
    return {
        "ic": UserFactory(username="ic", groups=[StaffGroup.INCIDENT_COMMANDER]),
        "sec": UserFactory(username="sec", groups=[StaffGroup.SECURITY_LEAD]),
        "sec2": UserFactory(username="sec2", groups=[StaffGroup.SECURITY_LEAD]),
        "auditor": UserFactory(username="auditor", groups=[StaffGroup.AUDITOR]),
        "resp": UserFactory(username="resp", groups=[StaffGroup.RESPONDER]),
    }


@pytest.fixture
def open_breach(people):
    def make(*, at=T0, type=IncidentType.DATA_BREACH, severity=Severity.P1, **extra):
        incident = services.incident_create(
            title=extra.pop("title", "Customer table exfiltrated"),
            severity=severity,
            type=type,
            detection_source=DetectionSource.SECURITY_EVENT,
            user=people["sec"],
            detected_at=at,
            now=at,
            **extra,
        )
        services.incident_assign_role(
            incident=incident,
            role="incident_commander",
            assignee=people["ic"],
            user=people["sec"],
            now=at,
        )
        return incident

    return make


@contextmanager
def attacker():
    """Write like someone with direct database access: on PostgreSQL, bypass the
    append-only triggers (session_replication_role = replica needs a superuser)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = origin")


def regimes(*codes):
    return list(Regime.objects.filter(code__in=codes))


def obligation(assessment, regime, stage):
    return NotificationObligation.objects.get(
        assessment=assessment, stage__regime__code=regime, stage__code=stage
    )


def gdpr_assessment(open_breach, people, aware=T0):
    """A breach with a GDPR Art. 33 assessment started at `aware`: (incident, obligation)."""
    incident = open_breach()
    assessment = breach_services.breach_assessment_start(
        incident=incident,
        user=people["sec"],
        awareness_at=aware,
        awareness_reason="confirmed",
        regimes=regimes("gdpr-33"),
        now=aware,
    )
    return incident, obligation(assessment, "gdpr-33", "notification")

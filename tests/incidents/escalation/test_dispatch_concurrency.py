"""Two dispatcher runs at the same time over 1,000 due incidents, on PostgreSQL (row locks
with SKIP LOCKED): every level fires exactly once and every page is written once."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count

from incidents.choices import Category, Channel, DetectionSource, IncidentType, Severity
from incidents.escalation.services import escalations_dispatch
from incidents.models import (
    Delivery,
    EscalationEvent,
    EscalationLevel,
    Incident,
    IncidentEscalationStep,
    OnCallShift,
    TimelineEntry,
)
from tests.incidents.builders import UserFactory
from tests.servers import broker_url_for_publishing

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

DUE = 1000


def open_due_incidents(count, *, now):
    """`count` P1 incidents detected two minutes ago with the P1 matrix copied onto them:
    level 1 (on-call engineer) is due, levels 2 and 3 are not, nor is the response SLA."""
    detected = now - timedelta(minutes=2)
    incidents = Incident.objects.bulk_create(
        Incident(
            reference=f"INC-LOAD-{n:06d}",
            title=f"Load test incident {n}",
            severity=Severity.P1,
            type=IncidentType.SERVICE_OUTAGE,
            category=Category.OPERATIONAL,
            detection_source=DetectionSource.CLOUDWATCH_ALARM,
            detected_at=detected,
            response_due_at=detected + timedelta(hours=1),
            next_escalation_at=detected,
        )
        for n in range(count)
    )
    matrix = list(EscalationLevel.objects.filter(severity=Severity.P1).order_by("level"))
    assert [level.delay_minutes for level in matrix] == [0, 30, 60]
    IncidentEscalationStep.objects.bulk_create(
        IncidentEscalationStep(
            incident=incident,
            level=level.level,
            delay_minutes=level.delay_minutes,
            positions=level.positions,
            stop_condition=level.stop_condition,
            due_at=detected + timedelta(minutes=level.delay_minutes),
        )
        for incident in incidents
        for level in matrix
    )
    return detected


def test_two_dispatchers_at_once_fire_every_due_level_exactly_once(
    migrated_data_kept, django_db_serialized_rollback, transactional_db, settings, now
):
    settings.HARBORMASTER_CHAT_WEBHOOK_URL = "http://127.0.0.1:9/chat"  # written, not sent
    oncall = UserFactory(username="oncall", email="oncall@harborlist.test")
    OnCallShift.objects.create(
        user=oncall, starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=1)
    )
    detected = open_due_incidents(DUE, now=now)

    start = threading.Barrier(2)
    results, errors = [None, None], []

    def dispatcher(slot):
        try:
            start.wait(timeout=10)
            results[slot] = escalations_dispatch(now=now, limit=100)
        except Exception as error:  # IntegrityError or anything else: surfaced below
            errors.append(error)
        finally:
            connection.close()

    # The pages are published on commit: to an in-memory broker, nothing leaves the test.
    with broker_url_for_publishing("memory://localhost/"):
        threads = [threading.Thread(target=dispatcher, args=(slot,)) for slot in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=240)
    assert not any(thread.is_alive() for thread in threads)

    assert errors == []
    events = EscalationEvent.objects.all()
    assert events.count() == DUE
    assert set(events.values_list("level", flat=True)) == {1}
    assert events.values("incident").distinct().count() == DUE
    assert all(targets == ["oncall"] for targets in events.values_list("targets", flat=True))
    # One email to the on-call engineer and one chat message per incident, each once.
    per_channel = dict(
        Delivery.objects.values_list("channel").annotate(n=Count("id")).values_list("channel", "n")
    )
    assert per_channel == {Channel.EMAIL: DUE, Channel.CHAT: DUE}
    assert Delivery.objects.values("idempotency_key").distinct().count() == 2 * DUE
    assert TimelineEntry.objects.filter(text__startswith="Escalation level 1").count() == DUE
    # Every incident's clock moved on to level 2.
    assert set(Incident.objects.values_list("next_escalation_at", flat=True)) == {
        detected + timedelta(minutes=30)
    }
    # The two runs shared the work between them and their counts add up.
    fired = [result.levels_fired for result in results]
    assert sum(fired) == DUE
    assert sum(result.incidents for result in results) == DUE
    assert min(fired) > 0, f"one dispatcher did everything: {fired}"

    # A third run at the same moment finds nothing left to do.
    assert escalations_dispatch(now=now).levels_fired == 0
    assert EscalationEvent.objects.count() == DUE

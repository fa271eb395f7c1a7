"""Twenty deliveries of the same new alert at the same moment open one incident."""

import threading

import pytest
from django.db import connection

from incidents.ingestion import parsers
from incidents.ingestion.services import alert_ingest
from incidents.models import Alert, Incident

from .payloads import alertmanager_webhook

pytestmark = pytest.mark.postgres


def test_concurrent_deliveries_of_one_new_alert_open_one_incident(
    migrated_data_kept, django_db_serialized_rollback, transactional_db
):
    (alert,) = parsers.parse_alertmanager(alertmanager_webhook())
    start = threading.Barrier(20)
    outcomes, errors = [], []

    def deliver():
        try:
            start.wait(timeout=10)
            outcomes.append(alert_ingest(alert))
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert Incident.objects.count() == 1
    assert Alert.objects.count() == 20
    actions = sorted(outcome.action for outcome in outcomes)
    assert actions == ["appended"] * 19 + ["opened"]
    assert len({outcome.incident_reference for outcome in outcomes}) == 1

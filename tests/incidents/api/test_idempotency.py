"""`Idempotency-Key` on POST: replay the first answer, create nothing; refuse reuse."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from incidents.models import IdempotencyRecord, Incident, TimelineEntry
from incidents.services.api_keys import api_key_create

from .conftest import LIST_URL, detail_url

NEW = {
    "title": "Card payments failing",
    "severity": "P2",
    "type": "software_bug",
    "detection_source": "support_ticket",
}


@pytest.fixture
def client(key_client):
    return key_client("incidents:read", "incidents:write")


@pytest.mark.django_db
def test_retry_replays_the_first_response_and_creates_nothing(client):
    first = client.post(LIST_URL, NEW, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    retry = client.post(LIST_URL, NEW, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert retry.status_code == 201
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    assert retry["Location"] == first["Location"]
    assert Incident.objects.count() == 1
    # Key order and whitespace do not make it a different request.
    reordered = '{"detection_source": "support_ticket", "type": "software_bug", ' + (
        '"severity": "P2",   "title": "Card payments failing"}'
    )
    again = client.post(
        LIST_URL, reordered, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert again.status_code == 201 and again.json() == first.json()
    assert Incident.objects.count() == 1


@pytest.mark.django_db
def test_same_key_different_body_is_422(client):
    assert client.post(LIST_URL, NEW, format="json", HTTP_IDEMPOTENCY_KEY="k-2").status_code == 201
    response = client.post(
        LIST_URL, {**NEW, "title": "Other"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2"
    )
    assert response.status_code == 422
    body = response.json()
    assert "already used for a different request" in body["detail"]
    assert body["errors"] == {"Idempotency-Key": ["Already used with a different request."]}
    assert Incident.objects.count() == 1


@pytest.mark.django_db
def test_same_key_on_another_endpoint_is_422(client, outage):
    url = detail_url(outage.reference, "timeline")
    assert (
        client.post(url, {"text": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    )
    other = detail_url(outage.reference, "acknowledge")
    assert client.post(other, HTTP_IDEMPOTENCY_KEY="k").status_code == 422
    outage.refresh_from_db()
    assert outage.acknowledged_at is None


@pytest.mark.django_db
def test_keys_belong_to_one_client(key_client):
    one, two = key_client("incidents:write"), key_client("incidents:write")
    assert one.post(LIST_URL, NEW, format="json", HTTP_IDEMPOTENCY_KEY="x").status_code == 201
    assert two.post(LIST_URL, NEW, format="json", HTTP_IDEMPOTENCY_KEY="x").status_code == 201
    assert Incident.objects.count() == 2


@pytest.mark.django_db
def test_a_state_changing_post_runs_once(client, outage):
    url = detail_url(outage.reference, "transition")
    first = client.post(url, {"to": "triaged"}, format="json", HTTP_IDEMPOTENCY_KEY="t-1")
    retry = client.post(url, {"to": "triaged"}, format="json", HTTP_IDEMPOTENCY_KEY="t-1")
    assert first.status_code == retry.status_code == 200  # not a 409 "already triaged"
    assert retry.json() == first.json()
    notes = detail_url(outage.reference, "timeline")
    for _ in range(3):
        client.post(notes, {"text": "once"}, format="json", HTTP_IDEMPOTENCY_KEY="n-1")
    assert TimelineEntry.objects.filter(incident=outage, text="once").count() == 1


@pytest.mark.django_db
def test_a_client_error_is_replayed_too(client, outage):
    url = detail_url(outage.reference, "transition")
    first = client.post(url, {"to": "closed"}, format="json", HTTP_IDEMPOTENCY_KEY="e-1")
    assert first.status_code == 409
    retry = client.post(url, {"to": "closed"}, format="json", HTTP_IDEMPOTENCY_KEY="e-1")
    assert retry.status_code == 409 and retry["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()


@pytest.mark.django_db
def test_without_the_header_nothing_is_recorded(client):
    client.post(LIST_URL, NEW, format="json")
    client.post(LIST_URL, NEW, format="json")
    assert Incident.objects.count() == 2
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "ключ"])
def test_invalid_key_is_400(client, key):
    response = client.post(
        LIST_URL, NEW, format="json", HTTP_IDEMPOTENCY_KEY=key.encode().decode("latin-1")
    )
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]
    assert not Incident.objects.exists()


@pytest.mark.django_db
def test_a_throttled_or_unauthorised_request_is_not_recorded(key_client, outage):
    reader = key_client("incidents:read")
    response = reader.post(LIST_URL, NEW, format="json", HTTP_IDEMPOTENCY_KEY="z")
    assert response.status_code == 403
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
def test_an_expired_key_may_be_used_again(client):
    client.post(LIST_URL, NEW, format="json", HTTP_IDEMPOTENCY_KEY="old")
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    response = client.post(
        LIST_URL, {**NEW, "title": "New"}, format="json", HTTP_IDEMPOTENCY_KEY="old"
    )
    assert response.status_code == 201
    assert Incident.objects.count() == 2


@pytest.mark.django_db
def test_what_is_stored(client):
    client.post(LIST_URL, NEW, format="json", HTTP_IDEMPOTENCY_KEY="s")
    record = IdempotencyRecord.objects.get()
    assert record.client == f"key:{client.api_key.pk}"
    assert (record.key, record.method, record.path) == ("s", "POST", LIST_URL)
    assert len(record.request_hash) == 64 and record.response_status == 201


@pytest.mark.django_db
def test_session_users_get_idempotency_too(session_client, commander):
    client = session_client(commander)
    for _ in range(2):
        assert (
            client.post(LIST_URL, NEW, format="json", HTTP_IDEMPOTENCY_KEY="s").status_code == 201
        )
    assert Incident.objects.count() == 1
    assert IdempotencyRecord.objects.get().client == f"user:{commander.pk}"


@pytest.mark.postgres
def test_concurrent_duplicates_do_not_both_run(
    migrated_data_kept, django_db_serialized_rollback, transactional_db
):
    """Eight simultaneous POSTs with one key: one incident, eight identical answers."""
    _api_key, raw = api_key_create(name="racer", scopes=["incidents:write"])
    barrier = threading.Barrier(8)
    results = []

    def post():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        try:
            barrier.wait()
            response = client.post(LIST_URL, NEW, format="json", HTTP_IDEMPOTENCY_KEY="race")
            results.append((response.status_code, response.json()["reference"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Incident.objects.count() == 1
    assert len(results) == 8
    assert {status for status, _ in results} == {201}
    assert len({reference for _, reference in results}) == 1

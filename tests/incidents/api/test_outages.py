"""No single fault fails a user's write: a cache (Redis) that is down or hung costs a
request at most its socket timeouts and the rate limit is skipped; a database that cannot
be reached answers 503 with Retry-After, never 500."""

from __future__ import annotations

import logging
import socket
import threading
import time

import pytest
from django.conf import settings
from django.db import connections
from django.db.utils import InterfaceError, OperationalError, ProgrammingError
from django.test import Client, override_settings

from incidents.kernel import outages
from incidents.models import Incident
from tests.incidents.builders import UserFactory

from .conftest import LIST_URL

pytestmark = pytest.mark.django_db

NEW = {
    "title": "Checkout returns 502",
    "severity": "P2",
    "type": "software_bug",
    "detection_source": "support_ticket",
}
# A request answers in well under this with the cache gone; a generous bound for a
# loaded machine, far below the old wait (5 s per request, then a 500).
FAST_ENOUGH_SECONDS = 2.0


def redis_cache(url: str) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": settings.REDIS_CACHE_OPTIONS,
        }
    }


def tight_rates(**overrides) -> dict:
    # One request a minute: any rate limit that still ran would refuse the second request.
    return {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": "1/minute", "ingest": "1/minute", **overrides},
    }


class HungServer:
    """A TCP server on 127.0.0.1 that accepts connections and never answers (a hung Redis)."""

    def __init__(self):
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self.port = self._listener.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self):
        self._listener.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted.append(conn)  # read nothing, answer nothing

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=2)
        for conn in self.accepted:
            conn.close()
        self._listener.close()


@pytest.fixture(autouse=True)
def _fresh_outage_counters():
    outages.CACHE.reset()
    outages.DATABASE.reset()
    yield
    outages.CACHE.reset()
    outages.DATABASE.reset()


@pytest.fixture
def client(key_client):
    return key_client("incidents:read", "incidents:write")


def timed_create(client, **extra):
    started = time.monotonic()
    response = client.post(LIST_URL, {**NEW, **extra}, format="json")
    return response, time.monotonic() - started


# --- Redis down: a closed port refuses at once ---------------------------------------------
def test_cache_down_creates_still_succeed_quickly_without_rate_limits(client, caplog):
    with (
        override_settings(
            CACHES=redis_cache("redis://127.0.0.1:1/0"), REST_FRAMEWORK=tight_rates()
        ),
        caplog.at_level(logging.WARNING, logger="incidents.kernel.outages"),
    ):
        results = [timed_create(client, title=f"Checkout returns 502 #{n}") for n in range(3)]
        listed = client.get(LIST_URL)

    assert [response.status_code for response, _ in results] == [201, 201, 201]
    assert all(seconds < FAST_ENOUGH_SECONDS for _, seconds in results), results
    assert listed.status_code == 200
    assert Incident.objects.count() == 3
    assert outages.CACHE.failures == 4  # counted: each request's rate-limit check
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1  # logged once, not once per request
    assert "cache unavailable (API rate limit: ConnectionError" in warnings[0].getMessage()


def test_cache_down_ingestion_still_stores_the_alert(key_client):
    ingest = key_client("ingest")
    with override_settings(
        CACHES=redis_cache("redis://127.0.0.1:1/0"), REST_FRAMEWORK=tight_rates()
    ):
        statuses = [
            ingest.post(
                "/api/v1/ingest/generic/",
                {"title": "Disk full", "severity": "P2", "fingerprint": f"disk-{n}"},
                format="json",
            ).status_code
            for n in range(2)
        ]
    assert statuses == [202, 202]
    assert outages.CACHE.failures == 2


# --- Redis hung: it accepts the connection and never answers ---------------------------------
def test_hung_cache_costs_a_request_at_most_its_socket_timeout(client):
    with (
        HungServer() as hung,
        override_settings(
            CACHES=redis_cache(f"redis://127.0.0.1:{hung.port}/0"), REST_FRAMEWORK=tight_rates()
        ),
    ):
        results = [timed_create(client, title=f"Checkout returns 502 #{n}") for n in range(2)]
        assert hung.accepted  # the cache really was asked, and never answered

    assert [response.status_code for response, _ in results] == [201, 201]
    assert all(seconds < FAST_ENOUGH_SECONDS for _, seconds in results), results
    assert outages.CACHE.failures == 2
    assert settings.REDIS_CACHE_OPTIONS["socket_timeout"] <= 0.5


def test_a_working_cache_still_rate_limits(client):
    # The degradation is for failures only: the same settings with a working cache refuse.
    with override_settings(REST_FRAMEWORK=tight_rates()):
        first, second = (client.get(LIST_URL) for _ in range(2))
    assert (first.status_code, second.status_code) == (200, 429)
    assert outages.CACHE.failures == 0


def test_the_warning_is_rate_limited_and_counts_what_it_skipped(caplog, monkeypatch):
    outage = outages.Outage("cache", consequence="requests go on")
    now = [1000.0]
    monkeypatch.setattr(outages.time, "monotonic", lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="incidents.kernel.outages"):
        for _ in range(5):
            outage.record("API rate limit", ConnectionError("refused"))
            now[0] += 1
        now[0] += outages.LOG_EVERY_SECONDS
        outage.record("API rate limit", ConnectionError("refused"))
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2
    assert "1 failure(s) since the last warning, 1 in this process" in messages[0]
    assert "5 failure(s) since the last warning, 6 in this process" in messages[1]
    assert outage.failures == 6


def test_only_cache_failures_degrade_not_bugs():
    def broken():
        raise KeyError("a bug")

    with pytest.raises(KeyError):
        outages.cache_or_default(broken, True, what="API rate limit")
    assert outages.CACHE.failures == 0


# --- PostgreSQL (any database) unreachable ---------------------------------------------------
@pytest.fixture
def database_down(monkeypatch):
    """From now on every new cursor fails the way an unreachable server makes Django fail."""

    def make(error_class=OperationalError):
        def refuse():
            raise error_class(
                'connection to server at "127.0.0.1", port 5432 failed: Connection refused'
            )

        monkeypatch.setattr(connections["default"], "ensure_connection", refuse)

    return make


@pytest.mark.parametrize("error_class", [OperationalError, InterfaceError])
def test_database_down_is_503_with_retry_after_in_the_api_shape(client, database_down, error_class):
    database_down(error_class)
    response = client.post(LIST_URL, NEW, format="json")

    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert response.json() == {
        "detail": "The database is unavailable at the moment; try again shortly.",
        "errors": {},
    }
    assert outages.DATABASE.failures == 1


def test_database_down_on_a_read_is_503_too(client, database_down):
    database_down()
    response = client.get(LIST_URL)
    assert response.status_code == 503
    assert "Retry-After" in response


def test_database_down_on_a_staff_page_is_a_plain_503(database_down):
    browser = Client(raise_request_exception=False)
    browser.force_login(UserFactory(username="ops", is_staff=True, is_superuser=True))
    database_down()

    response = browser.get("/admin/")

    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert "database cannot be reached" in response.content.decode()


def test_programming_errors_stay_500(make_key, monkeypatch):
    # Only connection-level errors become 503: a broken query is a bug and must show as one.
    _, raw = make_key("incidents:read")

    def broken():
        raise ProgrammingError('relation "incidents_incident" does not exist')

    monkeypatch.setattr(connections["default"], "ensure_connection", broken)
    api = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = api.get(LIST_URL)
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error.", "errors": {}}
    assert outages.DATABASE.failures == 0

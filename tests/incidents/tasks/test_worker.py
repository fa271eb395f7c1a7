"""A real Celery worker on Redis, against the PostgreSQL test database: a P0 incident opened
here is dispatched by the worker (kicked on commit), its chat page survives a 500 from the
webhook and is delivered exactly once by the relay; with the broker unreachable while the
incident opens, the write still returns quickly and the pages go out once it is back.

The test process plays web and beat: it opens incidents and sends `relay_deliveries` every
second as beat would. The worker runs with the test settings, a 1 s retry backoff and the
chat webhook pointing at a local HTTP server started by the test."""

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.utils import timezone

from incidents import services
from incidents.choices import Channel, DeliveryStatus
from incidents.escalation.services import escalations_dispatch
from incidents.models import Delivery, EscalationEvent, OnCallShift
from incidents.tasks import dispatch_escalations, relay_deliveries
from tests.incidents.builders import UserFactory
from tests.servers import (
    UNREACHABLE_BROKER,
    HTTPReceiver,
    broker_url_for_publishing,
)

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[3]
BASE_URL = "https://harbormaster.example.test"
DEADLINE_SECONDS = 30


def worker_database_url() -> str:
    """The pytest-django test database, as a URL for another process."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "postgres")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    """`celery -A config worker` in its own process group, logging to a file."""

    def __init__(self, env: dict[str, str], log_path: Path):
        self.name = f"hm-test-{uuid.uuid4().hex[:8]}@localhost"
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "celery", "-A", "config", "worker"]
        command += ["--pool=solo", "-l", "INFO", "-n", self.name]
        command += ["--without-heartbeat", "--without-gossip", "--without-mingle"]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 30) -> None:
        from config.celery import app

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"the worker exited ({self.process.returncode}):\n{self.log()}"
                )
            if app.control.ping(destination=[self.name], timeout=0.5):
                return
        raise AssertionError(f"the worker did not answer a ping in {timeout}s:\n{self.log()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def log(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


@pytest.fixture
def chat_hook():
    with HTTPReceiver([500, 200]) as hook:
        yield hook


@pytest.fixture
def worker(transactional_db, chat_hook, tmp_path):
    """A real worker on the test's Redis and test database. Depends on transactional_db,
    so it is stopped before the database is flushed."""
    from config.celery import app

    app.control.purge()  # tasks left on this Redis db by earlier runs
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": worker_database_url(),
        "CELERY_BROKER_URL": os.environ["CELERY_BROKER_URL"],
        "HARBORMASTER_DELIVERY_BACKOFF_SECONDS": "1",
        "HARBORMASTER_CHAT_WEBHOOK_URL": chat_hook.url + "/chat",
        "HARBORMASTER_BASE_URL": BASE_URL,
    }
    process = Worker(env, tmp_path / "worker.log")
    try:
        process.start()
        process.wait_ready()
        yield process
    finally:
        process.stop()


def on_call_engineer(now):
    user = UserFactory(username="oncall", email="oncall@harborlist.test")
    OnCallShift.objects.create(
        user=user, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1)
    )
    return user


def open_p0():
    now = timezone.now()
    return services.incident_create(
        title="Payments API down",
        severity="P0",
        type="service_outage",
        detection_source="cloudwatch_alarm",
        detected_at=now,
        now=now,
        user=None,
    )


def beat_until(done, *, worker, tasks=(relay_deliveries,)) -> float:
    """Send the given tasks every second, as beat would, until `done()`; bounded."""
    started = time.monotonic()
    while time.monotonic() - started < DEADLINE_SECONDS:
        if done():
            return time.monotonic() - started
        for task in tasks:
            task.delay()
        time.sleep(1)
    raise AssertionError(f"not done within {DEADLINE_SECONDS}s; worker log:\n{worker.log()}")


def chat_of(incident):
    return Delivery.objects.filter(incident=incident, channel=Channel.CHAT).first()


def test_p0_is_dispatched_by_the_worker_and_paged_once_after_a_500(
    migrated_data_kept, django_db_serialized_rollback, transactional_db, worker, chat_hook
):
    on_call_engineer(timezone.now())

    incident = open_p0()  # committed: on commit it kicks the dispatcher task

    def sent():
        chat = chat_of(incident)
        return chat is not None and chat.status == DeliveryStatus.SENT

    beat_until(sent, worker=worker)
    # Beat keeps running: nothing is sent twice.
    for _ in range(2):
        relay_deliveries.delay()
    time.sleep(2)

    assert chat_hook.statuses == [500, 200], worker.log()
    chat = chat_of(incident)
    assert (chat.status, chat.attempts, chat.last_error) == (DeliveryStatus.SENT, 2, "")
    assert chat_hook.requests[1].json() == {"text": chat.body}
    assert chat.body.startswith("INCIDENT ALERT - P0")
    assert incident.reference in chat.body
    assert f"{BASE_URL}/admin/incidents/incident/{incident.pk}/change/" in chat.body
    events = EscalationEvent.objects.filter(incident=incident)
    assert list(events.values_list("level", "targets")) == [(1, ["oncall"])]
    email = Delivery.objects.get(incident=incident, channel=Channel.EMAIL)
    assert (email.target, email.status, email.attempts) == (
        "oncall@harborlist.test",
        DeliveryStatus.SENT,
        1,
    )


def test_broker_down_while_opening_does_not_block_and_pages_go_out_once_it_is_back(
    migrated_data_kept,
    django_db_serialized_rollback,
    transactional_db,
    worker,
    chat_hook,
    settings,
):
    chat_hook.script(200)
    # This process dispatches during the outage, so it writes the chat page itself.
    settings.HARBORMASTER_CHAT_WEBHOOK_URL = chat_hook.url + "/chat"
    settings.HARBORMASTER_BASE_URL = BASE_URL
    on_call_engineer(timezone.now())

    with broker_url_for_publishing(UNREACHABLE_BROKER):
        started = time.monotonic()
        incident = open_p0()  # the kick on commit cannot reach the broker
        opened_in = time.monotonic() - started
        fired = escalations_dispatch().levels_fired  # nor can the pages' publishes
        elapsed = time.monotonic() - started

    assert opened_in < 5, f"opening held for {opened_in:.1f}s by the broker outage"
    assert elapsed < 5, f"open + dispatch held for {elapsed:.1f}s by the broker outage"
    assert fired == 1
    deliveries = Delivery.objects.filter(incident=incident).order_by("channel")
    assert list(deliveries.values_list("channel", "status", "attempts")) == [
        (Channel.CHAT, DeliveryStatus.PENDING, 0),
        (Channel.EMAIL, DeliveryStatus.PENDING, 0),
    ]
    assert chat_hook.requests == []

    # The broker is back: beat's next sweeps hand the pending pages to the worker.
    beat_until(
        lambda: not deliveries.exclude(status=DeliveryStatus.SENT).exists(),
        worker=worker,
        tasks=(dispatch_escalations, relay_deliveries),
    )
    time.sleep(1)

    assert chat_hook.statuses == [200], worker.log()
    assert incident.reference in chat_hook.requests[0].json()["text"]
    assert list(deliveries.values_list("status", "attempts")) == [
        (DeliveryStatus.SENT, 1),
        (DeliveryStatus.SENT, 1),
    ]
    assert EscalationEvent.objects.filter(incident=incident).count() == 1

"""The outbox against real receivers started by the test: a local HTTP server for the chat
and signed webhooks (scripted 500s, a hang, a receiver that checks the signature), a
local SMTP server for email, and an unreachable broker. Time is passed in (`now=`)."""

import logging
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.choices import Channel, DeliveryStatus
from incidents.escalation.services import escalations_dispatch
from incidents.models import Delivery, OnCallShift
from incidents.outbox import rules
from incidents.outbox.services import deliveries_relay, delivery_attempt
from tests.incidents.builders import UserFactory
from tests.servers import (
    UNREACHABLE_BROKER,
    HTTPReceiver,
    Reply,
    SMTPReceiver,
    broker_url_for_publishing,
)

pytestmark = pytest.mark.django_db

SECRET = "whsec-shared-between-harbormaster-and-receiver"


@pytest.fixture
def hook():
    with HTTPReceiver([200]) as server:
        yield server


@pytest.fixture
def oncall(now):
    user = UserFactory(username="oncall", email="oncall@harborlist.test")
    OnCallShift.objects.create(
        user=user, starts_at=now - timedelta(hours=12), ends_at=now + timedelta(hours=12)
    )
    return user


@pytest.fixture
def root(client):
    client.force_login(UserFactory(username="root", is_superuser=True))
    return client


def open_p0(now, **kwargs):
    return services.incident_create(
        title="Checkout returns 502",
        severity="P0",
        type="service_outage",
        detection_source="cloudwatch_alarm",
        detected_at=now,
        now=now,
        user=None,
        **kwargs,
    )


def page(now, channel, **kwargs):
    """Open a P0 incident, let the dispatcher fire level 1, return the one delivery."""
    incident = open_p0(now, **kwargs)
    assert escalations_dispatch(now=now).levels_fired == 1
    return incident, Delivery.objects.get(incident=incident, channel=channel)


# --- Chat (Slack-compatible incoming webhook) ---------------------------------------------


def test_chat_webhook_answering_500_then_200_gets_the_page_once_after_a_retry(settings, now, hook):
    hook.script(500, 200)
    settings.HARBORMASTER_CHAT_WEBHOOK_URL = hook.url + "/services/T0/B0/xyz"
    settings.HARBORMASTER_DELIVERY_BACKOFF_SECONDS = 30
    incident, chat = page(now, Channel.CHAT)

    first = delivery_attempt(delivery_id=chat.pk, now=now)

    assert first.outcome == "retry"
    chat.refresh_from_db()
    assert chat.status == DeliveryStatus.PENDING
    assert chat.attempts == 1
    assert chat.last_error == f"HTTP 500 from {hook.url}/services/T0/B0/xyz"
    assert chat.next_attempt_at == now + timedelta(seconds=30)
    # Before the backoff is over the relay leaves it alone.
    assert deliveries_relay(now=now + timedelta(seconds=29)) == {}
    assert hook.statuses == [500]

    assert deliveries_relay(now=now + timedelta(seconds=30)) == {"sent": 1}

    chat.refresh_from_db()
    assert (chat.status, chat.attempts, chat.last_error) == (DeliveryStatus.SENT, 2, "")
    assert chat.sent_at is not None and chat.next_attempt_at is None
    assert hook.statuses == [500, 200]
    delivered = hook.requests[-1]
    assert (delivered.method, delivered.path) == ("POST", "/services/T0/B0/xyz")
    assert delivered.headers.get("Content-Type") == "application/json"
    assert delivered.json() == {"text": chat.body}
    assert f"INCIDENT ALERT - P0\nIncident ID: {incident.reference}" in chat.body
    # Delivered exactly once: later sweeps and a redelivered task send nothing more.
    assert deliveries_relay(now=now + timedelta(hours=1)) == {}
    assert delivery_attempt(delivery_id=chat.pk, now=now + timedelta(hours=1)).outcome == (
        "skipped"
    )
    assert len(hook.requests) == 2


def test_a_drill_says_so_in_the_chat_message(settings, now, hook):
    settings.HARBORMASTER_CHAT_WEBHOOK_URL = hook.url + "/chat"
    page(now, Channel.CHAT, is_drill=True)

    assert deliveries_relay(now=now) == {"sent": 1}
    assert hook.requests[0].json()["text"].startswith("[DRILL] INCIDENT ALERT - P0\n")


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        pytest.param(Reply(500), "HTTP 500 from", id="always-500"),
        pytest.param(Reply(200, delay=3.0), "timed out", id="slower-than-the-timeout"),
    ],
)
def test_failing_webhook_is_failed_after_max_attempts_shown_in_admin_and_resent(
    settings, now, hook, root, reply, error
):
    hook.script(reply)
    settings.HARBORMASTER_CHAT_WEBHOOK_URL = hook.url + "/chat"
    settings.HARBORMASTER_HTTP_TIMEOUT_SECONDS = 0.3
    settings.HARBORMASTER_DELIVERY_MAX_ATTEMPTS = 3
    settings.HARBORMASTER_DELIVERY_BACKOFF_SECONDS = 10
    _incident, chat = page(now, Channel.CHAT)

    outcomes = []
    for minute in range(3):
        started = time.monotonic()
        outcomes.append(deliveries_relay(now=now + timedelta(minutes=minute)))
        assert time.monotonic() - started < 2  # the HTTP timeout bounds a hanging receiver

    assert outcomes == [{"retry": 1}, {"retry": 1}, {"failed": 1}]
    chat.refresh_from_db()
    assert (chat.status, chat.attempts, chat.next_attempt_at) == (DeliveryStatus.FAILED, 3, None)
    assert error in chat.last_error and hook.url in chat.last_error
    assert len(hook.requests) == 3
    assert deliveries_relay(now=now + timedelta(days=1)) == {}  # failed stays failed
    assert len(hook.requests) == 3

    # Visible to a person: the failed filter of the Delivery list shows it with its error.
    response = root.get("/admin/incidents/delivery/", {"status__exact": "failed"})
    assert response.status_code == 200
    listing = response.content.decode()
    assert error in listing and chat.subject in listing
    assert "1 delivery(ies) failed for good" in listing
    assert (
        root.get("/admin/incidents/delivery/", {"status__exact": "sent"})
        .content.decode()
        .count(chat.subject)
        == 0
    )

    # Re-send from the admin: pending again with fresh attempts; the relay sends it once
    # the receiver is healthy.
    response = root.post(
        "/admin/incidents/delivery/",
        {"action": "resend", "_selected_action": [chat.pk], "index": 0, "select_across": 0},
        follow=True,
    )
    assert "Queued 1 delivery(ies) again." in response.content.decode()
    chat.refresh_from_db()
    assert (chat.status, chat.attempts) == (DeliveryStatus.PENDING, 0)
    assert chat.history.filter(history_change_reason="Re-sent by hand").get().history_user

    hook.script(200)
    assert deliveries_relay(now=timezone.now() + timedelta(seconds=1)) == {"sent": 1}
    chat.refresh_from_db()
    assert (chat.status, chat.attempts, chat.last_error) == (DeliveryStatus.SENT, 1, "")
    assert hook.statuses[3:] == [200]


# --- Signed webhook ---------------------------------------------------------------------------


def signature_checking_receiver(secret: str, *, tolerance_seconds: int = 300):
    """What an integrator writes: verify the HMAC over "<timestamp>.<raw body>" with the
    shared secret, refuse stale timestamps, answer 401 when it does not match."""

    def handle(request):
        timestamp = request.headers.get(rules.TIMESTAMP_HEADER, "")
        signature = request.headers.get(rules.SIGNATURE_HEADER, "")
        fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) <= tolerance_seconds
        if fresh and rules.verify(secret, timestamp, request.body, signature):
            request.note = "verified"
            return Reply(204, body=b"")
        request.note = "rejected"
        return Reply(401, body=b"bad signature")

    return handle


def test_signed_webhook_is_verified_by_the_receiver_and_a_wrong_secret_is_refused(settings, now):
    with HTTPReceiver(handler=signature_checking_receiver(SECRET)) as receiver:
        settings.HARBORMASTER_WEBHOOK_URL = receiver.url + "/hooks/harbormaster"
        settings.HARBORMASTER_WEBHOOK_SECRET = "not-the-shared-secret"
        settings.HARBORMASTER_DELIVERY_BACKOFF_SECONDS = 30
        incident, webhook = page(now, Channel.WEBHOOK)

        # Signed with the wrong secret: the receiver refuses it, Harbormaster retries.
        assert deliveries_relay(now=now) == {"retry": 1}
        assert [(r.status, r.note) for r in receiver.requests] == [(401, "rejected")]
        webhook.refresh_from_db()
        assert webhook.last_error.startswith("HTTP 401 from")

        settings.HARBORMASTER_WEBHOOK_SECRET = SECRET
        assert deliveries_relay(now=now + timedelta(seconds=30)) == {"sent": 1}

    assert [(r.status, r.note) for r in receiver.requests] == [
        (401, "rejected"),
        (204, "verified"),
    ]
    delivered = receiver.requests[-1]
    assert delivered.path == "/hooks/harbormaster"
    assert delivered.headers.get(rules.SIGNATURE_HEADER).startswith("sha256=")
    assert delivered.headers.get("Idempotency-Key") == webhook.idempotency_key
    body = delivered.json()
    assert body["idempotency_key"] == webhook.idempotency_key
    assert body["event"] == "incident.escalated" and body["level"] == 1
    assert body["incident"]["reference"] == incident.reference
    assert body["incident"]["severity"] == "P0" and body["incident"]["is_drill"] is False
    assert body["incident"]["url"].endswith(f"/admin/incidents/incident/{incident.pk}/change/")
    # The signature covers the body: one changed byte and it no longer verifies.
    timestamp = delivered.headers.get(rules.TIMESTAMP_HEADER)
    signature = delivered.headers.get(rules.SIGNATURE_HEADER)
    assert rules.verify(SECRET, timestamp, delivered.body, signature)
    assert not rules.verify(SECRET, timestamp, delivered.body.replace(b"P0", b"P3"), signature)
    assert not rules.verify(SECRET, str(int(timestamp) + 1), delivered.body, signature)
    webhook.refresh_from_db()
    assert (webhook.status, webhook.attempts) == (DeliveryStatus.SENT, 2)


def test_webhook_without_a_secret_is_not_sent_unsigned(settings, now, hook):
    settings.HARBORMASTER_WEBHOOK_URL = hook.url + "/hooks/harbormaster"
    settings.HARBORMASTER_WEBHOOK_SECRET = ""
    settings.HARBORMASTER_DELIVERY_MAX_ATTEMPTS = 1
    _incident, webhook = page(now, Channel.WEBHOOK)

    assert deliveries_relay(now=now) == {"failed": 1}
    webhook.refresh_from_db()
    assert "HARBORMASTER_WEBHOOK_SECRET is not set" in webhook.last_error
    assert hook.requests == []


# --- Email through a real SMTP server --------------------------------------------------------


def test_page_reaches_a_real_smtp_server_with_reference_and_severity(settings, now, oncall):
    with SMTPReceiver() as smtp:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = smtp.host, smtp.port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        incident, email = page(now, Channel.EMAIL)
        assert email.recipient == oncall

        assert deliveries_relay(now=now) == {"sent": 1}
        assert smtp.wait_for(1)

    (mail,) = smtp.mails
    assert mail.rcpt_tos == ["oncall@harborlist.test"]
    assert mail.mail_from == settings.DEFAULT_FROM_EMAIL
    assert incident.reference in mail.subject and "[P0]" in mail.subject
    assert "escalation level 1" in mail.subject
    assert "INCIDENT ALERT - P0" in mail.text
    assert f"Incident ID: {incident.reference}" in mail.text
    assert "Severity: P0 — Critical" in mail.text
    assert f"/admin/incidents/incident/{incident.pk}/change/" in mail.text
    assert mail.message["X-Harbormaster-Delivery"] == email.idempotency_key
    email.refresh_from_db()
    assert (email.status, email.attempts) == (DeliveryStatus.SENT, 1)


def test_smtp_server_down_is_retried_not_lost(settings, now, oncall):
    smtp = SMTPReceiver()  # its port is free, nothing listens yet
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = smtp.host, smtp.port
    settings.HARBORMASTER_DELIVERY_BACKOFF_SECONDS = 30
    _incident, email = page(now, Channel.EMAIL)

    assert deliveries_relay(now=now) == {"retry": 1}
    email.refresh_from_db()
    assert email.status == DeliveryStatus.PENDING and "refused" in email.last_error.lower()

    with smtp:
        assert deliveries_relay(now=now + timedelta(seconds=30)) == {"sent": 1}
        assert smtp.wait_for(1)
    assert [mail.rcpt_tos for mail in smtp.mails] == [["oncall@harborlist.test"]]


# --- Broker unreachable ----------------------------------------------------------------------


@pytest.mark.slow
def test_unreachable_broker_does_not_block_the_write_and_the_relay_sends_the_pages(
    settings, now, oncall, hook, django_capture_on_commit_callbacks, caplog
):
    settings.HARBORMASTER_CHAT_WEBHOOK_URL = hook.url + "/chat"
    caplog.set_level(logging.INFO, logger="incidents.outbox.services")
    with broker_url_for_publishing(UNREACHABLE_BROKER):
        started = time.monotonic()
        # on_commit callbacks really run: the kick of the dispatcher, then two publishes.
        with django_capture_on_commit_callbacks(execute=True) as kicks:
            incident = open_p0(now)
        with django_capture_on_commit_callbacks(execute=True) as publishes:
            assert escalations_dispatch(now=now).levels_fired == 1
        elapsed = time.monotonic() - started

    assert elapsed < 5, f"a broker outage held the write for {elapsed:.1f}s"
    assert (len(kicks), len(publishes)) == (1, 2)
    assert "broker unavailable" in caplog.text  # the broker was really tried
    deliveries = Delivery.objects.filter(incident=incident)
    assert sorted(deliveries.values_list("channel", "status", "attempts")) == [
        (Channel.CHAT, DeliveryStatus.PENDING, 0),
        (Channel.EMAIL, DeliveryStatus.PENDING, 0),
    ]
    assert hook.requests == []

    # Beat's relay picks them up.
    assert deliveries_relay(now=now) == {"sent": 2}
    assert hook.statuses == [200]
    assert hook.requests[0].json()["text"].startswith("INCIDENT ALERT - P0")

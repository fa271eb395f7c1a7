"""How each channel sends one delivery. Raise DeliveryError (or anything) on failure."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from ..choices import Channel
from . import rules


class DeliveryError(Exception):
    pass


def _post_json(url: str, body: bytes, headers: dict[str, str]) -> None:
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "Harbormaster", **headers},
    )
    timeout = settings.HARBORMASTER_HTTP_TIMEOUT_SECONDS
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        raise DeliveryError(f"HTTP {error.code} from {url}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise DeliveryError(f"Could not reach {url}: {reason}") from None
    if not 200 <= status < 300:
        raise DeliveryError(f"HTTP {status} from {url}")


def send_email(delivery) -> None:
    connection = get_connection(timeout=settings.EMAIL_TIMEOUT)
    message = EmailMessage(
        subject=delivery.subject,
        body=delivery.body,
        to=[delivery.target],
        connection=connection,
        headers={"X-Harbormaster-Delivery": delivery.idempotency_key},
    )
    if message.send() != 1:
        raise DeliveryError("The mail server accepted no message.")


def send_chat(delivery) -> None:
    """Slack-compatible incoming webhook: {"text": ...}."""
    payload = {"text": delivery.body, **(delivery.payload or {})}
    _post_json(delivery.target, json.dumps(payload).encode(), {})


def send_webhook(delivery) -> None:
    secret = settings.HARBORMASTER_WEBHOOK_SECRET
    if not secret:  # an HMAC with an empty key proves nothing to the receiver
        raise DeliveryError("HARBORMASTER_WEBHOOK_SECRET is not set: the webhook is not sent.")
    body = json.dumps(
        {"idempotency_key": delivery.idempotency_key, **(delivery.payload or {})},
        sort_keys=True,
    ).encode()
    timestamp = str(int(time.time()))
    signature = rules.sign(secret, timestamp, body)
    _post_json(
        delivery.target,
        body,
        {
            rules.TIMESTAMP_HEADER: timestamp,
            rules.SIGNATURE_HEADER: signature,
            "Idempotency-Key": delivery.idempotency_key,
        },
    )


SENDERS: dict[str, Callable[..., None]] = {
    Channel.EMAIL: send_email,
    Channel.CHAT: send_chat,
    Channel.WEBHOOK: send_webhook,
}

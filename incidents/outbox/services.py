"""Write deliveries in the caller's transaction; send them after commit, retry from beat.

A delivery is claimed with a short lease so two workers never send it at once; the send
itself happens outside any transaction (a slow mail server must not hold row locks)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..choices import Channel, DeliveryStatus
from ..kernel.broker import publish_task
from ..kernel.due_rows import claim_row
from ..kernel.errors import DomainError
from ..kernel.history import history_save
from ..models import ContactPoint, Delivery
from . import rules
from .channels import SENDERS

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)


def publish(delivery_id: int) -> None:
    """Hand a delivery to a worker. Never raises: if the broker is down the row stays
    pending and the beat relay sends it later."""
    publish_task("incidents.deliver", args=[delivery_id], what=f"Delivery {delivery_id}")


def delivery_enqueue(
    *,
    key: str,
    channel: str,
    target: str,
    subject: str,
    body: str,
    now: datetime,
    payload: dict | None = None,
    incident=None,
    recipient=None,
) -> tuple[Delivery, bool]:
    """Create the delivery (once per key) in the current transaction; publish on commit."""
    existing = Delivery.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing, False
    delivery = Delivery(
        idempotency_key=key,
        channel=channel,
        target=target,
        subject=subject[:300],
        body=body,
        payload=payload or {},
        incident=incident,
        recipient=recipient,
        created_at=now,
        next_attempt_at=now,
        max_attempts=settings.HARBORMASTER_DELIVERY_MAX_ATTEMPTS,
    )
    history_save(delivery, user=None, reason="Queued")
    transaction.on_commit(lambda: publish(delivery.pk))
    return delivery, True


def notify_people(
    *,
    people,
    key: str,
    subject: str,
    body: str,
    now: datetime,
    incident=None,
    payload: dict | None = None,
    body_for: Callable[[Any], str] | None = None,
) -> int:
    """One email per person, to their contact point's address if they gave one (else the
    account's), skipping people who refuse email. Keys are `<key>:email:<user id>`, so a
    repeated call sends nothing twice. `body_for(person)`, when given, is that person's
    text (e.g. with their own acknowledge link). Returns how many deliveries are new."""
    contacts = {c.user_id: c for c in ContactPoint.objects.filter(user__in=[p.pk for p in people])}
    created = 0
    for person in people:
        contact = contacts.get(person.pk)
        if contact is not None and not contact.accepts_email:
            continue
        email = (contact.email if contact and contact.email else person.email) or ""
        if not email:
            continue
        _, new = delivery_enqueue(
            key=f"{key}:email:{person.pk}",
            channel=Channel.EMAIL,
            target=email,
            subject=subject,
            body=body_for(person) if body_for else body,
            payload=payload,
            incident=incident,
            recipient=person,
            now=now,
        )
        created += new
    return created


def notification_send(
    *,
    key: str,
    subject: str,
    body: str,
    now: datetime,
    people=(),
    incident=None,
    payload: dict | None = None,
    chat: bool = False,
    mention_people: bool = False,
    webhook: bool = False,
    body_for: Callable[[Any], str] | None = None,
    chat_extra: str = "",
) -> int:
    """The one notification fan-out: an email to each of `people` (see notify_people),
    then, when asked and configured, one message to the team chat channel (mentioning the
    people who gave a chat handle when `mention_people`) and one to the outgoing webhook
    (with `payload`). Keys are `<key>:email:<user id>`, `<key>:chat`, `<key>:webhook`, so a
    repeated call sends nothing twice. `body_for(person)` is a person's own email text,
    `chat_extra` is added to the chat message after the mentions. Returns how many are new."""
    people = list(people)
    created = 0
    if people:
        created += notify_people(
            people=people,
            key=key,
            subject=subject,
            body=body,
            payload=payload,
            incident=incident,
            now=now,
            body_for=body_for,
        )
    if chat and settings.HARBORMASTER_CHAT_WEBHOOK_URL:
        mention = ""
        if mention_people and people:
            handles = {
                c.user_id: c.chat_handle
                for c in ContactPoint.objects.filter(
                    user__in=[p.pk for p in people], accepts_chat=True
                )
                if c.chat_handle
            }
            tags = [f"<@{handles[p.pk]}>" for p in people if p.pk in handles]
            mention = (" " + " ".join(tags)) if tags else ""
        _, new = delivery_enqueue(
            key=f"{key}:chat",
            channel=Channel.CHAT,
            target=settings.HARBORMASTER_CHAT_WEBHOOK_URL,
            subject=subject,
            body=f"{body}{mention}{chat_extra}",
            incident=incident,
            now=now,
        )
        created += new
    if webhook and settings.HARBORMASTER_WEBHOOK_URL:
        _, new = delivery_enqueue(
            key=f"{key}:webhook",
            channel=Channel.WEBHOOK,
            target=settings.HARBORMASTER_WEBHOOK_URL,
            subject=subject,
            body=body,
            payload=payload,
            incident=incident,
            now=now,
        )
        created += new
    return created


def _claim(delivery_id: int, now: datetime) -> Delivery | None:
    with transaction.atomic():
        query = Delivery.objects.filter(pk=delivery_id).filter(
            Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            | Q(status=DeliveryStatus.SENDING, lease_until__lt=now)
        )
        delivery = claim_row(query)
        if delivery is None:
            return None
        delivery.status = DeliveryStatus.SENDING
        delivery.attempts += 1
        delivery.lease_until = now + LEASE
        history_save(delivery, user=None, reason=f"Attempt {delivery.attempts}")
        return delivery


@dataclass(frozen=True)
class AttemptResult:
    delivery_id: int
    outcome: str  # sent | retry | failed | skipped
    error: str = ""


def delivery_attempt(*, delivery_id: int, now: datetime | None = None) -> AttemptResult:
    """Try to send one delivery. Idempotent: a sent or leased delivery is skipped."""
    now = now or timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return AttemptResult(delivery_id, "skipped")
    try:
        SENDERS[delivery.channel](delivery)
    except Exception as error:
        message = str(error) or error.__class__.__name__
        return _record_failure(delivery, message, now)
    with transaction.atomic():
        delivery.status = DeliveryStatus.SENT
        delivery.sent_at = timezone.now()
        delivery.next_attempt_at = None
        delivery.lease_until = None
        delivery.last_error = ""
        history_save(delivery, user=None, reason="Sent")
    return AttemptResult(delivery_id, "sent")


def _record_failure(delivery: Delivery, message: str, now: datetime) -> AttemptResult:
    retry_at = rules.after_failure(
        attempts=delivery.attempts,
        max_attempts=delivery.max_attempts,
        now=now,
        base_seconds=settings.HARBORMASTER_DELIVERY_BACKOFF_SECONDS,
        cap_seconds=settings.HARBORMASTER_DELIVERY_BACKOFF_CAP_SECONDS,
    )
    with transaction.atomic():
        delivery.last_error = message[:2000]
        delivery.lease_until = None
        if retry_at is None:
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
            reason = f"Failed after {delivery.attempts} attempts: {message}"
            logger.error("Delivery %s failed for good: %s", delivery.pk, message)
        else:
            delivery.status = DeliveryStatus.PENDING
            delivery.next_attempt_at = retry_at
            reason = f"Attempt {delivery.attempts} failed: {message}"
            logger.warning("Delivery %s will retry at %s: %s", delivery.pk, retry_at, message)
        history_save(delivery, user=None, reason=reason)
    return AttemptResult(delivery.pk, "failed" if retry_at is None else "retry", message)


def deliveries_due(now: datetime, limit: int) -> list[int]:
    return list(
        Delivery.objects.filter(
            Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            | Q(status=DeliveryStatus.SENDING, lease_until__lt=now)
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def deliveries_relay(*, now: datetime | None = None, limit: int = 200) -> dict[str, int]:
    """Beat's sweep: send whatever is due and was not sent by the fast path."""
    now = now or timezone.now()
    counts: dict[str, int] = {}
    for delivery_id in deliveries_due(now, limit):
        result = delivery_attempt(delivery_id=delivery_id, now=now)
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
    return counts


@transaction.atomic
def delivery_resend(*, delivery: Delivery | int, user, now: datetime | None = None) -> Delivery:
    """A person sends a failed delivery again (fresh attempts)."""
    now = now or timezone.now()
    pk = delivery.pk if isinstance(delivery, Delivery) else delivery
    delivery = Delivery.objects.select_for_update().get(pk=pk)
    if delivery.status != DeliveryStatus.FAILED:
        raise DomainError(f"Only failed deliveries can be re-sent (this one is {delivery.status}).")
    delivery.status = DeliveryStatus.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = now
    history_save(delivery, user=user, reason="Re-sent by hand")
    transaction.on_commit(lambda: publish(delivery.pk))
    return delivery

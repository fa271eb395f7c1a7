"""Write deliveries in the caller's transaction; send them after commit, retry from beat.

A delivery is claimed with a short lease so two workers never send it at once; the send
itself happens outside any transaction (a slow mail server must not hold row locks)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from ..choices import Channel, DeliveryStatus
from ..models import Delivery
from . import rules
from .channels import SENDERS

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)


def _save(delivery: Delivery, *, user=None, reason: str) -> None:
    delivery._history_user = user
    delivery._change_reason = reason
    delivery.save()


# After a publish failed because the broker could not be reached, this process skips the
# broker for a while: the rows stay pending and the beat relay sends them. Without it a
# transaction that writes N deliveries would wait N times for the broker's connect timeout
# (CELERY_BROKER_CONNECTION_TIMEOUT) while Redis is down.
BROKER_RETRY_AFTER_SECONDS = 30.0
_broker_down_until = 0.0


def broker_send(task, *, args=(), what: str) -> bool:
    """Publish `task` without retrying. Never raises; False when it was not published."""
    global _broker_down_until
    if time.monotonic() < _broker_down_until:
        logger.info("%s left for beat: broker unavailable a moment ago", what)
        return False
    try:
        task.apply_async(args=list(args), retry=False)
    except (KombuOperationalError, OSError) as error:  # broker unreachable or timing out
        _broker_down_until = time.monotonic() + BROKER_RETRY_AFTER_SECONDS
        logger.warning("%s left for beat: broker unavailable (%s)", what, error)
        return False
    except Exception as error:
        logger.warning("%s left for beat: publishing failed (%s)", what, error)
        return False
    return True


def broker_reset() -> None:
    """Forget an earlier broker failure (the next publish tries the broker again)."""
    global _broker_down_until
    _broker_down_until = 0.0


def publish(delivery_id: int) -> None:
    """Hand a delivery to a worker. Never raises: if the broker is down the row stays
    pending and the beat relay sends it later."""
    from ..tasks import deliver

    broker_send(deliver, args=[delivery_id], what=f"Delivery {delivery_id}")


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
    _save(delivery, reason="Queued")
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
) -> int:
    """One email per person, to their contact point's address if they gave one (else the
    account's), skipping people who refuse email. Keys are `<key>:email:<user id>`, so a
    repeated call sends nothing twice. Returns how many deliveries are new."""
    from ..models import ContactPoint

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
            body=body,
            payload=payload,
            incident=incident,
            recipient=person,
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
        if connection.features.has_select_for_update_skip_locked:
            query = query.select_for_update(skip_locked=True)
        delivery = query.first()
        if delivery is None:
            return None
        delivery.status = DeliveryStatus.SENDING
        delivery.attempts += 1
        delivery.lease_until = now + LEASE
        _save(delivery, reason=f"Attempt {delivery.attempts}")
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
        _save(delivery, reason="Sent")
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
        _save(delivery, reason=reason[:500])
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
        from ..domain import DomainError

        raise DomainError(f"Only failed deliveries can be re-sent (this one is {delivery.status}).")
    delivery.status = DeliveryStatus.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = now
    _save(delivery, user=user, reason="Re-sent by hand")
    transaction.on_commit(lambda: publish(delivery.pk))
    return delivery

"""Outbox tasks (thin): send one delivery; beat's relay of what the fast path missed."""

from celery import shared_task

from ..outbox.services import deliveries_relay, delivery_attempt


@shared_task(name="incidents.deliver")
def deliver(delivery_id: int) -> str:
    return delivery_attempt(delivery_id=delivery_id).outcome


@shared_task(name="incidents.relay_deliveries")
def relay_deliveries() -> dict:
    return deliveries_relay()

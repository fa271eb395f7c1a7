"""Celery tasks: thin. Ids in, a service call, a summary out. Every task is idempotent
(safe under acks_late redelivery) because the services check state under a lock."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="incidents.dispatch_escalations")
def dispatch_escalations() -> dict:
    from .escalation.services import escalations_dispatch

    result = escalations_dispatch()
    if result.levels_fired or result.sla_breaches:
        logger.info(
            "Escalations: %s level(s) fired on %s incident(s), %s SLA breach(es)",
            result.levels_fired,
            result.incidents,
            result.sla_breaches,
        )
    return {"levels_fired": result.levels_fired, "sla_breaches": result.sla_breaches}


@shared_task(name="incidents.escalation_watchdog")
def escalation_watchdog() -> int:
    from .escalation.services import escalations_overdue

    late = list(escalations_overdue().values_list("reference", "next_escalation_at")[:50])
    if late:
        logger.error(
            "Escalation watchdog: %d incident(s) past due and not dispatched: %s",
            len(late),
            ", ".join(f"{ref} (due {due:%Y-%m-%d %H:%M} UTC)" for ref, due in late),
        )
    return len(late)


@shared_task(name="incidents.deliver")
def deliver(delivery_id: int) -> str:
    from .outbox.services import delivery_attempt

    return delivery_attempt(delivery_id=delivery_id).outcome


@shared_task(name="incidents.relay_deliveries")
def relay_deliveries() -> dict:
    from .outbox.services import deliveries_relay

    return deliveries_relay()

"""Beat tasks (thin) of the escalation clock: dispatch due levels, watch for stalls."""

import logging

from celery import shared_task

from ..escalation.services import escalations_dispatch, escalations_overdue

logger = logging.getLogger(__name__)


@shared_task(name="incidents.dispatch_escalations")
def dispatch_escalations() -> dict:
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
    late = list(escalations_overdue().values_list("reference", "next_escalation_at")[:50])
    if late:
        logger.error(
            "Escalation watchdog: %d incident(s) past due and not dispatched: %s",
            len(late),
            ", ".join(f"{ref} (due {due:%Y-%m-%d %H:%M} UTC)" for ref, due in late),
        )
    return len(late)

"""Celery tasks of the incidents app, one module per domain. Tasks are thin: ids in, a
service call, a summary out; every task is idempotent (safe under acks_late redelivery)
because the services check state under a lock.

Celery's autodiscovery imports `incidents.tasks`; importing the modules here registers
every task under its name. Services never import these modules: they publish by task
name through incidents.kernel.broker."""

from .communications import remind_status_updates
from .escalation import dispatch_escalations, escalation_watchdog
from .outbox import deliver, relay_deliveries

__all__ = [
    "deliver",
    "dispatch_escalations",
    "escalation_watchdog",
    "relay_deliveries",
    "remind_status_updates",
]

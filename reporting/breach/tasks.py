"""Beat task of the breach records: thin, idempotent."""

from celery import shared_task

from .reminders import obligation_reminders_dispatch


@shared_task(name="reporting.dispatch_obligation_reminders")
def dispatch_obligation_reminders() -> dict:
    return obligation_reminders_dispatch()

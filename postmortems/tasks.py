"""Beat task (thin): post-incident reminders."""

from celery import shared_task

from .services import reminders_sweep


@shared_task(name="postmortems.send_reminders")
def send_reminders() -> dict:
    return reminders_sweep()

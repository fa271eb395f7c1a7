"""Beat task (thin): post-incident reminders."""

from celery import shared_task


@shared_task(name="postmortems.send_reminders")
def send_reminders() -> dict:
    from .services import reminders_sweep

    return reminders_sweep()

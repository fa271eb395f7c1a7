"""Beat task (thin): the status-update cadence sweep."""

from celery import shared_task


@shared_task(name="incidents.communications.remind_status_updates")
def remind_status_updates() -> dict:
    from .services import status_updates_sweep

    return status_updates_sweep()

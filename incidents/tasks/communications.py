"""Beat task (thin): the status-update cadence sweep."""

from celery import shared_task

from ..communications.services import status_updates_sweep


@shared_task(name="incidents.communications.remind_status_updates")
def remind_status_updates() -> dict:
    return status_updates_sweep()

"""Beat tasks (thin): the quarterly openers and the reminder sweep. Their schedules are
django-celery-beat rows (migration reporting 0005), editable in the admin."""

from celery import shared_task
from django.utils import timezone

from .domain import quarter_of
from .reminders import send_preparedness_reminders
from .services import (
    contact_verification_open_for_quarter,
    drill_schedule_for_quarter,
    procedure_review_open_for_quarter,
)


@shared_task(name="reporting.preparedness.open_quarterly_reviews")
def open_quarterly_reviews() -> str:
    now = timezone.now()
    review, created = procedure_review_open_for_quarter(quarter=quarter_of(now), now=now)
    return f"{review.quarter}: {'opened' if created else 'already open'}"


@shared_task(name="reporting.preparedness.schedule_quarterly_drills")
def schedule_quarterly_drills() -> str:
    now = timezone.now()
    drill, created = drill_schedule_for_quarter(quarter=quarter_of(now), now=now)
    return f"{drill.quarter}: {'scheduled' if created else 'already scheduled'}"


@shared_task(name="reporting.preparedness.open_contact_verifications")
def open_contact_verifications() -> int:
    now = timezone.now()
    return len(contact_verification_open_for_quarter(quarter=quarter_of(now), now=now))


@shared_task(name="reporting.preparedness.send_reminders")
def send_reminders() -> dict:
    return send_preparedness_reminders(now=timezone.now())

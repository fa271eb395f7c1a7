"""The Celery app and the whole beat schedule, in one place.

Every clock is a database row (`due_at`-style column) swept by one of these beat tasks;
nothing is scheduled as a long countdown or ETA. Run exactly ONE beat process."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("harbormaster")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

EVERY_MINUTE = 60.0

app.conf.beat_schedule = {
    # Fire escalation levels that are due and mark response-SLA breaches.
    "dispatch-escalations": {"task": "incidents.dispatch_escalations", "schedule": EVERY_MINUTE},
    # Send deliveries the fast path missed (broker down, worker lost) and retries.
    "relay-deliveries": {"task": "incidents.relay_deliveries", "schedule": EVERY_MINUTE},
    # Report escalations that are due but were not dispatched.
    "escalation-watchdog": {"task": "incidents.escalation_watchdog", "schedule": 5 * EVERY_MINUTE},
}

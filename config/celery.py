"""The Celery app and the whole beat schedule, in one place.

Every clock is a database row (`due_at`-style column) swept by one of these beat tasks;
nothing is scheduled as a long countdown or ETA. Run exactly ONE beat process."""

import os

from celery import Celery
from celery.schedules import crontab

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
    # Remind the communications lead when a status update is overdue (cadence per severity).
    "remind-status-updates": {
        "task": "incidents.communications.remind_status_updates",
        "schedule": EVERY_MINUTE,
    },
    # Post-incident checklist steps and action items due or overdue (each reminder once).
    "post-incident-reminders": {"task": "postmortems.send_reminders", "schedule": EVERY_MINUTE},
    # Breach notification deadlines: reminders at the lead times, then the overdue alarm.
    "dispatch-obligation-reminders": {
        "task": "reporting.dispatch_obligation_reminders",
        "schedule": EVERY_MINUTE,
    },
    # Seal new history rows into the hash chain and sign a checkpoint.
    "seal-audit": {"task": "reporting.seal_audit", "schedule": EVERY_MINUTE},
    # Verify the segments sealed since the last good verification (P1 incident if not).
    "verify-audit": {"task": "reporting.verify_audit", "schedule": 15 * EVERY_MINUTE},
    # Re-walk the whole chain nightly: an edit to a segment verified earlier is caught too.
    "verify-audit-full": {
        "task": "reporting.verify_audit_full",
        "schedule": crontab(minute=30, hour=3),
    },
}

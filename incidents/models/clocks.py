"""Reminder clocks shared by every app whose rows remind people (post-incident tasks, action
items, preparedness duties)."""

from django.db import models


class ReminderClock(models.Model):
    """Two reminders, each once: `due` (shortly before the deadline) and `overdue`.
    `next_reminder_at` is the indexed clock beat sweeps; `reminders_sent` says which is next."""

    next_reminder_at = models.DateTimeField(null=True, blank=True, db_index=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True

"""The Celery app. Beat schedules live in the database (django-celery-beat), seeded from
CELERY_BEAT_SCHEDULE; every clock is a due_at row swept by a beat task, never a countdown."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("harbormaster")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

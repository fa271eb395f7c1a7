"""django-celery-beat rows for the preparedness schedules (editable in the admin under
Periodic tasks). 09:00 UTC on the 1st of January, April, July and October: open the
quarter's procedure review, schedule its drill, open the contact verifications. Every hour:
send the preparedness reminders that are due. Idempotent: existing rows (perhaps edited by
an operator) are left as they are."""

from django.db import migrations

QUARTERLY = {
    "minute": "0",
    "hour": "9",
    "day_of_week": "*",
    "day_of_month": "1",
    "month_of_year": "1,4,7,10",
}
HOURLY = {
    "minute": "5",
    "hour": "*",
    "day_of_week": "*",
    "day_of_month": "*",
    "month_of_year": "*",
}
TASKS = [
    (
        "preparedness: open quarterly procedure review",
        "reporting.preparedness.open_quarterly_reviews",
        QUARTERLY,
    ),
    (
        "preparedness: schedule quarterly drill",
        "reporting.preparedness.schedule_quarterly_drills",
        QUARTERLY,
    ),
    (
        "preparedness: open contact verifications",
        "reporting.preparedness.open_contact_verifications",
        QUARTERLY,
    ),
    ("preparedness: send reminders", "reporting.preparedness.send_reminders", HOURLY),
]


def create_schedules(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, cron in TASKS:
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        schedule = CrontabSchedule.objects.filter(timezone="UTC", **cron).first()
        if schedule is None:
            schedule = CrontabSchedule.objects.create(timezone="UTC", **cron)
        PeriodicTask.objects.create(
            name=name,
            task=task,
            crontab=schedule,
            enabled=True,
            description="Preparedness (docs/preparedness.md).",
        )


def remove_schedules(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, _, _ in TASKS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0004_preparedness"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedules, remove_schedules)]

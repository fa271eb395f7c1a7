"""The spec's escalation matrix and an empty holder row for every position."""

from django.db import migrations

from incidents.reference_data import ESCALATION_MATRIX

POSITIONS = [
    "on_call_engineer",
    "assigned_engineer",
    "technical_lead",
    "team_lead",
    "incident_commander",
    "cto",
    "ceo",
]


def forwards(apps, schema_editor):
    EscalationLevel = apps.get_model("incidents", "EscalationLevel")
    PositionHolder = apps.get_model("incidents", "PositionHolder")
    for severity, level, delay, positions in ESCALATION_MATRIX:
        EscalationLevel.objects.update_or_create(
            severity=severity,
            level=level,
            defaults={"delay_minutes": delay, "positions": positions, "stop_condition": "resolved"},
        )
    for position in POSITIONS:
        PositionHolder.objects.get_or_create(position=position)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0004_escalation_and_outbox")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

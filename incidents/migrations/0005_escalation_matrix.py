"""The spec's escalation matrix and an empty holder row for every position.

The matrix is frozen here as a literal (what incidents.reference_data.ESCALATION_MATRIX
held when this migration was written): a migration imports no application code."""

from django.db import migrations

# (severity, level, delay in minutes, positions)
ESCALATION_MATRIX = [
    ("P0", 1, 0, ["on_call_engineer"]),
    ("P0", 2, 30, ["technical_lead", "incident_commander"]),
    ("P0", 3, 60, ["cto", "ceo"]),
    ("P1", 1, 0, ["on_call_engineer"]),
    ("P1", 2, 30, ["technical_lead"]),
    ("P1", 3, 60, ["cto"]),
    ("P2", 1, 0, ["assigned_engineer"]),
    ("P2", 2, 30, ["team_lead"]),
    ("P2", 3, 60, ["technical_lead"]),
    ("P3", 1, 0, ["assigned_engineer"]),
    ("P3", 2, 30, ["team_lead"]),
]

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

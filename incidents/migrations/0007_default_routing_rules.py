"""A default routing rule (so no alert is ever dropped) and one for critical alerts."""

from django.db import migrations

RULES = [
    {
        "name": "Default",
        "priority": 1000,
        "is_default": True,
        "severity": "P2",
        "type": "service_outage",
        "match_labels": {},
    },
    {
        "name": "Critical alerts",
        "priority": 10,
        "is_default": False,
        "severity": "P1",
        "type": "service_outage",
        "match_labels": {"severity": "critical"},
    },
]


def forwards(apps, schema_editor):
    RoutingRule = apps.get_model("incidents", "RoutingRule")
    for rule in RULES:
        RoutingRule.objects.get_or_create(name=rule["name"], defaults=rule)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0006_alerts")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

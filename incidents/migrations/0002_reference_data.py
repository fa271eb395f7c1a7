"""Severity policies P0–P3, the spec's phase checklists and the staff groups."""

from django.db import migrations

from incidents.choices import StaffGroup
from incidents.reference_data import CHECKLIST_TEMPLATES, SEVERITY_POLICIES


def forwards(apps, schema_editor):
    SeverityPolicy = apps.get_model("incidents", "SeverityPolicy")
    ChecklistTemplate = apps.get_model("incidents", "ChecklistTemplate")
    ChecklistTemplateItem = apps.get_model("incidents", "ChecklistTemplateItem")
    Group = apps.get_model("auth", "Group")

    for policy in SEVERITY_POLICIES:
        SeverityPolicy.objects.update_or_create(
            severity=policy["severity"],
            defaults={
                "name": policy["name"],
                "response_minutes": policy["response_minutes"],
                "postmortem_required": policy["postmortem_required"],
                "examples": "\n".join(policy["examples"]),
            },
        )
    for order, (phase, name, categories, types, steps) in enumerate(CHECKLIST_TEMPLATES):
        template, _ = ChecklistTemplate.objects.update_or_create(
            name=name,
            defaults={
                "phase": phase,
                "order": order,
                "applies_to_categories": categories,
                "applies_to_types": types,
            },
        )
        for step_order, text in enumerate(steps, start=1):
            ChecklistTemplateItem.objects.get_or_create(
                template=template, text=text, defaults={"order": step_order}
            )
    for name in StaffGroup.values:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

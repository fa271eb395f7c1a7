"""Severity policies P0–P3, the spec's phase checklists and the staff groups.

The data is frozen here as literals (what incidents.reference_data and
incidents.choices.StaffGroup held when this migration was written): a migration imports no
application code, so a later edit of that code cannot change what this migration does."""

from django.db import migrations

SEVERITY_POLICIES = [
    {
        "severity": "P0",
        "name": "Critical",
        "response_minutes": 15,
        "postmortem_required": True,
        "examples": [
            "Complete service outage",
            "Data breach or security compromise",
            "Payment system failure",
            "Database corruption",
        ],
    },
    {
        "severity": "P1",
        "name": "High",
        "response_minutes": 60,
        "postmortem_required": True,
        "examples": [
            "Partial service degradation",
            "Authentication system issues",
            "Performance degradation affecting users",
            "Failed deployments",
        ],
    },
    {
        "severity": "P2",
        "name": "Medium",
        "response_minutes": 240,
        "postmortem_required": False,
        "examples": [
            "Non-critical feature failures",
            "Minor performance issues",
            "Configuration problems",
            "Third-party service disruptions",
        ],
    },
    {
        "severity": "P3",
        "name": "Low",
        "response_minutes": 1440,
        "postmortem_required": False,
        "examples": [
            "Cosmetic issues",
            "Documentation problems",
            "Non-urgent feature requests",
            "Minor bugs",
        ],
    },
]

# (phase, name, applies to categories, applies to types, steps)
CHECKLIST_TEMPLATES = [
    (
        "triage",
        "Initial triage",
        [],
        [],
        [
            "Assess severity level",
            "Identify affected systems",
            "Estimate user impact",
            "Activate response team",
            "Create incident record",
        ],
    ),
    (
        "investigation",
        "Gather information",
        [],
        [],
        [
            "System logs and metrics",
            "Error messages and stack traces",
            "User reports and feedback",
            "Timeline of events",
        ],
    ),
    (
        "investigation",
        "Identify root cause",
        [],
        [],
        [
            "System component analysis",
            "Code review if applicable",
            "Infrastructure assessment",
            "Third-party service status",
        ],
    ),
    (
        "investigation",
        "Assess impact",
        [],
        [],
        [
            "Affected user count",
            "Business impact assessment",
            "Data integrity check",
            "Security implications",
        ],
    ),
    (
        "containment",
        "Immediate containment",
        [],
        [],
        [
            "Isolate affected systems",
            "Disable problematic features",
            "Implement temporary workarounds",
            "Prevent further damage",
        ],
    ),
    (
        "containment",
        "Security containment",
        ["security"],
        [],
        [
            "Block malicious traffic",
            "Revoke compromised credentials",
            "Isolate affected accounts",
            "Preserve evidence",
        ],
    ),
    (
        "resolution",
        "Resolution process",
        [],
        [],
        [
            "Develop fix strategy",
            "Test solution in staging",
            "Implement fix in production",
            "Verify resolution",
            "Monitor for recurrence",
        ],
    ),
    (
        "recovery",
        "System restoration",
        [],
        [],
        [
            "Restart affected services",
            "Restore from backups if needed",
            "Validate system functionality",
            "Performance verification",
        ],
    ),
    (
        "recovery",
        "Data recovery",
        [],
        ["data_corruption", "data_breach", "infrastructure_failure"],
        [
            "Restore corrupted data",
            "Verify data integrity",
            "Update affected records",
            "Reconcile transactions",
        ],
    ),
]

STAFF_GROUPS = [
    "Incident Commander",
    "Technical Lead",
    "Communications Lead",
    "Security Lead",
    "Responder",
    "Auditor",
]


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
    for name in STAFF_GROUPS:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

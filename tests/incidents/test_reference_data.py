"""Reference data the migrations create: severity policies, checklists from the spec, groups.

Expected values are written out here from the spec (../shared/spec/incident-response-
procedures.md) rather than read from incidents.reference_data, so a wrong edit there fails."""

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission

from incidents.models import ChecklistTemplate, SeverityPolicy

pytestmark = pytest.mark.django_db

POLICIES = {
    "P0": (
        "Critical",
        15,
        True,
        [
            "Complete service outage",
            "Data breach or security compromise",
            "Payment system failure",
            "Database corruption",
        ],
    ),
    "P1": (
        "High",
        60,
        True,
        [
            "Partial service degradation",
            "Authentication system issues",
            "Performance degradation affecting users",
            "Failed deployments",
        ],
    ),
    "P2": (
        "Medium",
        240,
        False,
        [
            "Non-critical feature failures",
            "Minor performance issues",
            "Configuration problems",
            "Third-party service disruptions",
        ],
    ),
    "P3": (
        "Low",
        1440,
        False,
        ["Cosmetic issues", "Documentation problems", "Non-urgent feature requests", "Minor bugs"],
    ),
}

# name -> (phase, categories, types, steps in order)
TEMPLATES = {
    "Initial triage": (
        "triage",
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
    "Gather information": (
        "investigation",
        [],
        [],
        [
            "System logs and metrics",
            "Error messages and stack traces",
            "User reports and feedback",
            "Timeline of events",
        ],
    ),
    "Identify root cause": (
        "investigation",
        [],
        [],
        [
            "System component analysis",
            "Code review if applicable",
            "Infrastructure assessment",
            "Third-party service status",
        ],
    ),
    "Assess impact": (
        "investigation",
        [],
        [],
        [
            "Affected user count",
            "Business impact assessment",
            "Data integrity check",
            "Security implications",
        ],
    ),
    "Immediate containment": (
        "containment",
        [],
        [],
        [
            "Isolate affected systems",
            "Disable problematic features",
            "Implement temporary workarounds",
            "Prevent further damage",
        ],
    ),
    "Security containment": (
        "containment",
        ["security"],
        [],
        [
            "Block malicious traffic",
            "Revoke compromised credentials",
            "Isolate affected accounts",
            "Preserve evidence",
        ],
    ),
    "Resolution process": (
        "resolution",
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
    "System restoration": (
        "recovery",
        [],
        [],
        [
            "Restart affected services",
            "Restore from backups if needed",
            "Validate system functionality",
            "Performance verification",
        ],
    ),
    "Data recovery": (
        "recovery",
        [],
        ["data_corruption", "data_breach", "infrastructure_failure"],
        [
            "Restore corrupted data",
            "Verify data integrity",
            "Update affected records",
            "Reconcile transactions",
        ],
    ),
}

GROUPS = {
    "Incident Commander",
    "Technical Lead",
    "Communications Lead",
    "Security Lead",
    "Responder",
    "Auditor",
}
DOMAIN_APPS = ("incidents", "postmortems", "reporting")


# --- severity policies ------------------------------------------------------------------


def test_exactly_four_severity_policies():
    assert list(SeverityPolicy.objects.values_list("severity", flat=True)) == [
        "P0",
        "P1",
        "P2",
        "P3",
    ]


@pytest.mark.parametrize("severity", sorted(POLICIES))
def test_severity_policy_from_spec(severity):
    name, minutes, postmortem, examples = POLICIES[severity]
    policy = SeverityPolicy.objects.get(severity=severity)
    assert policy.name == name
    assert policy.response_minutes == minutes
    assert policy.postmortem_required is postmortem
    assert policy.examples.splitlines() == examples
    assert str(policy) == f"{severity} {name}"


def test_postmortem_required_for_p0_and_p1_only():
    required = set(
        SeverityPolicy.objects.filter(postmortem_required=True).values_list("severity", flat=True)
    )
    assert required == {"P0", "P1"}


def test_policies_are_tracked_in_history():
    # created by the data migration through the historical model, so no history rows yet;
    # an admin edit is recorded.
    policy = SeverityPolicy.objects.get(severity="P2")
    policy.response_minutes = 180
    policy._change_reason = "Tighter SLA"
    policy.save()
    assert policy.history.first().history_change_reason == "Tighter SLA"
    assert policy.history.first().response_minutes == 180


# --- checklist templates ----------------------------------------------------------------


def test_exactly_the_spec_templates():
    assert set(ChecklistTemplate.objects.values_list("name", flat=True)) == set(TEMPLATES)


@pytest.mark.parametrize("name", list(TEMPLATES))
def test_template_holds_the_spec_steps_in_order(name):
    phase, categories, types, steps = TEMPLATES[name]
    template = ChecklistTemplate.objects.get(name=name)
    assert template.phase == phase
    assert template.active is True
    assert template.applies_to_categories == categories
    assert template.applies_to_types == types
    assert [item.text for item in template.items.order_by("order", "id")] == steps
    assert [item.order for item in template.items.order_by("order", "id")] == list(
        range(1, len(steps) + 1)
    )


def test_templates_within_a_phase_follow_the_spec_order():
    investigation = ChecklistTemplate.objects.filter(phase="investigation").order_by("order")
    assert [t.name for t in investigation] == [
        "Gather information",
        "Identify root cause",
        "Assess impact",
    ]
    containment = ChecklistTemplate.objects.filter(phase="containment").order_by("order")
    assert [t.name for t in containment] == ["Immediate containment", "Security containment"]
    recovery = ChecklistTemplate.objects.filter(phase="recovery").order_by("order")
    assert [t.name for t in recovery] == ["System restoration", "Data recovery"]


@pytest.mark.parametrize(
    ("name", "category", "incident_type", "applies"),
    [
        ("Security containment", "security", "malware", True),
        ("Security containment", "operational", "service_outage", False),
        ("Security containment", "application", "api_failure", False),
        ("Data recovery", "operational", "data_corruption", True),
        ("Data recovery", "security", "data_breach", True),
        ("Data recovery", "operational", "infrastructure_failure", True),
        ("Data recovery", "operational", "service_outage", False),
        ("Data recovery", "security", "malware", False),
        ("Immediate containment", "application", "ui_issue", True),
    ],
)
def test_template_applies_to(name, category, incident_type, applies):
    template = ChecklistTemplate.objects.get(name=name)
    assert template.applies_to(category=category, incident_type=incident_type) is applies


# --- groups and permissions --------------------------------------------------------------


def test_the_six_groups_exist():
    assert set(Group.objects.values_list("name", flat=True)) >= GROUPS


def test_auditor_has_only_view_permissions():
    codenames = list(
        Group.objects.get(name="Auditor").permissions.values_list("codename", flat=True)
    )
    assert codenames
    assert all(codename.startswith("view_") for codename in codenames), codenames


def test_auditor_can_view_every_domain_model_and_its_history():
    granted = set(
        Group.objects.get(name="Auditor").permissions.values_list(
            "content_type__app_label", "codename"
        )
    )
    expected = {
        (model._meta.app_label, f"view_{model._meta.model_name}")
        for app_label in DOMAIN_APPS
        for model in apps.get_app_config(app_label).get_models()
    }
    assert expected <= granted
    historical = {codename for _, codename in granted if codename.startswith("view_historical")}
    for model_name in [
        "incident",
        "roleassignment",
        "timelineentry",
        "checklistitem",
        "severitypolicy",
        "service",
        "checklisttemplate",
        "checklisttemplateitem",
    ]:
        assert f"view_historical{model_name}" in historical


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_no_group_may_rewrite_the_record(group):
    """History is read-only and the incident record is never deleted from the admin."""
    codenames = set(Permission.objects.filter(group__name=group).values_list("codename", flat=True))
    assert not {c for c in codenames if c.startswith(("add_historical", "change_historical"))}
    assert not {c for c in codenames if c.startswith("delete_historical")}
    record = {"incident", "timelineentry", "roleassignment", "checklistitem"}
    assert not {f"delete_{model}" for model in record} & codenames


@pytest.mark.parametrize("group", sorted(GROUPS - {"Auditor"}))
def test_working_groups_can_view_incidents(group):
    codenames = set(Permission.objects.filter(group__name=group).values_list("codename", flat=True))
    assert {"view_incident", "view_timelineentry", "view_historicalincident"} <= codenames


def test_only_people_running_incidents_may_change_them():
    def can(group, codename):
        return Permission.objects.filter(group__name=group, codename=codename).exists()

    assert can("Incident Commander", "change_incident")
    assert can("Incident Commander", "add_incident")
    assert can("Responder", "change_incident")
    assert not can("Communications Lead", "change_incident")
    assert not can("Auditor", "change_incident")

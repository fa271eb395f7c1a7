"""Reference data taken from the spec (../shared/spec/incident-response-procedures.md).

Kept in one module so the data migration and the tests read the same source. The migration
copies it at the time it runs; later edits happen in the admin."""

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

# (phase, block name, applies_to_categories, applies_to_types, steps)
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

# The spec's escalation matrix: (severity, level, delay minutes, positions).
# Initial response at once, "Escalation (30 min)", "Executive (1 hour)".
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

"""Who may do what in the compliance admin (the Auditor group's view permissions are
granted by incidents.permissions). Synced after every migrate, idempotently."""

from incidents.choices import StaffGroup

# Export the audit trail and evidence packs; view and export the breach register.
AUDIT_PERM = "reporting.view_audit_trail"
REGISTER_PERM = "reporting.view_breach_register"

# Preparedness: incident commanders run the quarterly duties and record training; every
# responder sees the reviews and drills, and their own contact verifications and training
# records (the admin scopes those rows to the person) and confirms their own contact details.
_PREPAREDNESS_MANAGE = {
    "procedurereview": ("view", "add", "change"),
    "drill": ("view", "add", "change"),
    "contactverification": ("view", "change", "view_all_contact_verifications"),
    "trainingrecord": ("view", "add", "view_all_training"),
}
_PREPAREDNESS_VIEW = {
    "procedurereview": ("view",),
    "drill": ("view",),
    "contactverification": ("view",),
    "trainingrecord": ("view",),
}

GROUP_PERMISSIONS = {
    # Security leads run breach records and keep the regimes' rules current (edits are
    # history-tracked); incident commanders may start and fill breach records.
    StaffGroup.SECURITY_LEAD: {
        "breachassessment": ("view", "add", "change", "view_breach_register"),
        "notificationobligation": ("view", "change"),
        "regime": ("view", "change"),
        "regimestage": ("view", "change"),
        **_PREPAREDNESS_VIEW,
    },
    StaffGroup.INCIDENT_COMMANDER: {
        "breachassessment": ("view", "add", "change"),
        "notificationobligation": ("view", "change"),
        "regime": ("view",),
        "regimestage": ("view",),
        **_PREPAREDNESS_MANAGE,
    },
    StaffGroup.TECHNICAL_LEAD: {**_PREPAREDNESS_VIEW},
    StaffGroup.COMMUNICATIONS_LEAD: {**_PREPAREDNESS_VIEW},
    StaffGroup.RESPONDER: {**_PREPAREDNESS_VIEW},
}


def sync_reporting_permissions(using: str = "default") -> None:
    from django.contrib.auth.models import Group, Permission

    for group_name, models in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=group_name)
        codenames = []
        for model, actions in models.items():
            for action in actions:
                codenames.append(action if action.startswith("view_") else f"{action}_{model}")
            codenames.append(f"view_historical{model}")
        group.permissions.add(
            *Permission.objects.using(using).filter(
                content_type__app_label="reporting", codename__in=codenames
            )
        )

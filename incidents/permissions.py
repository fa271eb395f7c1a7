"""What each staff group may do in the admin. Synced after every migrate, idempotently."""

from .choices import StaffGroup

# Our apps; the Auditor group may view every model in them, history included.
DOMAIN_APPS = ("incidents", "postmortems", "reporting")

_WORK = {
    "incident": ("view", "add", "change"),
    "roleassignment": ("view", "add", "change"),
    "timelineentry": ("view", "add"),
    "checklistitem": ("view", "change"),
    "service": ("view",),
    "severitypolicy": ("view",),
    "checklisttemplate": ("view",),
    "checklisttemplateitem": ("view",),
}

GROUP_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    StaffGroup.INCIDENT_COMMANDER: {
        **_WORK,
        "service": ("view", "add", "change"),
    },
    StaffGroup.SECURITY_LEAD: {**_WORK},
    StaffGroup.TECHNICAL_LEAD: {**_WORK},
    StaffGroup.COMMUNICATIONS_LEAD: {
        "incident": ("view",),
        "roleassignment": ("view",),
        "timelineentry": ("view", "add"),
        "checklistitem": ("view", "change"),
        "service": ("view",),
        "severitypolicy": ("view",),
    },
    StaffGroup.RESPONDER: {
        "incident": ("view", "change"),
        "roleassignment": ("view",),
        "timelineentry": ("view", "add"),
        "checklistitem": ("view", "change"),
        "service": ("view",),
        "severitypolicy": ("view",),
    },
}


def sync_staff_group_permissions(using: str = "default") -> None:
    from django.contrib.auth.models import Group, Permission

    for group_name, models in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=group_name)
        codenames = [f"{action}_{model}" for model, actions in models.items() for action in actions]
        # Historical rows of what a group can see are visible to it too (read-only).
        codenames += [f"view_historical{model}" for model in models]
        permissions = Permission.objects.using(using).filter(
            content_type__app_label="incidents", codename__in=codenames
        )
        group.permissions.add(*permissions)

    auditor, _ = Group.objects.using(using).get_or_create(name=StaffGroup.AUDITOR)
    view_all = Permission.objects.using(using).filter(
        content_type__app_label__in=DOMAIN_APPS, codename__startswith="view_"
    )
    auditor.permissions.add(*view_all)

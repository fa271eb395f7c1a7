"""Group permissions for the communications and post-incident models (synced after every
migrate, idempotently, like incidents.permissions for the incident models)."""

from incidents.choices import StaffGroup

GRANTS = {
    StaffGroup.COMMUNICATIONS_LEAD: {
        "incidents": {
            "communication": ("view", "add"),
            "communicationtemplate": ("view", "change"),
            "communicationcadence": ("view",),
        },
        "postmortems": {"postincidenttask": ("view", "change"), "postmortem": ("view",)},
    },
    StaffGroup.INCIDENT_COMMANDER: {
        "incidents": {
            "communication": ("view", "add"),
            "communicationtemplate": ("view",),
            "communicationcadence": ("view", "change"),
        },
        "postmortems": {
            "postincidenttask": ("view", "change"),
            "postmortem": ("view", "change", "approve"),
            "actionitem": ("view", "add", "change"),
        },
    },
    StaffGroup.TECHNICAL_LEAD: {
        "incidents": {"communication": ("view",)},
        "postmortems": {
            "postincidenttask": ("view", "change"),
            "postmortem": ("view", "change"),
            "actionitem": ("view", "add", "change"),
        },
    },
    StaffGroup.SECURITY_LEAD: {
        "incidents": {"communication": ("view",)},
        "postmortems": {
            "postincidenttask": ("view", "change"),
            "postmortem": ("view", "change"),
            "actionitem": ("view", "add", "change"),
        },
    },
    StaffGroup.RESPONDER: {
        "incidents": {"communication": ("view",)},
        "postmortems": {
            "postincidenttask": ("view",),
            "postmortem": ("view",),
            "actionitem": ("view", "change"),
        },
    },
}


def sync_permissions(sender=None, using="default", **kwargs):
    from django.contrib.auth.models import Group, Permission

    for group_name, apps in GRANTS.items():
        group, _ = Group.objects.using(using).get_or_create(name=group_name)
        for app_label, models in apps.items():
            codenames = [f"{a}_{m}" for m, actions in models.items() for a in actions]
            codenames += [f"view_historical{m}" for m in models]
            group.permissions.add(
                *Permission.objects.using(using).filter(
                    content_type__app_label=app_label, codename__in=codenames
                )
            )
    auditor, _ = Group.objects.using(using).get_or_create(name=StaffGroup.AUDITOR)
    auditor.permissions.add(
        *Permission.objects.using(using).filter(
            content_type__app_label__in=("incidents", "postmortems"), codename__startswith="view_"
        )
    )

"""The Harbormaster admin site: the staff home.

The index shows what needs attention (open incidents, mine first; failed deliveries; and
panels other apps add, such as overdue regulatory notifications) and groups the models into
a few sections instead of one list per app. `staff_home` is the hook other apps use, from
their AppConfig.ready(), to add a panel or a link to a section (incidents never imports
them). The site is installed by incidents.admin_config.HarbormasterAdminConfig."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from ..home.selectors import failed_deliveries_for, open_incident_count, open_incidents_for
from .command import sla_for

# (key, title, description); models not named below are shown under "configure".
SECTIONS = [
    ("respond", "Respond", "Incidents, alerts, escalation and the follow-up work"),
    ("communicate", "Communicate", "Messages to staff and customers, and their delivery"),
    ("comply", "Comply and audit", "Breach assessments, regulatory notices, audit trail"),
    ("prepare", "Prepare", "On-call, checklists, drills, reviews and training"),
    ("configure", "Configure", "Services, policies, routing, people and integrations"),
]
MODEL_SECTIONS = {
    "incidents.incident": "respond",
    "incidents.alert": "respond",
    "incidents.alertgroup": "respond",
    "incidents.escalationevent": "respond",
    "incidents.roleassignment": "respond",
    "incidents.timelineentry": "respond",
    "postmortems.postmortem": "respond",
    "postmortems.actionitem": "respond",
    "postmortems.postincidenttask": "respond",
    "incidents.communication": "communicate",
    "incidents.communicationtemplate": "communicate",
    "incidents.communicationcadence": "communicate",
    "incidents.delivery": "communicate",
    "reporting.breachassessment": "comply",
    "reporting.notificationobligation": "comply",
    "reporting.regime": "comply",
    "reporting.regimestage": "comply",
    "reporting.auditseal": "comply",
    "reporting.auditcheckpoint": "comply",
    "reporting.auditverification": "comply",
    "incidents.oncallshift": "prepare",
    "incidents.positionholder": "prepare",
    "incidents.escalationlevel": "prepare",
    "incidents.checklisttemplate": "prepare",
    "reporting.drill": "prepare",
    "reporting.procedurereview": "prepare",
    "reporting.trainingrecord": "prepare",
    "reporting.contactverification": "prepare",
}
DEFAULT_SECTION = "configure"


@dataclass
class PanelRow:
    label: str
    url: str = ""
    detail: str = ""
    badge: str = ""  # a short word shown before the label ("mine", "overdue")
    warn: bool = False


@dataclass
class Panel:
    key: str
    title: str
    rows: list[PanelRow]
    empty: str = "Nothing here."
    more_url: str = ""
    more_label: str = ""


@dataclass
class SectionLink:
    section: str
    name: str
    url_name: str
    description: str = ""
    visible: Callable = field(default=lambda request: True)


class StaffHome:
    """Panels (`add_panel(key, build)`: build(request, now) -> Panel | None, None when the
    person may not see it) and section links (`add_link(...)`) other apps contribute."""

    def __init__(self):
        self.panels: dict[str, Callable] = {}
        self.links: list[SectionLink] = []

    def add_panel(self, key: str, build: Callable) -> None:
        self.panels[key] = build

    def add_link(
        self,
        section: str,
        name: str,
        url_name: str,
        description: str = "",
        *,
        visible: Callable = lambda request: True,
    ) -> None:
        if any(link.url_name == url_name for link in self.links):
            return
        self.links.append(SectionLink(section, name, url_name, description, visible))


staff_home = StaffHome()


def _sla(incident, now) -> tuple[str, bool]:
    """The response SLA as the incident page's band says it (one rule: domain.sla_state)."""
    sla = sla_for(incident, now)
    return sla.text, sla.code == "overdue"


def open_incidents_panel(request, now) -> Panel | None:
    if not request.user.has_perm("incidents.view_incident"):
        return None
    rows = []
    for incident in open_incidents_for(request.user):
        sla, late = _sla(incident, now)
        rows.append(
            PanelRow(
                label=f"{incident.reference} {incident.title}",
                url=reverse("admin:incidents_incident_change", args=[incident.pk]),
                detail=f"{incident.severity} · {incident.get_status_display()} · {sla}",
                badge="mine" if incident.mine else "",
                warn=late,
            )
        )
    total = open_incident_count(request.user)
    return Panel(
        key="open-incidents",
        title=f"Open incidents ({total})",
        rows=rows,
        empty="No open incidents.",
        more_url=reverse("admin:incidents_incident_changelist"),
        more_label="All open incidents" if total > len(rows) else "",
    )


def failed_deliveries_panel(request, now) -> Panel | None:
    if not request.user.has_perm("incidents.view_delivery"):
        return None
    rows = [
        PanelRow(
            label=delivery.subject,
            url=reverse("admin:incidents_delivery_change", args=[delivery.pk]),
            detail=" · ".join(
                part
                for part in (
                    delivery.get_channel_display(),
                    delivery.target,
                    delivery.incident.reference if delivery.incident else "",
                    delivery.last_error[:120],
                )
                if part
            ),
            warn=True,
        )
        for delivery in failed_deliveries_for(request.user)
    ]
    return Panel(
        key="failed-deliveries",
        title="Failed deliveries",
        rows=rows,
        empty="No failed deliveries.",
        more_url=reverse("admin:incidents_delivery_changelist") + "?status__exact=failed",
        more_label="All failed deliveries" if rows else "",
    )


staff_home.add_panel("open-incidents", open_incidents_panel)
staff_home.add_panel("failed-deliveries", failed_deliveries_panel)


class HarbormasterAdminSite(admin.AdminSite):
    site_header = "Harbormaster"
    site_title = "Harbormaster"
    index_title = "Incident response, compliance and audit"

    def get_app_list(self, request, app_label=None):
        """One app's page (app_label given) lists that app as usual; everywhere else (the
        index, the sidebar) the models come grouped into the staff sections."""
        app_list = super().get_app_list(request, app_label)
        if app_label:
            return app_list
        return self.sections(request, app_list)

    def sections(self, request, app_list) -> list[dict]:
        index_url = reverse("admin:index", current_app=self.name)
        grouped: dict[str, dict] = {
            key: {
                "name": title,
                "description": description,
                "app_label": f"section-{key}",
                "app_url": f"{index_url}#section-{key}",
                "has_module_perms": True,
                "models": [],
                "links": [],
            }
            for key, title, description in SECTIONS
        }
        for app in app_list:
            for model in app["models"]:
                label = f"{app['app_label']}.{model['object_name'].lower()}"
                grouped[MODEL_SECTIONS.get(label, DEFAULT_SECTION)]["models"].append(model)
        for link in staff_home.links:
            if not link.visible(request):
                continue
            try:
                url = reverse(link.url_name)
            except NoReverseMatch:
                continue
            grouped[link.section]["links"].append(
                {"name": link.name, "url": url, "description": link.description}
            )
        return [section for section in grouped.values() if section["models"] or section["links"]]

    def index(self, request, extra_context=None):
        now = timezone.now()
        panels = [
            panel
            for build in staff_home.panels.values()
            if (panel := build(request, now)) is not None
        ]
        return super().index(request, {"panels": panels, **(extra_context or {})})

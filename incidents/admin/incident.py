"""The admin is staff's main tool. Every state change goes through incidents.services."""

from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html

from .. import domain, services
from ..forms import AddNoteForm, AssignRoleForm, ChecklistItemForm, IncidentForm
from ..kernel.durations import format_duration
from ..models import Incident
from ..selectors import incident_list_queryset
from .base import ReadOnlyHistoryAdmin, withheld_notice
from .escalation import overdue_escalation_warning
from .inlines import (
    AddNoteInline,
    AssignRoleInline,
    ChecklistInline,
    EscalationInline,
    OpenFilter,
    RoleHistoryInline,
    SlaFilter,
)
from .workflow import IncidentWorkflowMixin


@admin.register(Incident)
class IncidentAdmin(IncidentWorkflowMixin, ReadOnlyHistoryAdmin):
    """The incident page. Other parts of the project add buttons, URLs and list actions
    through incidents.admin.page.incident_page; this class is registered once."""

    form = IncidentForm
    change_form_template = "admin/incidents/incident/change_form.html"

    class Media:
        css = {"all": ["incidents/admin.css"]}

    list_display = [
        "reference",
        "title",
        "severity",
        "status",
        "commander",
        "age",
        "sla",
        "drill",
    ]
    list_display_links = ["reference", "title"]
    list_filter = [
        OpenFilter,
        "severity",
        "status",
        "category",
        "type",
        "is_drill",
        "detection_source",
        SlaFilter,
        ("detected_at", admin.DateFieldListFilter),
        "affected_services",
    ]
    search_fields = ["reference", "title", "summary"]
    ordering = ["-detected_at", "-id"]
    date_hierarchy = "detected_at"
    list_per_page = 50
    show_full_result_count = False
    autocomplete_fields = ["affected_services"]
    actions = ["acknowledge_selected"]
    readonly_fields = [
        "reference",
        "status",
        "category",
        "sla",
        "response_due_at",
        "sla_breached_at",
        "next_escalation_at",
        "acknowledged_at",
        "triaged_at",
        "contained_at",
        "resolved_at",
        "closed_at",
        "cancelled_at",
        "resolution_summary",
        "cancel_reason",
    ]

    def get_fieldsets(self, request, obj=None):
        detection = ["title", "summary", "severity", "type", "detection_source", "is_drill"]
        if obj is None:
            return [
                ("Detection", {"fields": detection}),
                ("When", {"fields": ["detected_at", "started_at"]}),
                (
                    "Triage: affected systems and impact",
                    {"fields": ["affected_services", "users_affected", "customer_impact"]},
                ),
            ]
        return [
            (
                "Detection",
                {
                    "fields": [
                        ("reference", "status", "category"),
                        *detection,
                        ("started_at", "detected_at"),
                    ]
                },
            ),
            (
                "Triage",
                {
                    "fields": [
                        ("response_due_at", "acknowledged_at", "sla"),
                        ("sla_breached_at", "next_escalation_at"),
                        "triaged_at",
                        "affected_services",
                        "users_affected",
                        "customer_impact",
                    ]
                },
            ),
            (
                "Investigation: impact assessment",
                {
                    "fields": [
                        "business_impact",
                        "data_integrity_impact",
                        "security_implications",
                        "personal_data_involved",
                    ],
                    "classes": ["collapse"],
                },
            ),
            ("Containment", {"fields": ["contained_at"], "classes": ["collapse"]}),
            (
                "Resolution",
                {"fields": ["resolved_at", "resolution_summary"], "classes": ["collapse"]},
            ),
            (
                "Closure",
                {"fields": ["closed_at", "cancelled_at", "cancel_reason"], "classes": ["collapse"]},
            ),
            ("Why", {"fields": ["change_reason", "loaded_version"]}),
        ]

    def get_inlines(self, request, obj):
        if obj is None:
            return []
        # The checklist and the note are drawn first by the page's template; the
        # timeline is one of its sections (admin.command.timeline_rows).
        return [
            ChecklistInline,
            AddNoteInline,
            RoleHistoryInline,
            AssignRoleInline,
            EscalationInline,
        ]

    def get_queryset(self, request):
        return incident_list_queryset(request.user)

    def changelist_view(self, request, extra_context=None):
        overdue_escalation_warning(request, self)
        withheld_notice(request)
        return super().changelist_view(request, extra_context)

    def has_delete_permission(self, request, obj=None):
        # Incidents are evidence: cancel a false alarm instead of deleting it.
        return False

    def get_readonly_fields(self, request, obj=None):
        fields = list(self.readonly_fields)
        if obj is not None:
            # Detection time fixes the reference and the response deadline.
            fields.append("detected_at")
        if obj is not None and obj.status in domain.FINAL_STATUSES:
            fields += [name for name in IncidentForm.Meta.fields if name not in fields]
        return fields

    # list columns ----------------------------------------------------------------------
    @admin.display(description="Commander", ordering="commander_username")
    def commander(self, obj):
        return getattr(obj, "commander_username", None) or "—"

    @admin.display(description="Drill", ordering="is_drill")
    def drill(self, obj):
        # Only drills are marked: a column of red crosses would hide the few that matter.
        return "DRILL" if obj.is_drill else ""

    @admin.display(description="Age", ordering="detected_at")
    def age(self, obj):
        end = obj.resolved_at or obj.cancelled_at or timezone.now()
        return format_duration(end - obj.detected_at)

    @admin.display(description="Response SLA", ordering="response_due_at")
    def sla(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        state = domain.sla_state(
            response_due_at=obj.response_due_at,
            acknowledged_at=obj.acknowledged_at,
            now=timezone.now(),
            status=obj.status,
        )
        colours = {
            "met": "#2e7d32",
            "pending": "#8a6d00",
            "breached": "#c62828",
            "overdue": "#c62828",
        }
        return format_html(
            '<span class="sla sla-{}" style="color:{}">{}</span>',
            state.code,
            colours.get(state.code, "inherit"),
            state.label,
        )

    # saving through the services -------------------------------------------------------
    def save_model(self, request, obj, form, change):
        data = {
            name: form.cleaned_data[name]
            for name in services.EDITABLE_FIELDS
            if name in form.cleaned_data
        }
        reason = form.cleaned_data.get("change_reason", "")
        if not change:
            created = services.incident_create(
                user=request.user,
                severity=form.cleaned_data["severity"],
                detected_at=form.cleaned_data.get("detected_at"),
                affected_services=form.cleaned_data.get("affected_services") or (),
                reason=reason,
                **data,
            )
            # The admin goes on with the object the service wrote.
            obj.pk = created.pk
            obj.__dict__.update(created.__dict__)
            return
        updated = services.incident_update(
            incident=obj.pk,
            user=request.user,
            expected_version=form.cleaned_data.get("loaded_version"),
            severity=form.cleaned_data.get("severity"),
            affected_services=form.cleaned_data.get("affected_services"),
            reason=reason,
            **data,
        )
        obj.__dict__.update(updated.__dict__)

    def save_related(self, request, form, formsets, change):
        # m2m were written by the service; only the inlines remain.
        for formset in formsets:
            self.save_formset(request, form, formset, change)

    def save_formset(self, request, form, formset, change):
        incident = form.instance
        # The services write the rows; the admin's change message reads these lists.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.forms:
            if not inline_form.has_changed() or not hasattr(inline_form, "cleaned_data"):
                continue
            data = inline_form.cleaned_data
            if isinstance(inline_form, AssignRoleForm):
                services.incident_assign_role(
                    incident=incident,
                    role=data["role"],
                    assignee=data["user"],
                    user=request.user,
                )
            elif isinstance(inline_form, AddNoteForm):
                services.incident_add_note(
                    incident=incident, text=data["text"], at=data.get("at"), user=request.user
                )
            elif isinstance(inline_form, ChecklistItemForm) and "done" in inline_form.changed_data:
                services.checklist_item_set_done(
                    item=inline_form.instance, done=data["done"], user=request.user
                )

"""The admin is staff's main tool. Every state change goes through incidents.services."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from . import domain, services
from .admin_base import (
    AddOnlyInline,
    ReadOnlyAdmin,
    ReadOnlyHistoryAdmin,
    ReadOnlyInline,
)
from .admin_escalation import overdue_escalation_warning
from .choices import Status
from .domain import DomainError
from .forms import AddNoteForm, AssignRoleForm, ChecklistItemForm, IncidentForm, TransitionForm
from .models import (
    ChecklistItem,
    ChecklistTemplate,
    ChecklistTemplateItem,
    EscalationEvent,
    Incident,
    RoleAssignment,
    Service,
    SeverityPolicy,
    TimelineEntry,
)
from .selectors import incident_list_queryset, incidents_visible_to

TRANSITION_LABELS = {
    Status.TRIAGED: "Mark triaged",
    Status.INVESTIGATING: "Start investigating",
    Status.CONTAINED: "Mark contained",
    Status.RESOLVED: "Resolve",
    Status.CLOSED: "Close",
    Status.CANCELLED: "Cancel (false alarm)",
}


# --- inlines -------------------------------------------------------------------------------
class RoleHistoryInline(ReadOnlyInline):
    model = RoleAssignment
    verbose_name = "response role"
    verbose_name_plural = "Response roles (current and past)"
    fields = ["role", "user", "assigned_at", "assigned_by", "relieved_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "assigned_by")


class AssignRoleInline(AddOnlyInline):
    """Each filled row is a call to incident_assign_role (handover included)."""

    model = RoleAssignment
    form = AssignRoleForm
    verbose_name = "role assignment"
    verbose_name_plural = "Assign a role (hands over from the current holder)"
    fields = ["role", "user"]
    max_num = 4
    add_permission = "incidents.add_roleassignment"

    def has_add_permission(self, request, obj=None):
        final = obj is not None and obj.status in domain.FINAL_STATUSES
        return super().has_add_permission(request, obj) and not final


class TimelineInline(ReadOnlyInline):
    model = TimelineEntry
    verbose_name_plural = "Timeline"
    fields = ["at", "kind", "author", "text"]
    ordering = ["-at", "-id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")


class AddNoteInline(AddOnlyInline):
    model = TimelineEntry
    form = AddNoteForm
    verbose_name = "note"
    verbose_name_plural = "Add a note to the timeline"
    fields = ["text", "at"]
    add_permission = "incidents.add_timelineentry"


class ChecklistInline(admin.TabularInline):
    model = ChecklistItem
    form = ChecklistItemForm
    verbose_name = "step"
    verbose_name_plural = "Phase checklists"
    fields = ["phase", "section", "text", "done", "done_at", "done_by"]
    readonly_fields = ["phase", "section", "text", "done_at", "done_by"]
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("done_by")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("incidents.change_checklistitem") and not (
            obj and obj.status in domain.FINAL_STATUSES
        )


class EscalationInline(ReadOnlyInline):
    model = EscalationEvent
    verbose_name_plural = "Escalations fired"
    fields = ["level", "reason", "due_at", "fired_at", "positions", "targets"]


# --- filters -------------------------------------------------------------------------------
class SlaFilter(admin.SimpleListFilter):
    title = "response SLA"
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return [
            ("overdue", "Unacknowledged, past due"),
            ("pending", "Unacknowledged, within SLA"),
            ("breached", "Acknowledged late"),
            ("met", "Acknowledged in time"),
        ]

    def queryset(self, request, queryset):
        from django.db.models import F

        now = timezone.now()
        value = self.value()
        unacked = queryset.filter(acknowledged_at__isnull=True)
        if value == "overdue":
            return unacked.filter(response_due_at__lt=now)
        if value == "pending":
            return unacked.filter(response_due_at__gte=now)
        if value == "breached":
            return queryset.filter(acknowledged_at__gt=F("response_due_at"))
        if value == "met":
            return queryset.filter(acknowledged_at__lte=F("response_due_at"))
        return queryset


class OpenFilter(admin.SimpleListFilter):
    title = "open or done"
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("yes", "Open (not yet resolved)"), ("no", "Resolved, closed or cancelled")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(status__in=domain.OPEN_STATUSES)
        if self.value() == "no":
            return queryset.exclude(status__in=domain.OPEN_STATUSES)
        return queryset


# --- incident ------------------------------------------------------------------------------
@admin.register(Incident)
class IncidentAdmin(ReadOnlyHistoryAdmin):
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
                    ]
                },
            ),
            ("Containment", {"fields": ["contained_at"]}),
            ("Resolution", {"fields": ["resolved_at", "resolution_summary"]}),
            (
                "Closure",
                {"fields": ["closed_at", "cancelled_at", "cancel_reason"]},
            ),
            ("Why", {"fields": ["change_reason", "loaded_version"]}),
        ]

    def get_inlines(self, request, obj):
        if obj is None:
            return []
        return [
            RoleHistoryInline,
            AssignRoleInline,
            EscalationInline,
            ChecklistInline,
            AddNoteInline,
            TimelineInline,
        ]

    def get_queryset(self, request):
        return incident_list_queryset(request.user)

    def changelist_view(self, request, extra_context=None):
        overdue_escalation_warning(request, self)
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
        return domain.format_duration(end - obj.detected_at)

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

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["incident_actions"] = self._actions_for(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _actions_for(self, request, obj):
        if not self.has_change_permission(request, obj):
            return []
        actions = []
        if obj.acknowledged_at is None and obj.status in domain.OPEN_STATUSES:
            actions.append(
                ("Acknowledge", reverse("admin:incidents_incident_acknowledge", args=[obj.pk]))
            )
        for status in domain.allowed_transitions(obj.status):
            label = TRANSITION_LABELS.get(status, status)
            if domain.is_reopen(obj.status, status):
                label = "Reopen (recurrence)"
            actions.append(
                (label, reverse("admin:incidents_incident_transition", args=[obj.pk, status]))
            )
        return actions

    # transition and acknowledge pages --------------------------------------------------
    def get_urls(self):
        custom = [
            path(
                "<int:object_id>/transition/<str:to_status>/",
                self.admin_site.admin_view(self.transition_view),
                name="incidents_incident_transition",
            ),
            path(
                "<int:object_id>/acknowledge/",
                self.admin_site.admin_view(self.acknowledge_view),
                name="incidents_incident_acknowledge",
            ),
        ]
        return custom + super().get_urls()

    def _get_for_action(self, request, object_id):
        obj = incidents_visible_to(request.user).filter(pk=object_id).first()
        if obj is None:
            raise Http404("No such incident.")
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        return obj

    def _change_url(self, obj):
        return reverse("admin:incidents_incident_change", args=[obj.pk])

    def transition_view(self, request, object_id, to_status):
        obj = self._get_for_action(request, object_id)
        if to_status not in Status.values:
            raise Http404("Unknown status.")
        form = TransitionForm(
            request.POST if request.method == "POST" else None,
            to_status=to_status,
            from_status=obj.status,
        )
        allowed = to_status in domain.allowed_transitions(obj.status)
        if request.method == "POST" and allowed and form.is_valid():
            try:
                with transaction.atomic():
                    services.incident_transition(
                        incident=obj,
                        to_status=to_status,
                        user=request.user,
                        **form.cleaned_data,
                    )
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                self.message_user(
                    request,
                    f"{obj.reference} is now {Status(to_status).label.lower()}.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(self._change_url(obj))
        refusal = ""
        if not allowed:
            refusal = (
                f"An incident that is {obj.get_status_display().lower()} cannot move to "
                f"{Status(to_status).label.lower()}. Allowed: "
                + (", ".join(domain.allowed_transitions(obj.status)) or "none (it is final)")
            )
        context = {
            **self.admin_site.each_context(request),
            "title": f"{TRANSITION_LABELS.get(to_status, to_status)}: {obj.reference}",
            "opts": self.model._meta,
            "original": obj,
            "form": form,
            "to_status": Status(to_status),
            "allowed": allowed,
            "refusal": refusal,
            "change_url": self._change_url(obj),
        }
        status = 409 if not allowed else (400 if request.method == "POST" else 200)
        return TemplateResponse(
            request, "admin/incidents/incident/transition.html", context, status=status
        )

    def acknowledge_view(self, request, object_id):
        obj = self._get_for_action(request, object_id)
        if request.method == "POST":
            try:
                services.incident_acknowledge(incident=obj, user=request.user)
            except DomainError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                self.message_user(request, f"{obj.reference} acknowledged.", messages.SUCCESS)
            return HttpResponseRedirect(self._change_url(obj))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Acknowledge {obj.reference}",
            "opts": self.model._meta,
            "original": obj,
            "change_url": self._change_url(obj),
        }
        return TemplateResponse(request, "admin/incidents/incident/acknowledge.html", context)

    @admin.action(description="Acknowledge selected incidents", permissions=["change"])
    def acknowledge_selected(self, request, queryset):
        done, skipped = 0, []
        for incident in queryset:
            try:
                services.incident_acknowledge(incident=incident, user=request.user)
                done += 1
            except DomainError:
                skipped.append(incident.reference)
        self.message_user(request, f"Acknowledged {done} incident(s).", messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                "Already acknowledged or not open: " + ", ".join(skipped),
                messages.WARNING,
            )


# --- users: the stock user admin, with read-only history ---------------------------------
class UserHistoryAdmin(ReadOnlyHistoryAdmin, BaseUserAdmin):
    pass


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), UserHistoryAdmin)


# --- reference data and read-only lists ----------------------------------------------------
@admin.register(SeverityPolicy)
class SeverityPolicyAdmin(ReadOnlyHistoryAdmin):
    fixed_rows = True
    list_display = ["severity", "name", "response_minutes", "postmortem_required"]
    ordering = ["severity"]

    def get_readonly_fields(self, request, obj=None):
        return ["severity"]


@admin.register(Service)
class ServiceAdmin(ReadOnlyHistoryAdmin):
    list_display = ["name", "tier", "customer_facing", "owner", "owning_team"]
    list_filter = ["tier", "customer_facing", "owning_team"]
    search_fields = ["name", "description", "owning_team", "owner__username"]
    list_select_related = ["owner"]


class ChecklistTemplateItemInline(admin.TabularInline):
    model = ChecklistTemplateItem
    fields = ["order", "text"]
    extra = 1


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(ReadOnlyHistoryAdmin):
    list_display = ["name", "phase", "order", "active", "step_count"]
    list_filter = ["phase", "active"]
    search_fields = ["name", "items__text"]
    inlines = [ChecklistTemplateItemInline]

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(_steps=Count("items"))

    @admin.display(description="Steps", ordering="_steps")
    def step_count(self, obj):
        return obj._steps


@admin.register(TimelineEntry)
class TimelineEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "incident", "kind", "author", "text"]
    list_filter = ["kind", ("at", admin.DateFieldListFilter)]
    search_fields = ["text", "incident__reference", "author__username"]
    list_select_related = ["incident", "author"]
    date_hierarchy = "at"
    show_full_result_count = False

    def get_queryset(self, request):
        visible = incidents_visible_to(request.user)
        return super().get_queryset(request).filter(incident__in=visible.values("pk"))


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ReadOnlyAdmin):
    list_display = ["incident", "role", "user", "assigned_at", "relieved_at"]
    list_filter = ["role", ("relieved_at", admin.EmptyFieldListFilter)]
    search_fields = ["incident__reference", "user__username"]
    list_select_related = ["incident", "user"]

    def get_queryset(self, request):
        visible = incidents_visible_to(request.user)
        return super().get_queryset(request).filter(incident__in=visible.values("pk"))


# Admins of the other areas register themselves on import.
from . import admin_alerts, admin_api, admin_communications  # noqa: E402, F401

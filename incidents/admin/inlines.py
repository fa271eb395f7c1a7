"""The incident page's inlines (roles, timeline, checklists, escalations) and the incident
list's filters."""

from django.contrib import admin
from django.db.models import F
from django.utils import timezone

from .. import domain
from ..escalation.messages import position_labels
from ..forms import AddNoteForm, AssignRoleForm, ChecklistItemForm
from ..kernel.durations import format_moment
from ..models import ChecklistItem, EscalationEvent, RoleAssignment, TimelineEntry
from .base import AddOnlyInline, ReadOnlyInline


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


class AddNoteInline(AddOnlyInline):
    page_section = "note"
    model = TimelineEntry
    form = AddNoteForm
    verbose_name = "note"
    verbose_name_plural = "Add a note to the timeline"
    fields = ["text", "at"]
    add_permission = "incidents.add_timelineentry"


class ChecklistInline(admin.TabularInline):
    """Rendered by phase, the current phase first and the others folded
    (admin.command.checklist_groups)."""

    page_section = "checklist"
    template = "admin/incidents/incident/checklist_inline.html"
    model = ChecklistItem
    form = ChecklistItemForm
    verbose_name = "step"
    verbose_name_plural = "Checklist"
    fields = ["phase", "done", "text", "section", "completed"]
    readonly_fields = ["phase", "section", "text", "completed"]
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

    @admin.display(description="Completed")
    def completed(self, obj):
        """Who ticked the step and when; nothing while it is open."""
        if not obj.is_done:
            return ""
        who = obj.done_by.get_username() if obj.done_by else "someone"
        return f"by {who}, {format_moment(obj.done_at)}"

    @admin.display(description="Done", boolean=True)
    def done(self, obj):
        """What a read-only page (auditors, closed incidents) shows in place of the tick box."""
        return obj.is_done


class EscalationInline(ReadOnlyInline):
    model = EscalationEvent
    verbose_name_plural = "Escalations fired"
    fields = ["level", "reason", "due_at", "fired_at", "paged_positions", "paged_people"]

    @admin.display(description="Positions paged")
    def paged_positions(self, obj):
        return position_labels(obj.positions) or "—"

    @admin.display(description="People paged")
    def paged_people(self, obj):
        return ", ".join(str(name) for name in obj.targets or ()) or "—"


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

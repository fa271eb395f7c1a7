"""Users (with read-only history), reference data (severity policies, the service
catalogue, checklist templates) and the read-only lists of timeline entries and roles."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Count

from ..models import (
    ChecklistTemplate,
    ChecklistTemplateItem,
    RoleAssignment,
    Service,
    SeverityPolicy,
    TimelineEntry,
)
from .base import IncidentScopedAdminMixin, ReadOnlyAdmin, ReadOnlyHistoryAdmin


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

        return super().get_queryset(request).annotate(_steps=Count("items"))

    @admin.display(description="Steps", ordering="_steps")
    def step_count(self, obj):
        return obj._steps


@admin.register(TimelineEntry)
class TimelineEntryAdmin(IncidentScopedAdminMixin, ReadOnlyAdmin):
    list_display = ["at", "incident", "kind", "author", "text"]
    list_filter = ["kind", ("at", admin.DateFieldListFilter)]
    search_fields = ["text", "incident__reference", "author__username"]
    list_select_related = ["incident", "author"]
    date_hierarchy = "at"
    show_full_result_count = False


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(IncidentScopedAdminMixin, ReadOnlyAdmin):
    list_display = ["incident", "role", "user", "assigned_at", "relieved_at"]
    list_filter = ["role", ("relieved_at", admin.EmptyFieldListFilter)]
    search_fields = ["incident__reference", "user__username"]
    list_select_related = ["incident", "user"]

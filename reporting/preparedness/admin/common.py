"""What the preparedness admins share: status badges, list filters, inline templates and the
base admin that saves through the services."""

from django.contrib import admin
from django.template import engines
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.html import format_html

from incidents.admin.base import ReadOnlyHistoryAdmin

from .. import domain, selectors
from ..choices import DutyStatus, TrainingValidity

STATUS_COLOURS = {
    DutyStatus.OVERDUE: "#c62828",
    DutyStatus.DUE: "#ef6c00",
    DutyStatus.DONE: "#2e7d32",
    TrainingValidity.EXPIRED: "#c62828",
    TrainingValidity.EXPIRING: "#ef6c00",
}


def inline_template(source: str):
    # Templates of this sub-package live here (it is not an app, so it has no templates
    # directory of its own); compiled on first use.
    return SimpleLazyObject(lambda: engines["django"].from_string(source))


def utc_today():
    return domain.today_utc(timezone.now())


def status_badge(value: str, label: str):
    colour = STATUS_COLOURS.get(value, "inherit")
    weight = "bold" if value in (DutyStatus.OVERDUE, TrainingValidity.EXPIRED) else "normal"
    return format_html('<span style="color:{};font-weight:{}">{}</span>', colour, weight, label)


class DutyStatusFilter(admin.SimpleListFilter):
    """Scheduled / due within a week / overdue / done, computed in SQL for today (UTC)."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return DutyStatus.choices

    def queryset(self, request, queryset):
        if self.value() in DutyStatus.values:
            return selectors.filter_duty_status(queryset, self.value(), today=utc_today())
        return queryset


class QuarterFilter(admin.SimpleListFilter):
    title = "quarter"
    parameter_name = "quarter"

    def lookups(self, request, model_admin):
        quarters = (
            model_admin.get_queryset(request)
            .order_by("-quarter")
            .values_list("quarter", flat=True)
            .distinct()[:12]
        )
        return [(q, q) for q in quarters]

    def queryset(self, request, queryset):
        return queryset.filter(quarter=self.value()) if self.value() else queryset


class GroupFilter(admin.SimpleListFilter):
    title = "staff group"
    parameter_name = "group"

    def lookups(self, request, model_admin):
        return [(g.value, g.label) for g in selectors.RESPONSE_GROUPS]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(user__groups__name=self.value())
        return queryset


class ValidityFilter(admin.SimpleListFilter):
    title = "validity"
    parameter_name = "validity"

    def lookups(self, request, model_admin):
        return [*TrainingValidity.choices, ("latest", "Latest per person and topic")]

    def queryset(self, request, queryset):
        if self.value() == "latest":
            return queryset.exclude(selectors.superseded_q())
        if self.value() in TrainingValidity.values:
            return selectors.filter_training_validity(queryset, self.value(), today=utc_today())
        return queryset


class DutyAdmin(ReadOnlyHistoryAdmin):
    """Save through the services; the services set m2m fields themselves."""

    def save_related(self, request, form, formsets, change):
        pass

    def has_delete_permission(self, request, obj=None):
        return False  # evidence of preparedness: corrected, never deleted

    def _adopt(self, obj, saved):
        """Point the admin's unsaved object at the row the service wrote."""
        obj.pk = saved.pk
        obj.refresh_from_db()

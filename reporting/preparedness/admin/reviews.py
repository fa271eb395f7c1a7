"""Admin of the quarterly procedure reviews."""

from django.contrib import admin
from django.utils import timezone

from .. import domain, services
from ..choices import DutyStatus
from ..forms import ProcedureReviewForm
from ..models import ProcedureReview
from .common import (
    DutyAdmin,
    DutyStatusFilter,
    QuarterFilter,
    status_badge,
    utc_today,
)


@admin.register(ProcedureReview)
class ProcedureReviewAdmin(DutyAdmin):
    form = ProcedureReviewForm
    list_display = [
        "quarter",
        "due_on",
        "status",
        "reviewer",
        "outcome",
        "completed_at",
        "completed_by",
    ]
    list_filter = [DutyStatusFilter, QuarterFilter, "outcome", "reviewer"]
    list_select_related = ["reviewer", "completed_by"]
    search_fields = ["quarter", "changes_made", "procedure_version", "reviewer__username"]
    date_hierarchy = "due_on"

    def get_fieldsets(self, request, obj=None):
        fieldsets = [(None, {"fields": ["quarter", "reviewer", "due_on", "procedure_version"]})]
        if obj is not None:
            fieldsets.append(
                (
                    "Complete the review",
                    {"fields": ["outcome", "changes_made", ("completed_at", "completed_by")]},
                )
            )
            fieldsets.append(
                ("Reminders", {"fields": [("opened_at", "next_reminder_at", "reminders_sent")]})
            )
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        fields = ["opened_at", "completed_at", "completed_by", "next_reminder_at", "reminders_sent"]
        if obj is not None:
            fields.append("quarter")
            if obj.is_done:
                fields += ["due_on", "outcome", "changes_made"]
        return fields

    @admin.display(description="Status")
    def status(self, obj):
        value = domain.duty_status(due_on=obj.due_on, done=obj.is_done, today=utc_today())
        return status_badge(value, DutyStatus(value).label)

    def save_model(self, request, obj, form, change):
        data, now, user = form.cleaned_data, timezone.now(), request.user
        if not change:
            review, _ = services.procedure_review_open_for_quarter(
                quarter=data["quarter"], now=now, reviewer=data.get("reviewer"), by=user
            )
            if data.get("due_on") and data["due_on"] != review.due_on:
                services.procedure_review_update(
                    review=review, by=user, reviewer=review.reviewer, due_on=data["due_on"]
                )
            if data.get("procedure_version"):
                services.procedure_review_update(
                    review=review,
                    by=user,
                    reviewer=review.reviewer,
                    procedure_version=data["procedure_version"],
                )
            self._adopt(obj, review)
            return
        plan = {"reviewer", "due_on", "procedure_version"} & set(form.changed_data)
        if plan:
            extra = (
                {"procedure_version": data["procedure_version"]}
                if "procedure_version" in plan
                else {}
            )
            services.procedure_review_update(
                review=obj.pk,
                by=user,
                reviewer=data.get("reviewer"),
                due_on=data.get("due_on") if "due_on" in plan else None,
                **extra,
            )
        if data.get("outcome") and "outcome" in form.changed_data:
            services.procedure_review_complete(
                review=obj.pk,
                by=user,
                outcome=data["outcome"],
                changes_made=data.get("changes_made") or "",
                now=now,
            )
        obj.refresh_from_db()

"""Admin for the escalation matrix, on-call, contact points and the delivery outbox."""

from datetime import timedelta

from django.contrib import admin, messages
from django.utils import timezone

from ..choices import DeliveryStatus
from ..domain import DomainError
from ..escalation import rules
from ..escalation.services import escalations_overdue
from ..models import (
    ContactPoint,
    Delivery,
    EscalationEvent,
    EscalationLevel,
    OnCallShift,
    PositionHolder,
)
from ..outbox.services import delivery_resend
from ..selectors import incidents_visible_to
from .base import IncidentScopedAdminMixin, ReadOnlyAdmin, ReadOnlyHistoryAdmin


@admin.register(EscalationLevel)
class EscalationLevelAdmin(ReadOnlyHistoryAdmin):
    list_display = ["severity", "level", "delay_minutes", "positions", "stop_condition"]
    list_filter = ["severity", "stop_condition"]
    ordering = ["severity", "level"]


@admin.register(PositionHolder)
class PositionHolderAdmin(ReadOnlyHistoryAdmin):
    fixed_rows = True
    list_display = ["position", "group", "holders"]
    filter_horizontal = ["users"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("group").prefetch_related("users")

    @admin.display(description="Users")
    def holders(self, obj):
        return ", ".join(user.get_username() for user in obj.users.all()) or "—"


class OnCallNowFilter(admin.SimpleListFilter):
    title = "when"
    parameter_name = "when"

    def lookups(self, request, model_admin):
        return [("now", "On call now"), ("upcoming", "Upcoming"), ("past", "Past")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "now":
            return queryset.filter(starts_at__lte=now, ends_at__gt=now)
        if self.value() == "upcoming":
            return queryset.filter(starts_at__gt=now)
        if self.value() == "past":
            return queryset.filter(ends_at__lte=now)
        return queryset


@admin.register(OnCallShift)
class OnCallShiftAdmin(ReadOnlyHistoryAdmin):
    list_display = ["user", "starts_at", "ends_at", "service", "note"]
    list_filter = [OnCallNowFilter, "service"]
    search_fields = ["user__username", "note"]
    list_select_related = ["user", "service"]
    date_hierarchy = "starts_at"

    def changelist_view(self, request, extra_context=None):
        now = timezone.now()
        on_call = OnCallShift.objects.filter(starts_at__lte=now, ends_at__gt=now).select_related(
            "user", "service"
        )
        names = ", ".join(
            f"{s.user.get_username()} ({s.service or 'all services'})" for s in on_call
        )
        self.message_user(request, f"On call now: {names or 'nobody'}", messages.INFO)
        week_end = now + timedelta(days=7)
        general = OnCallShift.objects.filter(
            service__isnull=True, ends_at__gt=now, starts_at__lt=week_end
        ).values_list("starts_at", "ends_at")
        problems = rules.coverage_problems(
            [rules.Interval(start, end) for start, end in general],
            window_start=now,
            window_end=week_end,
        )
        for kind, start, end in problems[:10]:
            label = "Nobody on call" if kind == "gap" else "Overlapping shifts"
            self.message_user(
                request,
                f"{label} from {timezone.localtime(start):%a %d %b %H:%M} "
                f"to {timezone.localtime(end):%a %d %b %H:%M} (coming week, general rota)",
                messages.WARNING,
            )
        return super().changelist_view(request, extra_context)


@admin.register(ContactPoint)
class ContactPointAdmin(ReadOnlyHistoryAdmin):
    list_display = ["user", "email", "chat_handle", "accepts_email", "accepts_chat", "verified_at"]
    list_filter = ["accepts_email", "accepts_chat"]
    search_fields = ["user__username", "email", "chat_handle"]
    list_select_related = ["user"]


@admin.register(EscalationEvent)
class EscalationEventAdmin(IncidentScopedAdminMixin, ReadOnlyAdmin):
    list_display = ["incident", "level", "reason", "due_at", "fired_at", "paged"]
    list_filter = ["reason", "level"]
    search_fields = ["incident__reference"]
    list_select_related = ["incident"]
    date_hierarchy = "fired_at"

    @admin.display(description="Paged")
    def paged(self, obj):
        return ", ".join(obj.targets) or "nobody"


@admin.register(Delivery)
class DeliveryAdmin(IncidentScopedAdminMixin, ReadOnlyAdmin):
    superuser_sees_all = True  # they also see deliveries of no incident

    list_display = [
        "created_at",
        "channel",
        "target",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
    ]
    list_filter = ["status", "channel", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["target", "subject", "idempotency_key", "incident__reference"]
    list_select_related = ["incident"]
    actions = ["resend"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def has_resend_permission(self, request):
        return request.user.has_perm("incidents.change_delivery")

    @admin.action(description="Re-send selected failed deliveries", permissions=["resend"])
    def resend(self, request, queryset):
        sent, refused = 0, []
        for delivery in queryset:
            try:
                delivery_resend(delivery=delivery, user=request.user)
                sent += 1
            except DomainError:
                refused.append(str(delivery.pk))
        if sent:
            self.message_user(request, f"Queued {sent} delivery(ies) again.", messages.SUCCESS)
        if refused:
            self.message_user(
                request,
                "Only failed deliveries are re-sent; skipped: " + ", ".join(refused),
                messages.WARNING,
            )

    def changelist_view(self, request, extra_context=None):
        failed = self.get_queryset(request).filter(status=DeliveryStatus.FAILED).count()
        if failed:
            self.message_user(
                request,
                f"{failed} delivery(ies) failed for good; filter by status to re-send them.",
                messages.WARNING,
            )
        return super().changelist_view(request, extra_context)


def overdue_escalation_warning(request, model_admin) -> None:
    """Shown on the incident list: the dispatcher is behind (or not running)."""
    late = escalations_overdue().filter(pk__in=incidents_visible_to(request.user).values("pk"))[:5]
    late = list(late.values_list("reference", flat=True))
    if late:
        model_admin.message_user(
            request,
            "Escalations are overdue and not dispatched (is Celery beat running?): "
            + ", ".join(late),
            messages.ERROR,
        )

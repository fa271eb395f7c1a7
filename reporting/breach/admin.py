"""Breach admin: regimes (editable data), the breach register and its obligations. Writes
go through reporting.breach.services."""

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Min, Q
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from incidents.admin.base import IncidentScopedAdminMixin, ReadOnlyHistoryAdmin
from incidents.kernel.durations import format_moment
from incidents.selectors import incidents_visible_to, incidents_withheld_from

from ..permissions import AUDIT_PERM, REGISTER_PERM
from . import services
from .choices import ObligationStatus
from .forms import BreachAssessmentForm, ObligationForm
from .models import BreachAssessment, NotificationObligation, Regime, RegimeStage
from .register import register_csv_response
from .services import ANCHOR_NAMES, FACT_FIELDS


# --- regimes ---------------------------------------------------------------------------------
class RegimeStageInline(admin.StackedInline):
    model = RegimeStage
    extra = 0
    fields = [
        ("code", "name", "order", "active"),
        ("anchor", "amount", "unit", "holiday_calendar"),
        ("business_day_zone", "business_day_ends", "deadline_text"),
        ("cap_anchor", "cap_amount", "cap_unit"),
        ("recipient", "applicability", "threshold"),
        "required_contents",
        ("rule_version", "source"),
    ]


@admin.register(Regime)
class RegimeAdmin(ReadOnlyHistoryAdmin):
    list_display = ["name", "code", "jurisdiction", "rule_version", "active"]
    list_filter = ["active", "jurisdiction"]
    search_fields = ["name", "code", "source"]
    inlines = [RegimeStageInline]


@admin.register(RegimeStage)
class RegimeStageAdmin(ReadOnlyHistoryAdmin):
    list_display = [
        "__str__",
        "anchor",
        "amount",
        "unit",
        "cap_anchor",
        "cap_amount",
        "recipient",
        "applicability",
    ]
    list_filter = ["regime", "anchor", "unit", "holiday_calendar", "applicability"]
    list_select_related = ["regime"]
    search_fields = ["name", "code", "regime__name", "recipient", "source"]


# --- breach register ---------------------------------------------------------------------
class ObligationInline(admin.TabularInline):
    model = NotificationObligation
    fields = ["stage_link", "status", "recipient", "clock_started", "due", "submitted"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "Notification obligations (each with its own clock)"

    @admin.display(description="Clock started")
    def clock_started(self, obj):
        return format_moment(obj.anchor_at) or "not yet: its starting event is not recorded"

    @admin.display(description="Due")
    def due(self, obj):
        if obj.due_at:
            return format_moment(obj.due_at)
        return (
            "no deadline until its clock starts" if obj.anchor_at is None else "no fixed deadline"
        )

    @admin.display(description="Submitted")
    def submitted(self, obj):
        return format_moment(obj.submitted_at) or "—"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("stage__regime")

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="Stage")
    def stage_link(self, obj):
        url = reverse("admin:reporting_notificationobligation_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.stage)


class NotifiedFilter(admin.SimpleListFilter):
    title = "notification"
    parameter_name = "notified"

    def lookups(self, request, model_admin):
        return [
            ("overdue", "A notification is overdue"),
            ("pending", "Notifications pending"),
            ("notified", "Notified (at least one submitted)"),
            ("none", "Not notified"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "overdue":
            return queryset.filter(
                obligations__status=ObligationStatus.PENDING,
                obligations__due_at__lt=timezone.now(),
            ).distinct()
        if value == "pending":
            return queryset.filter(obligations__status=ObligationStatus.PENDING).distinct()
        if value == "notified":
            return queryset.filter(obligations__status=ObligationStatus.SUBMITTED).distinct()
        if value == "none":
            return queryset.exclude(obligations__status=ObligationStatus.SUBMITTED)
        return queryset


@admin.register(BreachAssessment)
class BreachAssessmentAdmin(IncidentScopedAdminMixin, ReadOnlyHistoryAdmin):
    """The breach register (GDPR Art. 33(5)): every breach, notified or not; need-to-know
    like its incident."""

    form = BreachAssessmentForm
    inlines = [ObligationInline]
    list_display = [
        "incident_link",
        "incident_title",
        "awareness_at",
        "approx_data_subjects",
        "high_risk",
        "pending",
        "submitted",
        "next_due",
    ]
    list_filter = [
        NotifiedFilter,
        "high_risk",
        "personal_data_involved",
        "regimes",
        "incident__severity",
        "incident__status",
        ("awareness_at", admin.DateFieldListFilter),
    ]
    search_fields = ["incident__reference", "incident__title", "nature"]
    actions = ["export_csv"]
    readonly_fields = [
        "incident",
        "created_at",
        "created_by",
        *(f"{n}_set_by" for n in ANCHOR_NAMES),
    ]
    readonly_fields += ["high_risk_decided_by"]

    def get_fieldsets(self, request, obj=None):
        times = [(f"{n}_at", f"{n}_reason", f"{n}_set_by") for n in ANCHOR_NAMES]
        return [
            (None, {"fields": ["incident", ("created_at", "created_by")]}),
            ("Clock-starting times (who set each, and why, is recorded)", {"fields": times}),
            ("The breach", {"fields": list(FACT_FIELDS)}),
            (
                "Risk to individuals",
                {"fields": ["high_risk", "high_risk_rationale", "high_risk_decided_by"]},
            ),
            ("Regimes that apply", {"fields": ["regimes"]}),
        ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("incident")
            .annotate(
                _pending=Count("obligations", filter=Q(obligations__status="pending")),
                _submitted=Count("obligations", filter=Q(obligations__status="submitted")),
                _next_due=Min("obligations__due_at", filter=Q(obligations__status="pending")),
            )
        )

    def has_add_permission(self, request):
        return False  # started from the incident page (its reference fixes the record)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Incident", ordering="incident__reference")
    def incident_link(self, obj):
        return obj.incident.reference

    @admin.display(description="Title")
    def incident_title(self, obj):
        return obj.incident.title

    @admin.display(description="Pending", ordering="_pending")
    def pending(self, obj):
        return obj._pending

    @admin.display(description="Submitted", ordering="_submitted")
    def submitted(self, obj):
        return obj._submitted

    @admin.display(description="Next deadline", ordering="_next_due")
    def next_due(self, obj):
        if obj._next_due is None:
            return "—"
        overdue = obj._next_due < timezone.now()
        return format_html(
            '<span style="color:{}">{}</span>',
            "#c62828" if overdue else "inherit",
            obj._next_due.strftime("%Y-%m-%d %H:%M UTC"),
        )

    # saving through the services --------------------------------------------------------
    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        user = request.user
        for name in ANCHOR_NAMES:
            if f"{name}_at" in form.changed_data:
                services.breach_assessment_set_time(
                    assessment=obj.pk,
                    anchor=name,
                    at=data[f"{name}_at"],
                    reason=data[f"{name}_reason"],
                    user=user,
                )
        # A changed decision (back to unknown too), or a new rationale for a decision.
        if "high_risk" in form.changed_data or (
            "high_risk_rationale" in form.changed_data and data["high_risk"] is not None
        ):
            services.breach_assessment_decide_high_risk(
                assessment=obj.pk,
                high_risk=data["high_risk"],
                rationale=data["high_risk_rationale"],
                user=user,
            )
        facts = {name: data[name] for name in FACT_FIELDS if name in form.changed_data}
        regimes = data["regimes"] if "regimes" in form.changed_data else None
        if facts or regimes is not None:
            services.breach_assessment_update(
                assessment=obj.pk, user=user, regimes=regimes, **facts
            )
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        # Regimes were set by the service; the obligations inline is read-only.
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    # register export ---------------------------------------------------------------------
    @admin.action(description="Export selected to CSV (breach register)")
    def export_csv(self, request, queryset):
        if not request.user.has_perm(REGISTER_PERM) and not request.user.has_perm(AUDIT_PERM):
            raise PermissionDenied
        return register_csv_response(queryset)

    def get_urls(self):
        custom = [
            path(
                "start/<int:incident_id>/",
                self.admin_site.admin_view(self.start_view),
                name="reporting_breachassessment_start",
            ),
            path(
                "export/",
                self.admin_site.admin_view(self.export_all_view),
                name="reporting_breachassessment_export",
            ),
        ]
        return custom + super().get_urls()

    def export_all_view(self, request):
        """The whole register (as filtered on the list page) as CSV."""
        if not (request.user.has_perm(REGISTER_PERM) or request.user.has_perm(AUDIT_PERM)):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
            queryset = changelist.get_queryset(request)
        except IncorrectLookupParameters:
            # As the list page does: back to it, flagged, instead of a 500.
            return HttpResponseRedirect(
                reverse("admin:reporting_breachassessment_changelist") + "?e=1"
            )
        # The whole register: say how many assessments need-to-know keeps out of it.
        withheld = BreachAssessment.objects.filter(
            incident__in=incidents_withheld_from(request.user).values("pk")
        ).count()
        return register_csv_response(queryset, withheld=withheld)

    def start_view(self, request, incident_id):
        incident = incidents_visible_to(request.user).filter(pk=incident_id).first()
        if incident is None:
            raise Http404("No such incident.")
        existing = BreachAssessment.objects.filter(incident=incident).first()
        if existing is None:
            if request.method != "POST":
                context = {
                    **self.admin_site.each_context(request),
                    "title": f"Start the breach assessment of {incident.reference}",
                    "opts": self.model._meta,
                    "incident": incident,
                }
                return TemplateResponse(
                    request, "admin/reporting/breachassessment/start.html", context
                )
            if not request.user.has_perm("reporting.add_breachassessment"):
                raise PermissionDenied
            existing = services.breach_assessment_start(incident=incident, user=request.user)
            self.message_user(
                request,
                "Breach assessment started: set the awareness time and choose the regimes.",
                messages.SUCCESS,
            )
        return HttpResponseRedirect(
            reverse("admin:reporting_breachassessment_change", args=[existing.pk])
        )


@admin.register(NotificationObligation)
class NotificationObligationAdmin(IncidentScopedAdminMixin, ReadOnlyHistoryAdmin):
    incident_path = "assessment__incident"
    form = ObligationForm
    list_display = ["stage", "incident", "status", "due_at", "submitted_at", "recipient"]
    list_filter = ["status", "stage__regime", ("due_at", admin.DateFieldListFilter)]
    search_fields = ["assessment__incident__reference", "reference_number", "recipient"]
    list_select_related = ["stage__regime", "assessment__incident"]
    readonly_fields = [
        "assessment",
        "stage",
        "status",
        "anchor_at",
        "due_at",
        "next_reminder_at",
        "reminders_sent",
        "overdue_alarmed_at",
        "submitted_by",
        "content_snapshot",
        "decided_by",
        "decided_at",
    ]

    def get_fieldsets(self, request, obj=None):
        return [
            (None, {"fields": ["assessment", "stage", "status", ("anchor_at", "due_at")]}),
            (
                "Record it",
                {
                    "fields": [
                        "record",
                        "submitted_at",
                        "reference_number",
                        "recipient",
                        "contents",
                        "rationale",
                    ]
                },
            ),
            (
                "Record so far",
                {
                    "fields": [
                        "submitted_by",
                        "content_snapshot",
                        ("decided_by", "decided_at"),
                        ("next_reminder_at", "reminders_sent", "overdue_alarmed_at"),
                    ]
                },
            ),
        ]

    @admin.display(description="Incident")
    def incident(self, obj):
        return obj.assessment.incident.reference

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if data.get("record") == "submit":
            services.obligation_submit(
                obligation=obj.pk,
                user=request.user,
                submitted_at=data.get("submitted_at"),
                reference_number=data.get("reference_number") or "",
                recipient=data.get("recipient") or "",
                contents=data.get("contents") or {},
            )
        elif data.get("record") == "not_required":
            services.obligation_mark_not_required(
                obligation=obj.pk, rationale=data["rationale"], user=request.user
            )
        obj.refresh_from_db()

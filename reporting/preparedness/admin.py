"""Admin for preparedness (imported by reporting/admin.py): procedure reviews, drills,
training records (with coverage per group) and contact verifications. Every save goes
through reporting.preparedness.services; history is read-only (incidents.admin.base)."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpResponseRedirect
from django.template import engines
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.html import format_html

from incidents.admin.base import ReadOnlyHistoryAdmin
from incidents.domain import DomainError
from incidents.selectors import user_can_see_incident

from . import domain, selectors, services
from .choices import DutyStatus, TrainingTopic, TrainingValidity
from .forms import ContactConfirmForm, DrillForm, ProcedureReviewForm, TrainingRecordForm
from .models import ContactVerification, Drill, ProcedureReview, TrainingRecord

VIEW_ALL_TRAINING = "reporting.view_all_training"
VIEW_ALL_VERIFICATIONS = "reporting.view_all_contact_verifications"
STATUS_COLOURS = {
    DutyStatus.OVERDUE: "#c62828",
    DutyStatus.DUE: "#ef6c00",
    DutyStatus.DONE: "#2e7d32",
    TrainingValidity.EXPIRED: "#c62828",
    TrainingValidity.EXPIRING: "#ef6c00",
}


def _template(source: str):
    # Templates of this sub-package live here (it is not an app, so it has no templates
    # directory of its own); compiled on first use.
    return SimpleLazyObject(lambda: engines["django"].from_string(source))


def _today():
    return domain.today_utc(timezone.now())


def _badge(value: str, label: str):
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
            return selectors.filter_duty_status(queryset, self.value(), today=_today())
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
            return selectors.filter_training_validity(queryset, self.value(), today=_today())
        return queryset


class _DutyAdmin(ReadOnlyHistoryAdmin):
    """Save through the services; the services set m2m fields themselves."""

    def save_related(self, request, form, formsets, change):
        pass

    def has_delete_permission(self, request, obj=None):
        return False  # evidence of preparedness: corrected, never deleted

    def _adopt(self, obj, saved):
        """Point the admin's unsaved object at the row the service wrote."""
        obj.pk = saved.pk
        obj.refresh_from_db()


# --- procedure reviews -------------------------------------------------------------------------
@admin.register(ProcedureReview)
class ProcedureReviewAdmin(_DutyAdmin):
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
        value = domain.duty_status(due_on=obj.due_on, done=obj.is_done, today=_today())
        return _badge(value, DutyStatus(value).label)

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


# --- drills ------------------------------------------------------------------------------------
DRILL_CHANGE_FORM = _template(
    """{% extends "admin/change_form.html" %}
{% block object-tools-items %}
  {% if run_as_incident_url %}
  <li><form method="post" action="{{ run_as_incident_url }}" style="display:inline">
    {% csrf_token %}
    <button type="submit" class="historylink" style="border:0;cursor:pointer">
      Run as incident (drill)</button></form></li>
  {% endif %}
  {% if drill_incident_url %}
  <li><a href="{{ drill_incident_url }}">Drill incident</a></li>
  {% endif %}
  {{ block.super }}
{% endblock %}"""
)


@admin.register(Drill)
class DrillAdmin(_DutyAdmin):
    form = DrillForm
    change_form_template = DRILL_CHANGE_FORM
    list_display = [
        "title",
        "quarter",
        "scheduled_for",
        "status",
        "severity",
        "incident_type",
        "facilitator",
        "participant_count",
        "incident_link",
    ]
    list_filter = [
        DutyStatusFilter,
        QuarterFilter,
        "severity",
        "incident_type",
        "auto_scheduled",
        "facilitator",
    ]
    list_select_related = ["facilitator", "incident"]
    search_fields = ["title", "scenario", "evaluation", "improvements", "incident__reference"]
    date_hierarchy = "scheduled_for"
    filter_horizontal = ["participants"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_participants=Count("participants"))

    def get_fieldsets(self, request, obj=None):
        plan = ["title", "scenario", ("incident_type", "severity"), "scheduled_for", "facilitator"]
        fieldsets = [("Plan", {"fields": [*plan, "participants"]})]
        if obj is not None:
            fieldsets += [
                (
                    "Outcome (record after the drill)",
                    {"fields": ["held_at", "evaluation", "improvements", "recorded_by"]},
                ),
                (
                    "Tracking",
                    {
                        "fields": [
                            ("quarter", "auto_scheduled", "incident_reference"),
                            ("created_at", "next_reminder_at", "reminders_sent"),
                        ]
                    },
                ),
            ]
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        fields = [
            "quarter",
            "auto_scheduled",
            "incident_reference",
            "created_at",
            "recorded_by",
            "next_reminder_at",
            "reminders_sent",
        ]
        if obj is not None and obj.is_done:
            fields += ["title", "scenario", "incident_type", "severity", "scheduled_for"]
            fields += ["facilitator"]
        return fields

    @admin.display(description="Status")
    def status(self, obj):
        due_on = domain.today_utc(obj.scheduled_for)
        value = domain.duty_status(due_on=due_on, done=obj.is_done, today=_today())
        return _badge(value, DutyStatus(value).label)

    @admin.display(description="Participants", ordering="_participants")
    def participant_count(self, obj):
        return obj._participants

    @admin.display(description="Incident", ordering="incident__reference")
    def incident_link(self, obj):
        if obj.incident is None:
            return "—"
        url = reverse("admin:incidents_incident_change", args=[obj.incident_id])
        return format_html('<a href="{}">{}</a>', url, obj.incident.reference)

    # Plain text: the link sits in the object tools, shown only to those who may open the
    # incident (a security drill is need-to-know like a real security incident).
    @admin.display(description="Incident")
    def incident_reference(self, obj):
        return obj.incident.reference if obj.incident_id else "—"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        # get_object() answers None for a malformed id (the admin then says "not found").
        drill = self.get_object(request, unquote(object_id))
        if drill is not None:
            if drill.incident_id:
                if user_can_see_incident(request.user, drill.incident):
                    extra_context["drill_incident_url"] = reverse(
                        "admin:incidents_incident_change", args=[drill.incident_id]
                    )
            elif not drill.is_done and self._may_run(request):
                extra_context["run_as_incident_url"] = reverse(
                    "admin:reporting_drill_run", args=[drill.pk]
                )
        return super().change_view(request, object_id, form_url, extra_context)

    def _may_run(self, request):
        return request.user.has_perm("reporting.change_drill") and request.user.has_perm(
            "incidents.add_incident"
        )

    def get_urls(self):
        return [
            path(
                "<int:object_id>/run/",
                self.admin_site.admin_view(self.run_view),
                name="reporting_drill_run",
            ),
            *super().get_urls(),
        ]

    def run_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:reporting_drill_change", args=[object_id]))
        if not self._may_run(request):
            raise PermissionDenied
        drill = self.get_queryset(request).filter(pk=object_id).first()
        if drill is None:
            raise Http404("No such drill.")
        drill_url = reverse("admin:reporting_drill_change", args=[drill.pk])
        try:
            incident = services.drill_run_as_incident(
                drill=drill, by=request.user, now=timezone.now()
            )
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(drill_url)
        message = (
            f"Drill running as {incident.reference} (is_drill; excluded from KPIs). "
            "Work it through the normal workflow, then record the outcome on the drill."
        )
        if not user_can_see_incident(request.user, incident):
            # A security drill is need-to-know like a real one: whoever started it without
            # clearance stays on the drill page instead of landing on a 404.
            self.message_user(
                request,
                f"{message} It is a security incident: only the Security Lead group and "
                "its responders can open it.",
                messages.WARNING,
            )
            return HttpResponseRedirect(drill_url)
        self.message_user(request, message, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:incidents_incident_change", args=[incident.pk]))

    def save_model(self, request, obj, form, change):
        data, now, user = form.cleaned_data, timezone.now(), request.user
        participants = data.get("participants")
        if not change:
            drill = services.drill_create(
                by=user,
                now=now,
                title=data["title"],
                scenario=data["scenario"],
                incident_type=data["incident_type"],
                severity=data["severity"],
                scheduled_for=data["scheduled_for"],
                facilitator=data.get("facilitator"),
                participants=participants or (),
            )
            self._adopt(obj, drill)
            return
        changed = set(form.changed_data)
        plan = {name: data[name] for name in services.DRILL_FIELDS if name in changed}
        outcome = {"held_at", "evaluation", "improvements"} & changed
        if data.get("held_at") and (outcome or "participants" in changed):
            if plan:
                services.drill_update(drill=obj.pk, by=user, **plan)
            services.drill_record_outcome(
                drill=obj.pk,
                by=user,
                now=now,
                held_at=data["held_at"],
                evaluation=data["evaluation"],
                improvements=data.get("improvements") or "",
                participants=participants if "participants" in changed else None,
            )
        elif plan or "participants" in changed:
            services.drill_update(
                drill=obj.pk,
                by=user,
                participants=participants if "participants" in changed else None,
                **plan,
            )
        obj.refresh_from_db()


# --- training --------------------------------------------------------------------------------
TRAINING_CHANGE_LIST = _template(
    """{% extends "admin/change_list.html" %}
{% block result_list %}
<h2 style="margin-top:0">Training coverage on {{ coverage_on|date:"Y-m-d" }}
  (current records per response-role group)</h2>
<table id="training-coverage" style="margin-bottom:1.5em">
  <thead><tr><th>Group</th><th>Members</th>
    {% for label in coverage_topics %}<th>{{ label }}</th>{% endfor %}
    <th>Fully trained</th><th>Coverage</th></tr></thead>
  <tbody>
  {% for row in coverage %}
    <tr><td>{{ row.group }}</td><td>{{ row.members }}</td>
      {% for count in row.topic_counts %}<td>{{ count }}</td>{% endfor %}
      <td>{{ row.fully_trained }}</td>
      <td>{% if row.coverage_rate is None %}—{% else %}
        {% widthratio row.coverage_rate 1 100 %}&nbsp;%{% endif %}</td></tr>
  {% endfor %}
  </tbody>
</table>
{{ block.super }}
{% endblock %}"""
)


@admin.register(TrainingRecord)
class TrainingRecordAdmin(_DutyAdmin):
    form = TrainingRecordForm
    change_list_template = TRAINING_CHANGE_LIST
    list_display = [
        "user",
        "topic",
        "completed_on",
        "expires_on",
        "validity",
        "provider",
        "recorded_by",
    ]
    list_filter = [
        ValidityFilter,
        "topic",
        GroupFilter,
        ("completed_on", admin.DateFieldListFilter),
    ]
    list_select_related = ["user", "recorded_by"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "provider"]
    date_hierarchy = "completed_on"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.has_perm(VIEW_ALL_TRAINING):
            return queryset
        return queryset.filter(user=request.user)

    def has_change_permission(self, request, obj=None):
        return False  # a record is evidence: add a new one rather than edit it

    def get_fields(self, request, obj=None):
        if obj is None:
            return [
                "user",
                "topic",
                "completed_on",
                "expires_on",
                "provider",
                "evidence_url",
                "notes",
            ]
        return [
            "user",
            "topic",
            ("completed_on", "expires_on"),
            "provider",
            "evidence_url",
            "notes",
            ("recorded_at", "recorded_by"),
            ("next_reminder_at", "reminders_sent"),
        ]

    @admin.display(description="Validity today")
    def validity(self, obj):
        value = domain.training_validity(
            completed_on=obj.completed_on, expires_on=obj.expires_on, today=_today()
        )
        return _badge(value, TrainingValidity(value).label)

    def changelist_view(self, request, extra_context=None):
        today = _today()
        coverage = selectors.training_coverage(on=today)
        for row in coverage:
            row["topic_counts"] = [row["by_topic"][topic] for topic in TrainingTopic.values]
        extra_context = {
            **(extra_context or {}),
            "coverage": coverage,
            "coverage_on": today,
            "coverage_topics": TrainingTopic.labels,
        }
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        record, _ = services.training_record_add(
            user=data["user"],
            topic=data["topic"],
            completed_on=data["completed_on"],
            expires_on=data.get("expires_on"),
            provider=data.get("provider") or "",
            evidence_url=data.get("evidence_url") or "",
            notes=data.get("notes") or "",
            by=request.user,
            now=timezone.now(),
        )
        self._adopt(obj, record)


# --- contact verification --------------------------------------------------------------------
CONFIRM_TEMPLATE = _template(
    """{% extends "admin/base_site.html" %}
{% block content %}
<p>Incident escalation reaches <strong>{{ verification.user }}</strong> at these details.
Check them, correct them if needed, and confirm ({{ verification.quarter }}, due
{{ verification.due_on|date:"Y-m-d" }}).</p>
<form method="post">{% csrf_token %}
  <table>{{ form.as_table }}</table>
  <div class="submit-row">
    <input type="submit" class="default" value="Confirm contact details"></div>
</form>
{% endblock %}"""
)


@admin.register(ContactVerification)
class ContactVerificationAdmin(_DutyAdmin):
    list_display = [
        "user",
        "quarter",
        "due_on",
        "status",
        "verified_at",
        "verified_by",
        "confirm_link",
    ]
    list_filter = [DutyStatusFilter, QuarterFilter, GroupFilter]
    list_select_related = ["user", "verified_by"]
    search_fields = ["user__username", "user__email", "user__first_name", "user__last_name"]
    date_hierarchy = "due_on"
    actions = ["confirm_selected"]
    fields = [
        "user",
        ("quarter", "due_on"),
        ("verified_at", "verified_by"),
        "confirmed_contact",
        ("opened_at", "next_reminder_at", "reminders_sent"),
        "confirm_link",
    ]
    readonly_fields = [
        *fields[:1],
        "quarter",
        "due_on",
        "verified_at",
        "verified_by",
        "confirmed_contact",
        "opened_at",
        "next_reminder_at",
        "reminders_sent",
        "confirm_link",
    ]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.has_perm(VIEW_ALL_VERIFICATIONS):
            return queryset
        return queryset.filter(user=request.user)

    def has_add_permission(self, request):
        return False  # opened each quarter by the schedule (or `manage.py open_quarter`)

    def has_confirm_permission(self, request):
        return self.has_view_permission(request)

    @admin.display(description="Status")
    def status(self, obj):
        value = domain.duty_status(due_on=obj.due_on, done=obj.is_done, today=_today())
        return _badge(value, DutyStatus(value).label)

    @admin.display(description="")
    def confirm_link(self, obj):
        if obj is None or obj.pk is None:
            return ""
        url = reverse("admin:reporting_contactverification_confirm", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, "Re-confirm" if obj.is_done else "Confirm")

    @admin.action(description="Confirm the contact details as they are", permissions=["confirm"])
    def confirm_selected(self, request, queryset):
        now, confirmed, refused = timezone.now(), 0, []
        for verification in queryset.select_related("user"):
            try:
                services.contact_verification_confirm(
                    verification=verification, by=request.user, now=now
                )
                confirmed += 1
            except DomainError as error:
                refused.append(f"{verification.user}: {error.message}")
        if confirmed:
            self.message_user(request, f"Confirmed {confirmed} verification(s).", messages.SUCCESS)
        for message in refused:
            self.message_user(request, f"Not confirmed — {message}", messages.ERROR)

    def get_urls(self):
        return [
            path(
                "<int:object_id>/confirm/",
                self.admin_site.admin_view(self.confirm_view),
                name="reporting_contactverification_confirm",
            ),
            *super().get_urls(),
        ]

    def confirm_view(self, request, object_id):
        verification = (
            self.get_queryset(request).select_related("user").filter(pk=object_id).first()
        )
        if verification is None:
            raise Http404("No such contact verification.")
        user = verification.user
        contact = getattr(user, "contact_point", None)
        initial = {
            "email": contact.email if contact else "",
            "chat_handle": contact.chat_handle if contact else "",
        }
        form = ContactConfirmForm(
            request.POST if request.method == "POST" else None,
            initial=initial,
            account_email=user.email,
        )
        if form.is_bound and form.is_valid():
            try:
                services.contact_verification_confirm(
                    verification=verification,
                    by=request.user,
                    now=timezone.now(),
                    email=form.cleaned_data["email"],
                    chat_handle=form.cleaned_data["chat_handle"],
                )
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                self.message_user(
                    request, "Contact details confirmed. Thank you.", messages.SUCCESS
                )
                return HttpResponseRedirect(
                    reverse("admin:reporting_contactverification_changelist")
                )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Confirm contact details — {verification.quarter}",
            "opts": self.model._meta,
            "verification": verification,
            "form": form,
        }
        return TemplateResponse(request, CONFIRM_TEMPLATE, context)

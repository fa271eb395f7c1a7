"""Admin of drills: plan, run as a (drill) incident, record the outcome."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from incidents.kernel.errors import DomainError
from incidents.selectors import user_can_see_incident

from .. import domain, services
from ..choices import DutyStatus
from ..forms import DrillForm
from ..models import Drill
from .common import (
    DutyAdmin,
    DutyStatusFilter,
    QuarterFilter,
    inline_template,
    status_badge,
    utc_today,
)

DRILL_CHANGE_FORM = inline_template(
    """{% extends "admin/change_form.html" %}
{% block object-tools-items %}
  {% if run_as_incident_url %}
  <li><a href="{{ run_as_incident_url }}">Run as incident (drill)…</a></li>
  {% endif %}
  {% if drill_incident_url %}
  <li><a href="{{ drill_incident_url }}">Drill incident</a></li>
  {% endif %}
  {{ block.super }}
{% endblock %}"""
)

# GET on the run URL: what running the drill will do, and a button to go ahead (POST).
DRILL_RUN_CONFIRM = inline_template(
    """{% extends "admin/base_site.html" %}
{% block breadcrumbs %}<div class="breadcrumbs">
  <a href="{% url 'admin:index' %}">Home</a> &rsaquo;
  <a href="{% url 'admin:reporting_drill_changelist' %}">Drills</a> &rsaquo;
  <a href="{{ drill_url }}">{{ drill.title }}</a> &rsaquo; Run as incident
</div>{% endblock %}
{% block content %}
<p>Run the drill <strong>{{ drill.title }}</strong> as an incident?</p>
<ul>
  <li>Opens the incident <strong>[DRILL] {{ drill.title }}</strong>
    ({{ drill.get_severity_display }}, {{ drill.get_incident_type_display }}), marked as a
    drill and left out of the KPIs.</li>
  <li>It follows the normal workflow: reference, response SLA, checklists and escalation —
    responders may be paged.</li>
  <li>The incident commander is {{ commander }}.</li>
</ul>
<form method="post">{% csrf_token %}
  <input type="submit" value="Yes, run it as an incident">
  <a href="{{ drill_url }}" class="button cancel-link">No, go back</a>
</form>
{% endblock %}"""
)


@admin.register(Drill)
class DrillAdmin(DutyAdmin):
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
        value = domain.duty_status(due_on=due_on, done=obj.is_done, today=utc_today())
        return status_badge(value, DutyStatus(value).label)

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
        if not self._may_run(request):
            raise PermissionDenied
        drill = self.get_queryset(request).filter(pk=object_id).first()
        if drill is None:
            raise Http404("No such drill.")
        drill_url = reverse("admin:reporting_drill_change", args=[drill.pk])
        if request.method != "POST":
            if drill.incident_id or drill.is_done:
                return HttpResponseRedirect(drill_url)
            commander = drill.facilitator or request.user
            context = {
                **self.admin_site.each_context(request),
                "title": "Run the drill as an incident?",
                "opts": self.opts,
                "drill": drill,
                "drill_url": drill_url,
                "commander": commander.get_full_name() or commander.get_username(),
            }
            return TemplateResponse(request, DRILL_RUN_CONFIRM, context)
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

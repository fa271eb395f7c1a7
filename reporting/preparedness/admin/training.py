"""Admin of training records, with coverage per staff group."""

from django.contrib import admin
from django.utils import timezone

from .. import domain, selectors, services
from ..choices import TrainingTopic, TrainingValidity
from ..forms import TrainingRecordForm
from ..models import TrainingRecord
from .common import (
    DutyAdmin,
    GroupFilter,
    ValidityFilter,
    inline_template,
    status_badge,
    utc_today,
)

VIEW_ALL_TRAINING = "reporting.view_all_training"


TRAINING_CHANGE_LIST = inline_template(
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
class TrainingRecordAdmin(DutyAdmin):
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
            completed_on=obj.completed_on, expires_on=obj.expires_on, today=utc_today()
        )
        return status_badge(value, TrainingValidity(value).label)

    def changelist_view(self, request, extra_context=None):
        today = utc_today()
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

"""Admin for alerts as received, their grouping, routing rules and SNS confirmations."""

import re

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html

from ..ingestion.services import sns_subscriptions_confirm
from ..kernel.valid_choices import ValidChoicesFormMixin
from ..models import Alert, AlertGroup, RoutingRule, SnsSubscription
from .base import IncidentScopedAdminMixin, ReadOnlyAdmin, ReadOnlyHistoryAdmin


class RoutingRuleForm(ValidChoicesFormMixin, forms.ModelForm):
    class Meta:
        model = RoutingRule
        fields = [
            "name",
            "priority",
            "active",
            "is_default",
            "source",
            "match_name",
            "match_namespace",
            "match_labels",
            "severity",
            "type",
            "detection_source",
            "services",
            "auto_resolve",
        ]

    def clean_match_name(self):
        pattern = self.cleaned_data["match_name"]
        try:
            re.compile(pattern)
        except re.error as error:
            raise forms.ValidationError(f"Not a valid regular expression: {error}.") from None
        return pattern

    def clean_match_labels(self):
        labels = self.cleaned_data["match_labels"] or {}
        if not isinstance(labels, dict) or not all(isinstance(k, str) for k in labels):
            raise forms.ValidationError(
                'Give an object of label: value, e.g. {"severity": "critical"}.'
            )
        return labels


@admin.register(RoutingRule)
class RoutingRuleAdmin(ReadOnlyHistoryAdmin):
    form = RoutingRuleForm
    list_display = [
        "name",
        "priority",
        "active",
        "is_default",
        "source",
        "match_name",
        "match_labels",
        "severity",
        "type",
        "auto_resolve",
    ]
    list_filter = ["active", "source", "severity", "auto_resolve"]
    search_fields = ["name", "match_name", "match_namespace"]
    filter_horizontal = ["services"]
    ordering = ["priority", "name"]


@admin.register(Alert)
class AlertAdmin(IncidentScopedAdminMixin, ReadOnlyAdmin):
    # Alerts that opened nothing are operational data, not need-to-know.
    superuser_sees_all = True
    rows_without_incident = True

    list_display = [
        "received_at",
        "source",
        "status",
        "name",
        "incident",
        "rule",
        "opened_incident",
    ]
    list_filter = [
        "source",
        "status",
        "opened_incident",
        ("received_at", admin.DateFieldListFilter),
    ]
    search_fields = ["name", "fingerprint", "external_id", "incident__reference"]
    list_select_related = ["incident", "rule"]
    date_hierarchy = "received_at"
    show_full_result_count = False


@admin.register(AlertGroup)
class AlertGroupAdmin(IncidentScopedAdminMixin, ReadOnlyAdmin):
    superuser_sees_all = True
    rows_without_incident = True

    list_display = ["source", "fingerprint", "status", "incident", "occurrences", "last_seen_at"]
    list_filter = ["source", "status"]
    search_fields = ["fingerprint", "incident__reference"]
    list_select_related = ["incident"]


@admin.register(SnsSubscription)
class SnsSubscriptionAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "topic_arn", "subscribe_link", "confirmed_at", "confirmed_by"]
    list_filter = [("confirmed_at", admin.EmptyFieldListFilter)]
    search_fields = ["topic_arn", "message_id"]
    list_select_related = ["confirmed_by"]
    actions = ["mark_confirmed"]

    @admin.display(description="Subscribe URL")
    def subscribe_link(self, obj):
        return format_html(
            '<a href="{}" target="_blank" rel="noopener noreferrer">Confirm at AWS</a>',
            obj.subscribe_url,
        )

    def has_mark_confirmed_permission(self, request):
        return request.user.has_perm("incidents.change_snssubscription")

    @admin.action(
        description="Mark as confirmed (after opening its Subscribe URL)",
        permissions=["mark_confirmed"],
    )
    def mark_confirmed(self, request, queryset):
        count = sns_subscriptions_confirm(subscriptions=queryset.values("pk"), user=request.user)
        self.message_user(request, f"Marked {count} subscription(s) confirmed.", messages.SUCCESS)

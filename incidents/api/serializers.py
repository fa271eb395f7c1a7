"""Serializers: contract names and values out, validated input in. They never write: the
views hand validated data to incidents.services."""

from __future__ import annotations

from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .. import domain
from ..choices import DetectionSource, IncidentType, ResponseRole, Severity, Status
from ..models import (
    Incident,
    RoleAssignment,
    Service,
    TimelineEntry,
)
from .fields import ChoiceField, ModelSerializer

MAX_POSITIVE_INT = 2_147_483_647
# Nothing Harbormaster tracks happened before this; older timestamps are typos.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
TEXT_MAX = 20_000


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know (a typo, or a read-only field such as `status`,
    would otherwise be silently ignored)."""

    read_only_hints: dict[str, str] = {}

    def to_internal_value(self, data):
        if isinstance(data, dict):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(data) - writable, key=str)
            if unknown:
                raise serializers.ValidationError(
                    {
                        str(name): [self.read_only_hints.get(name, "Unknown or read-only field.")]
                        for name in unknown
                    }
                )
        return super().to_internal_value(data)


class PastDateTimeField(serializers.DateTimeField):
    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        if parsed < EARLIEST:
            self.fail("too_early")
        return parsed

    default_error_messages = {"too_early": "Timestamps before 2000-01-01 are not accepted."}


def text_field(**kwargs):
    kwargs.setdefault("required", False)
    kwargs.setdefault("allow_blank", True)
    kwargs.setdefault("max_length", TEXT_MAX)
    return serializers.CharField(**kwargs)


# --- output ------------------------------------------------------------------------------------
class ErrorSerializer(serializers.Serializer):
    """The contract's error body."""

    detail = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Field name → messages; empty when the error is not about one field.",
    )


class RoleHolderSerializer(serializers.Serializer):
    username = serializers.CharField()
    assigned_at = serializers.DateTimeField()
    assigned_by = serializers.CharField(allow_null=True)


def _holder(assignment: RoleAssignment | None) -> dict | None:
    if assignment is None:
        return None
    return {
        "username": assignment.user.get_username(),
        "assigned_at": serializers.DateTimeField().to_representation(assignment.assigned_at),
        "assigned_by": assignment.assigned_by.get_username() if assignment.assigned_by else None,
    }


def roles_representation(active: list[RoleAssignment]) -> dict:
    by_role = {assignment.role: assignment for assignment in active}
    return {role: _holder(by_role.get(role)) for role in ResponseRole.values}


class RolesSerializer(serializers.Serializer):
    """Current holder of each response role (null: nobody)."""

    incident_commander = RoleHolderSerializer(allow_null=True)
    technical_lead = RoleHolderSerializer(allow_null=True)
    communications_lead = RoleHolderSerializer(allow_null=True)
    security_lead = RoleHolderSerializer(allow_null=True)


class IncidentSerializer(ModelSerializer):
    url = serializers.SerializerMethodField()
    affected_services = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    roles = serializers.SerializerMethodField()
    response_sla = serializers.SerializerMethodField(
        help_text="met | breached | pending | overdue | none"
    )

    class Meta:
        model = Incident
        fields = [
            "reference",
            "url",
            "title",
            "summary",
            "severity",
            "type",
            "category",
            "status",
            "detection_source",
            "is_drill",
            "started_at",
            "detected_at",
            "acknowledged_at",
            "triaged_at",
            "contained_at",
            "resolved_at",
            "closed_at",
            "cancelled_at",
            "response_due_at",
            "response_sla",
            "sla_breached_at",
            "affected_services",
            "users_affected",
            "customer_impact",
            "business_impact",
            "data_integrity_impact",
            "security_implications",
            "personal_data_involved",
            "resolution_summary",
            "cancel_reason",
            "public_title",
            "public_summary",
            "public_impact",
            "public_resolution",
            "roles",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, obj) -> str:
        path = reverse("api:incident-detail", kwargs={"reference": obj.reference})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    @extend_schema_field(RolesSerializer)
    def get_roles(self, obj) -> dict:
        active = getattr(obj, "active_roles", None)
        if active is None:
            active = list(
                obj.roles.filter(relieved_at__isnull=True).select_related("user", "assigned_by")
            )
        return roles_representation(active)

    @extend_schema_field(ChoiceField(choices=["met", "breached", "pending", "overdue", "none"]))
    def get_response_sla(self, obj) -> str:
        return domain.sla_state(
            response_due_at=obj.response_due_at,
            acknowledged_at=obj.acknowledged_at,
            now=self.context.get("now") or timezone.now(),
            status=obj.status,
        ).code


class TimelineEntrySerializer(ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = TimelineEntry
        fields = ["id", "at", "kind", "author", "text"]
        read_only_fields = fields


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)


class HistoryRecordSerializer(serializers.Serializer):
    """One change to the incident: who, when, why, from which request, and what changed."""

    at = serializers.DateTimeField()
    user = serializers.CharField(allow_null=True, help_text="Username; null for the system.")
    action = ChoiceField(choices=["created", "changed", "deleted"])
    reason = serializers.CharField(allow_null=True)
    request_id = serializers.CharField(allow_blank=True)
    version = serializers.IntegerField()
    changes = FieldChangeSerializer(many=True)


# --- input -------------------------------------------------------------------------------------
_DETAIL_FIELDS = {
    "summary": lambda: text_field(),
    "users_affected": lambda: serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=MAX_POSITIVE_INT
    ),
    "customer_impact": lambda: text_field(),
    "business_impact": lambda: text_field(),
    "data_integrity_impact": lambda: text_field(),
    "security_implications": lambda: text_field(),
    "personal_data_involved": lambda: serializers.BooleanField(required=False),
    "is_drill": lambda: serializers.BooleanField(required=False),
    "started_at": lambda: PastDateTimeField(required=False, allow_null=True),
}


class ServiceNamesField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        super().__init__(slug_field="name", queryset=Service.objects.all(), many=False, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def _services_field():
    return serializers.ListField(
        child=ServiceNamesField(),
        required=False,
        max_length=200,
        help_text="Names from the service catalogue.",
    )


class _IncidentDetailsSerializer(StrictSerializer):
    """The descriptive fields that both opening and editing an incident accept."""

    summary = _DETAIL_FIELDS["summary"]()
    started_at = _DETAIL_FIELDS["started_at"]()
    is_drill = _DETAIL_FIELDS["is_drill"]()
    affected_services = _services_field()
    users_affected = _DETAIL_FIELDS["users_affected"]()
    customer_impact = _DETAIL_FIELDS["customer_impact"]()
    business_impact = _DETAIL_FIELDS["business_impact"]()
    data_integrity_impact = _DETAIL_FIELDS["data_integrity_impact"]()
    security_implications = _DETAIL_FIELDS["security_implications"]()
    personal_data_involved = _DETAIL_FIELDS["personal_data_involved"]()
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="Kept in the history."
    )


class IncidentCreateSerializer(_IncidentDetailsSerializer):
    title = serializers.CharField(max_length=200)
    severity = ChoiceField(choices=Severity.choices)
    type = ChoiceField(choices=IncidentType.choices)
    detection_source = ChoiceField(choices=DetectionSource.choices)
    detected_at = PastDateTimeField(
        required=False, allow_null=True, help_text="Defaults to now; fixes the reference."
    )


class IncidentUpdateSerializer(_IncidentDetailsSerializer):
    read_only_hints = {
        "status": "Change the status with POST …/transition/.",
        "acknowledged_at": "Acknowledge with POST …/acknowledge/.",
        "detected_at": "The detection time is fixed once the incident is open.",
        "roles": "Assign roles with PUT …/roles/.",
        "reference": "The reference never changes.",
    }

    version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_POSITIVE_INT,
        help_text="The `version` you read. Required unless sent as `If-Match`.",
    )
    title = serializers.CharField(max_length=200, required=False)
    severity = ChoiceField(choices=Severity.choices, required=False)
    type = ChoiceField(choices=IncidentType.choices, required=False)
    detection_source = ChoiceField(choices=DetectionSource.choices, required=False)
    # The customer-facing wording: external messages and the status page use only these.
    public_title = text_field(max_length=200, help_text="The heading customers see.")
    public_summary = text_field(help_text="What customers are told happened.")
    public_impact = text_field(help_text="What customers may notice.")
    public_resolution = text_field(help_text="What customers are told was fixed.")


class TransitionSerializer(StrictSerializer):
    to = ChoiceField(choices=Status.choices, help_text="The status to move to.")
    resolution_summary = text_field(help_text="Required when `to` is `resolved`.")
    cancel_reason = text_field(help_text="Required when `to` is `cancelled` (e.g. false alarm).")
    reason = text_field(
        help_text="Required to reopen (resolved → investigating) and to close with open "
        "work; a note otherwise."
    )


class NoteSerializer(StrictSerializer):
    text = serializers.CharField(max_length=TEXT_MAX)
    at = PastDateTimeField(
        required=False, allow_null=True, help_text="Back-date the note; defaults to now."
    )


class RoleHolderField(serializers.Field):
    """A username, or `{"username": ...}` as GET returns it, or null to relieve."""

    default_error_messages = {
        "invalid": 'Give a username, {{"username": "..."}} or null.',
        "unknown": "No active staff user {username!r}.",
    }

    def to_internal_value(self, data):
        if isinstance(data, dict):
            data = data.get("username")
        if not isinstance(data, str) or not data.strip() or len(data) > 150 or "\x00" in data:
            self.fail("invalid")
        user = (
            get_user_model()
            .objects.filter(username=data.strip(), is_active=True, is_staff=True)
            .first()
        )
        if user is None:
            self.fail("unknown", username=data.strip())
        return user

    def to_representation(self, value):
        return value.get_username() if value else None


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "description": "Username of an active staff member."},
            {
                "type": "object",
                "properties": {"username": {"type": "string"}},
                "required": ["username"],
            },
        ],
        "nullable": True,
    }
)
class _DocumentedRoleHolderField(RoleHolderField):
    pass


class RolesUpdateSerializer(StrictSerializer):
    """Roles not named are left as they are; null relieves the current holder."""

    incident_commander = _DocumentedRoleHolderField(required=False, allow_null=True)
    technical_lead = _DocumentedRoleHolderField(required=False, allow_null=True)
    communications_lead = _DocumentedRoleHolderField(required=False, allow_null=True)
    security_lead = _DocumentedRoleHolderField(required=False, allow_null=True)

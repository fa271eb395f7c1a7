"""The KPI endpoints' OpenAPI documentation: response serializers, examples and the
filter parameters (reporting/kpis/api.py uses them in extend_schema)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter
from rest_framework import serializers

from incidents.choices import Category, IncidentType, Severity


class KpiMetricSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Incidents with both timestamps.")
    missing = serializers.IntegerField(help_text="Incidents lacking one of them.")
    mean_seconds = serializers.FloatField(allow_null=True)
    p50_seconds = serializers.FloatField(allow_null=True)
    p90_seconds = serializers.FloatField(allow_null=True)


class KpiSlaSerializer(serializers.Serializer):
    met = serializers.IntegerField()
    breached = serializers.IntegerField()
    pending = serializers.IntegerField()
    not_applicable = serializers.IntegerField(
        help_text="Cancelled (false alarm) before anyone acknowledged it."
    )
    compliance_rate = serializers.FloatField(allow_null=True, help_text="met / (met + breached)")


class KpiImpactSerializer(serializers.Serializer):
    users_affected = serializers.IntegerField()
    user_hours = serializers.FloatField()
    missing = serializers.IntegerField(help_text="No users_affected, or not resolved yet.")


class KpiPostmortemSerializer(serializers.Serializer):
    required = serializers.IntegerField()
    completed = serializers.IntegerField()
    completion_rate = serializers.FloatField(allow_null=True)


class KpiActionItemSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    closed = serializers.IntegerField()
    closure_rate = serializers.FloatField(allow_null=True)


class KpiNumbersSerializer(serializers.Serializer):
    incidents = serializers.IntegerField()
    mttd = KpiMetricSerializer()
    mtta = KpiMetricSerializer()
    mttr = KpiMetricSerializer()
    time_to_contain = KpiMetricSerializer()
    sla = KpiSlaSerializer()
    customer_impact = KpiImpactSerializer()
    escalations_fired = serializers.IntegerField()
    postmortems = KpiPostmortemSerializer()
    action_items = KpiActionItemSerializer()


class KpiGroupSerializer(KpiNumbersSerializer):
    group = serializers.CharField(
        allow_null=True, help_text="Severity, category, type, service id or YYYY-MM."
    )
    label = serializers.CharField()


class KpiReportSerializer(serializers.Serializer):
    # "from" is a Python keyword: the field is declared under another name and renamed.
    from_ = serializers.DateTimeField()
    to = serializers.DateTimeField()
    group_by = serializers.CharField()
    security_incidents_included = serializers.BooleanField(
        help_text="False: security incidents you may not see are left out of the numbers."
    )
    summary = KpiNumbersSerializer()
    groups = KpiGroupSerializer(many=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class KpiFrequencyRowSerializer(serializers.Serializer):
    period = serializers.CharField(help_text="2026-03, 2026-W09 or 2026-Q1 (UTC).")
    group = serializers.CharField(allow_null=True)
    label = serializers.CharField()
    count = serializers.IntegerField()


class KpiFrequencySerializer(serializers.Serializer):
    from_ = serializers.DateTimeField()
    to = serializers.DateTimeField()
    period = serializers.CharField()
    by = serializers.CharField()
    security_incidents_included = serializers.BooleanField()
    periods = serializers.ListField(
        child=serializers.CharField(), help_text="Every period in the range, in order."
    )
    rows = KpiFrequencyRowSerializer(many=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


_METRIC_EXAMPLE = {
    "count": 41,
    "missing": 3,
    "mean_seconds": 812.5,
    "p50_seconds": 540.0,
    "p90_seconds": 1830.0,
}
_NUMBERS_EXAMPLE = {
    "incidents": 44,
    "mttd": {**_METRIC_EXAMPLE, "count": 30, "missing": 14},
    "mtta": _METRIC_EXAMPLE,
    "mttr": {**_METRIC_EXAMPLE, "mean_seconds": 14400.0, "p50_seconds": 9000.0},
    "time_to_contain": {**_METRIC_EXAMPLE, "count": 25, "missing": 19},
    "sla": {"met": 38, "breached": 4, "pending": 1, "not_applicable": 1, "compliance_rate": 0.9048},
    "customer_impact": {"users_affected": 18200, "user_hours": 9312.5, "missing": 12},
    "escalations_fired": 57,
    "postmortems": {"required": 9, "completed": 7, "completion_rate": 0.7778},
    "action_items": {"total": 31, "closed": 22, "closure_rate": 0.7097},
}
KPI_EXAMPLE = {
    "from": "2026-01-01T00:00:00Z",
    "to": "2026-04-01T00:00:00Z",
    "group_by": "severity",
    "security_incidents_included": False,
    "summary": _NUMBERS_EXAMPLE,
    "groups": [{"group": "P1", "label": "P1 — High", **_NUMBERS_EXAMPLE}],
}
FREQUENCY_EXAMPLE = {
    "from": "2026-01-01T00:00:00Z",
    "to": "2026-04-01T00:00:00Z",
    "period": "month",
    "by": "severity",
    "security_incidents_included": True,
    "periods": ["2026-01", "2026-02", "2026-03"],
    "rows": [
        {"period": "2026-01", "group": "P1", "label": "P1 — High", "count": 3},
        {"period": "2026-01", "group": "P2", "label": "P2 — Medium", "count": 11},
    ],
}

FILTER_PARAMETERS = [
    OpenApiParameter(
        "from",
        OpenApiTypes.STR,
        description="Detected at or after: ISO 8601 date or datetime (naive = UTC). "
        "Default: 90 days before `to`.",
        examples=[OpenApiExample("Date", value="2026-01-01")],
    ),
    OpenApiParameter(
        "to",
        OpenApiTypes.STR,
        description="Detected before this datetime; a date includes that whole day. "
        "Default: now. At most 5 years after `from`.",
        examples=[OpenApiExample("Date", value="2026-03-31")],
    ),
    OpenApiParameter("severity", OpenApiTypes.STR, enum=Severity.values, many=True, explode=True),
    OpenApiParameter("category", OpenApiTypes.STR, enum=Category.values, many=True, explode=True),
    OpenApiParameter("type", OpenApiTypes.STR, enum=IncidentType.values, many=True, explode=True),
    OpenApiParameter(
        "service",
        OpenApiTypes.INT,
        many=True,
        explode=True,
        description="Service id; an incident matches if it affected any of them.",
    ),
]

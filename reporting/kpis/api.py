"""/api/v1/reports/kpis/ (numbers), …/kpis/frequency/ (counts per period) and
…/kpis/export/ (CSV, XLSX or JSON of the numbers or of the incidents behind them).

API keys need `reports:read`; staff sessions need `incidents.view_incident`. Need-to-know
as everywhere else (incidents.api.visibility): a key sees security incidents only with
`incidents:security`, staff as in the admin. The numbers come from reporting.kpis
(docs/kpis.md); these views only read the query string and shape the response."""

from __future__ import annotations

from datetime import date, datetime

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_date
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents.api.authentication import request_api_key
from incidents.api.errors import ApiError
from incidents.api.schema import error_responses
from incidents.api.visibility import incidents_visible_to_request
from incidents.choices import Category, IncidentType, Severity
from incidents.kernel.ids import is_id_text
from incidents.models import ApiScope, Service
from incidents.moments import parse_utc_moment
from incidents.selectors import user_sees_all_security

from . import domain, exports
from .domain import FREQUENCY_BYS, GROUP_BYS, PERIODS, periods_between
from .exports import iso
from .selectors import kpi_frequency, kpi_incidents, kpi_report

READ_PERMS = ("incidents.view_incident",)
FILTER_CHOICES = {
    "severity": Severity.values,
    "category": Category.values,
    "type": IncidentType.values,
}


def _bad(field: str, message: str) -> ApiError:
    return ApiError(
        f"Invalid input: {field}: {message}",
        status_code=status.HTTP_400_BAD_REQUEST,
        errors={field: [message]},
    )


def _parse_moment(name: str, raw: str | None) -> date | datetime | None:
    """An ISO 8601 date (2026-03-01) or datetime (2026-03-01T09:00:00Z; naive means UTC)."""
    if not raw:
        return None
    if "T" in raw or " " in raw:
        try:
            return parse_utc_moment(raw)
        except ValueError as error:
            raise _bad(name, str(error)) from None
    try:
        day = parse_date(raw)
    except ValueError:
        day = None
    if day is None:
        raise _bad(name, "Expected an ISO 8601 date or datetime, e.g. 2026-03-01.")
    return day


def _choice_list(params, name: str, choices) -> list[str]:
    """`?severity=P0&severity=P1` or `?severity=P0,P1`."""
    values = [v.strip() for raw in params.getlist(name) for v in raw.split(",") if v.strip()]
    unknown = [v for v in values if v not in choices]
    if unknown:
        raise _bad(name, f'"{unknown[0]}" is not one of {", ".join(choices)}.')
    return values


def _service_ids(params) -> list[int]:
    raw = [v.strip() for item in params.getlist("service") for v in item.split(",") if v.strip()]
    if not all(is_id_text(v) for v in raw):
        raise _bad("service", "Expected service ids (integers).")
    ids = sorted({int(v) for v in raw})
    if ids:
        known = set(Service.objects.filter(pk__in=ids).values_list("pk", flat=True))
        missing = [i for i in ids if i not in known]
        if missing:
            raise _bad("service", f"Unknown service id {missing[0]}.")
    return ids


def _choice(params, name: str, choices, default: str) -> str:
    value = params.get(name) or default
    if value not in choices:
        raise _bad(name, f'"{value}" is not one of {", ".join(choices)}.')
    return value


class KpiQuery:
    """The validated query string, the caller's scoped incidents and what they cover."""

    def __init__(self, request, *, now: datetime):
        params = request.query_params
        try:
            self.window = domain.kpi_window(
                start=_parse_moment("from", params.get("from")),
                end=_parse_moment("to", params.get("to")),
                now=now,
            )
        except domain.WindowError as error:
            raise _bad(error.field, error.message) from None
        filters = {
            "severities": _choice_list(params, "severity", FILTER_CHOICES["severity"]),
            "categories": _choice_list(params, "category", FILTER_CHOICES["category"]),
            "types": _choice_list(params, "type", FILTER_CHOICES["type"]),
            "service_ids": _service_ids(params),
        }
        self.now = now
        self.incidents = kpi_incidents(
            incidents_visible_to_request(request),
            start=self.window.start,
            end=self.window.end,
            **filters,
        )
        api_key = request_api_key(request)
        self.security_incidents_included = (
            api_key.has_scope(ApiScope.INCIDENTS_SECURITY)
            if api_key is not None
            else user_sees_all_security(request.user)
        )

    def head(self) -> dict:
        return {
            "from": iso(self.window.start),
            "to": iso(self.window.end),
            "security_incidents_included": self.security_incidents_included,
        }


# --- OpenAPI -------------------------------------------------------------------------------
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


class _KpiView(APIView):
    required_scope = ApiScope.REPORTS_READ
    required_perms = {"GET": READ_PERMS}
    throttle_scope = "api"


class KpiReportView(_KpiView):
    @extend_schema(
        summary="KPIs: MTTD, MTTA, MTTR, containment, SLA, impact, post-mortems",
        description=(
            "Numbers over the non-drill incidents detected in [from, to) that you may see, "
            "overall and per group. Durations in seconds: mean, p50 and p90 (linear "
            "interpolation, as PostgreSQL percentile_cont). Incidents lacking a timestamp "
            "are counted in `missing`. Definitions: docs/kpis.md."
        ),
        parameters=[
            *FILTER_PARAMETERS,
            OpenApiParameter(
                "group_by",
                OpenApiTypes.STR,
                enum=["severity", "category", "type", "service", "month"],
                description="Default `severity`. By service, an incident with two "
                "services counts in both groups.",
            ),
        ],
        responses={
            200: OpenApiResponse(
                KpiReportSerializer,
                examples=[OpenApiExample("By severity", value=KPI_EXAMPLE)],
            ),
            **error_responses(400, 401, 403, 429),
        },
    )
    def get(self, request):
        query = KpiQuery(request, now=timezone.now())
        group_by = _choice(request.query_params, "group_by", GROUP_BYS, "severity")
        summary, groups = kpi_report(query.incidents, group_by=group_by, now=query.now)
        body = {**query.head(), "group_by": group_by, "summary": summary, "groups": groups}
        return Response(body)


class KpiFrequencyView(_KpiView):
    @extend_schema(
        summary="Incident frequency per week, month or quarter",
        description=(
            "Non-drill incidents per period (UTC; ISO weeks) and group. Only periods and "
            "groups with incidents are listed; `periods` has every period in the range. "
            "By service, an incident with two services counts once for each."
        ),
        parameters=[
            *FILTER_PARAMETERS,
            OpenApiParameter(
                "period",
                OpenApiTypes.STR,
                enum=["week", "month", "quarter"],
                description="Default `month`.",
            ),
            OpenApiParameter(
                "by",
                OpenApiTypes.STR,
                enum=["severity", "category", "type", "service"],
                description="Default `severity`.",
            ),
        ],
        responses={
            200: OpenApiResponse(
                KpiFrequencySerializer,
                examples=[OpenApiExample("Monthly by severity", value=FREQUENCY_EXAMPLE)],
            ),
            **error_responses(400, 401, 403, 429),
        },
    )
    def get(self, request):
        query = KpiQuery(request, now=timezone.now())
        period = _choice(request.query_params, "period", PERIODS, "month")
        by = _choice(request.query_params, "by", FREQUENCY_BYS, "severity")
        return Response(
            {
                **query.head(),
                "period": period,
                "by": by,
                "periods": periods_between(query.window.start, query.window.end, period),
                "rows": kpi_frequency(query.incidents, period=period, by=by),
            }
        )


class KpiExportView(_KpiView):
    def perform_content_negotiation(self, request, force=False):
        # The body's format is the `format` parameter, chosen by the view; errors are JSON.
        return JSONRenderer(), "application/json"

    @extend_schema(
        summary="Export KPIs or the incidents behind them (CSV, XLSX, JSON)",
        description=(
            "`rows=kpis`: the summary (group `all`) and one row per group, every number a "
            "column (JSON: the same body as /reports/kpis/). `rows=incidents`: one row per "
            "incident with its timestamps, durations in seconds, SLA outcome, users "
            "affected and user-hours, streamed. Times are UTC."
        ),
        parameters=[
            *FILTER_PARAMETERS,
            OpenApiParameter(
                "format", OpenApiTypes.STR, enum=["csv", "xlsx", "json"], description="Default csv."
            ),
            OpenApiParameter(
                "rows", OpenApiTypes.STR, enum=["kpis", "incidents"], description="Default kpis."
            ),
            OpenApiParameter(
                "group_by",
                OpenApiTypes.STR,
                enum=["severity", "category", "type", "service", "month"],
                description="For `rows=kpis`; default `severity`.",
            ),
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR),
            (200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT),
            (
                200,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ): OpenApiResponse(OpenApiTypes.BINARY),
            **error_responses(400, 401, 403, 429),
        },
    )
    def get(self, request):
        params = request.query_params
        query = KpiQuery(request, now=timezone.now())
        fmt = _choice(params, "format", tuple(exports.FORMATS), "csv")
        rows = _choice(params, "rows", exports.ROW_KINDS, "kpis")
        group_by = _choice(params, "group_by", GROUP_BYS, "severity")
        meta = exports.ExportMeta(
            start=query.window.start,
            end=query.window.end,
            group_by=group_by,
            security_incidents_included=query.security_incidents_included,
        )
        if rows == "kpis":
            summary, groups = kpi_report(query.incidents, group_by=group_by, now=query.now)
            columns = exports.kpi_columns(summary)
            table = exports.kpi_rows(summary, groups, group_by=group_by)
            json_body = exports.json_kpis(meta, summary, groups)
        else:
            columns = exports.INCIDENT_COLUMNS
            table = exports.incident_rows(query.incidents, now=query.now)
            json_body = exports.json_incidents(meta, table)
        filename = meta.filename(rows, fmt)
        if fmt == "xlsx":
            handle = exports.xlsx_file(rows.capitalize(), columns, table, meta)
            return FileResponse(
                handle, as_attachment=True, filename=filename, content_type=exports.FORMATS[fmt]
            )
        body = json_body if fmt == "json" else exports.csv_lines(columns, table)
        response = StreamingHttpResponse(
            (chunk.encode() for chunk in body), content_type=exports.FORMATS[fmt]
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "no-store"
        return response


__all__ = ["KpiExportView", "KpiFrequencyView", "KpiReportView"]

"""/api/v1/reports/kpis/ (numbers), …/kpis/frequency/ (counts per period) and
…/kpis/export/ (CSV, XLSX or JSON of the numbers or of the incidents behind them).

API keys need `reports:read`; staff sessions need `incidents.view_incident`. Need-to-know
as everywhere else (incidents.api.visibility): a key sees security incidents only with
`incidents:security`, staff as in the admin. The numbers come from reporting.kpis
(docs/kpis.md); these views only read the query string and shape the response."""

from __future__ import annotations

from datetime import datetime

from django.http import FileResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents.api.authentication import request_api_key
from incidents.api.errors import ApiError
from incidents.api.schema import error_responses
from incidents.api.visibility import incidents_visible_to_request
from incidents.kernel import streaming
from incidents.models import ApiScope
from incidents.selectors import user_sees_all_security

from . import exports
from .domain import periods_between
from .exports import iso
from .forms import KpiQueryForm
from .schema import (
    FILTER_PARAMETERS,
    FREQUENCY_EXAMPLE,
    KPI_EXAMPLE,
    KpiFrequencySerializer,
    KpiReportSerializer,
)
from .selectors import kpi_frequency, kpi_incidents, kpi_report

READ_PERMS = ("incidents.view_incident",)


class KpiQuery:
    """The validated query string (the one KPI grammar, forms.KpiQueryForm), the caller's
    scoped incidents and what they cover. `options`: the endpoint's own parameters, read
    into `self.options`; bad input is a 400 naming the first bad parameter."""

    def __init__(self, request, *, now: datetime, options: tuple[str, ...]):
        form = KpiQueryForm(request.query_params, now=now, options=options)
        if not form.is_valid():
            field, message = form.first_error()
            raise ApiError(
                f"Invalid input: {field}: {message}",
                status_code=status.HTTP_400_BAD_REQUEST,
                errors={field: [message]},
            )
        data = form.cleaned_data
        self.window = data["window"]
        self.options = {name: data[name] for name in options}
        filters = {
            "severities": data["severity"],
            "categories": data["category"],
            "types": data["type"],
            "service_ids": form.service_ids(),
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
        query = KpiQuery(request, now=timezone.now(), options=("group_by",))
        group_by = query.options["group_by"]
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
        query = KpiQuery(request, now=timezone.now(), options=("period", "by"))
        period, by = query.options["period"], query.options["by"]
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
        query = KpiQuery(request, now=timezone.now(), options=("format", "rows", "group_by"))
        fmt, rows = query.options["format"], query.options["rows"]
        group_by = query.options["group_by"]
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
        return streaming.streamed_attachment(
            body, content_type=exports.FORMATS[fmt], filename=filename, no_store=True
        )


__all__ = ["KpiExportView", "KpiFrequencyView", "KpiReportView"]

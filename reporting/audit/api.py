"""/api/v1/audit/events/ (the audit trail, streamed) and
/api/v1/incidents/{reference}/evidence.zip (one incident's evidence pack).

API keys need `audit:read` (and `incidents:security` to see rows of security incidents);
staff sessions need the Auditor group's `reporting.view_audit_trail` (or superuser), and
see security incidents as in the admin (need-to-know)."""

from __future__ import annotations

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from incidents.api.authentication import request_api_key
from incidents.api.errors import ApiError
from incidents.api.schema import EXAMPLE_REFERENCE, error_responses
from incidents.api.visibility import incidents_visible_to_request, visible_incident_or_404
from incidents.kernel import streaming
from incidents.kernel.ids import is_id_text
from incidents.models import ApiScope
from incidents.moments import parse_utc_moment
from incidents.selectors import incidents_visible_to, user_sees_all_security

from .evidence import evidence_pack
from .export import (
    FORMATS,
    WITHHELD_HEADER,
    AuditFilter,
    export_lines,
    hidden_security_incidents,
)
from .tables import history_tables

AUDIT_PERMS = ("reporting.view_audit_trail",)


class _StreamingView(APIView):
    required_scope = ApiScope.AUDIT_READ
    throttle_scope = "api"

    def perform_content_negotiation(self, request, force=False):
        # The body is CSV, JSON Lines or a ZIP, chosen by the view; errors are JSON.
        return JSONRenderer(), "application/json"


def _moment(name: str, raw: str | None):
    if not raw:
        return None
    try:
        return parse_utc_moment(raw)
    except ValueError as error:
        raise ApiError(
            f"{name}: {error}",
            status_code=status.HTTP_400_BAD_REQUEST,
            errors={name: [str(error)]},
        ) from None


def hidden_incidents_for(request):
    """Security incidents this caller may not see, as an id subquery (None: none hidden)."""
    api_key = request_api_key(request)
    if api_key is not None:
        return hidden_security_incidents(
            sees_all_security=api_key.has_scope(ApiScope.INCIDENTS_SECURITY)
        )
    return hidden_security_incidents(
        sees_all_security=user_sees_all_security(request.user),
        visible=incidents_visible_to(request.user),
    )


AUDIT_PARAMETERS = [
    OpenApiParameter("since", OpenApiTypes.DATETIME, description="From this time (inclusive)."),
    OpenApiParameter("until", OpenApiTypes.DATETIME, description="Before this time."),
    OpenApiParameter(
        "model", OpenApiTypes.STR, description="Tracked model, e.g. `incidents.incident`."
    ),
    OpenApiParameter("object_id", OpenApiTypes.STR, description="Object id (with `model`)."),
    OpenApiParameter("user", OpenApiTypes.STR, description="Username who made the change."),
    OpenApiParameter("incident", OpenApiTypes.STR, description="Incident reference."),
    OpenApiParameter(
        "output", OpenApiTypes.STR, enum=["jsonl", "csv"], description="Default `jsonl`."
    ),
]


class AuditEventsView(_StreamingView):
    """Every history row: who, when, model, object, incident, before/after, reason,
    request id. Streamed; memory on the server stays flat whatever the size."""

    required_perms = {"GET": AUDIT_PERMS}

    @extend_schema(
        summary="Export the audit trail",
        description=(
            "One event per history row of every tracked model, with field-level "
            "`changes` ({field: [before, after]}). JSON Lines (default) or CSV, streamed. "
            "Rows of security incidents need `incidents:security` (staff sessions: "
            "need-to-know); the `X-Withheld-Count` response header says how many security "
            "incidents' rows were left out. An `incident` you may not see is a 404, the "
            "same as one that does not exist."
        ),
        parameters=AUDIT_PARAMETERS,
        responses={
            (200, "application/x-ndjson"): OpenApiResponse(OpenApiTypes.STR),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR),
            **error_responses(400, 401, 403, 404, 429),
        },
    )
    def get(self, request):
        params = request.query_params
        output = params.get("output") or "jsonl"
        if output not in FORMATS:
            raise ApiError(
                "output must be jsonl or csv.",
                status_code=status.HTTP_400_BAD_REQUEST,
                errors={"output": ["Choose jsonl or csv."]},
            )
        models = [m.strip().lower() for m in params.getlist("model") if m.strip()]
        known = {t.tracked_label for t in history_tables()}
        unknown = [m for m in models if m not in known]
        if unknown:
            raise ApiError(
                f"Unknown model: {unknown[0]}.",
                status_code=status.HTTP_400_BAD_REQUEST,
                errors={"model": [f"Known: {', '.join(sorted(known))}."]},
            )
        object_id = params.get("object_id") or None
        if object_id is not None and not is_id_text(object_id):
            raise ApiError(
                "object_id must be a number.",
                status_code=status.HTTP_400_BAD_REQUEST,
                errors={"object_id": ["Expected an integer id."]},
            )
        reference = params.get("incident") or None
        hidden = hidden_incidents_for(request)
        filters = AuditFilter(
            since=_moment("since", params.get("since")),
            until=_moment("until", params.get("until")),
            models=models,
            object_id=object_id,
            user=params.get("user") or None,
            incident=reference,
            hidden_incidents=hidden,
        )
        # A named incident the caller may not see answers as one that does not exist, never
        # as an empty export.
        visible = incidents_visible_to_request(request)
        if reference is not None and not visible.filter(reference=reference).exists():
            raise NotFound("No incident with this reference.")
        response = streaming.streamed_attachment(
            export_lines(filters, output),
            content_type=FORMATS[output][0],
            filename=f"audit-events.{output}",
            no_store=True,
        )
        response[WITHHELD_HEADER] = str(hidden.count() if hidden is not None else 0)
        return response


class EvidencePackView(_StreamingView):
    """One incident's evidence pack: a ZIP with a SHA-256 manifest."""

    required_perms = {"GET": ("incidents.view_incident", *AUDIT_PERMS)}

    @extend_schema(
        summary="Download an incident's evidence pack",
        description=(
            "ZIP: the incident, timeline, roles, deliveries, breach assessment and "
            "obligations, post-mortem and communications if any, its audit rows, and "
            "`manifest.json` with the SHA-256 of every file (signed in `manifest.sig`)."
        ),
        parameters=[
            OpenApiParameter(
                "reference",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description=f"Incident reference, e.g. `{EXAMPLE_REFERENCE}`.",
            )
        ],
        responses={
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY),
            **error_responses(401, 403, 404, 429),
        },
    )
    def get(self, request, reference: str):
        incident = visible_incident_or_404(request, reference)
        handle = evidence_pack(
            incident, hidden_incidents=hidden_incidents_for(request), requested_by=request.user
        )
        return FileResponse(
            handle,
            as_attachment=True,
            filename=f"evidence-{incident.reference}.zip",
            content_type="application/zip",
        )


__all__ = ["AuditEventsView", "EvidencePackView"]

"""OpenAPI documentation of the incident endpoints (summaries, descriptions, examples),
kept apart from the view code so the views read as what they do."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema

from .schema import (
    EXAMPLE_REFERENCE,
    IDEMPOTENCY_PARAMETER,
    IF_MATCH_PARAMETER,
    INCIDENT_EXAMPLE,
    READ_ERRORS,
    WRITE_ERRORS,
    error_responses,
)
from .serializers import (
    HistoryRecordSerializer,
    IncidentCreateSerializer,
    IncidentSerializer,
    IncidentUpdateSerializer,
)

ORDERING_FIELDS = ["detected_at", "severity", "reference", "updated_at", "response_due_at"]
ORDERING_PARAMETER = OpenApiParameter(
    "ordering",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    enum=[prefix + name for name in ORDERING_FIELDS for prefix in ("", "-")],
    description=(
        "Sort field; `-` for descending. Default `-detected_at` (newest first). "
        "Severity ascending is most severe first (P0 before P3)."
    ),
)


INCIDENT_SCHEMAS = dict(
    list=extend_schema(
        summary="List incidents",
        description=(
            "Newest first by default. Cursor-paginated: follow `next`/`previous`. Security "
            "incidents appear only for keys with `incidents:security` (and, for staff, as "
            "in the admin)."
        ),
        parameters=[ORDERING_PARAMETER],
        responses={200: IncidentSerializer(many=True), **error_responses(400, 401, 403, 429)},
    ),
    retrieve=extend_schema(
        summary="Get one incident",
        description="The `ETag` header carries the `version`, for `If-Match` on PATCH.",
        responses={
            200: OpenApiResponse(
                IncidentSerializer,
                examples=[OpenApiExample("Incident", value=INCIDENT_EXAMPLE)],
            ),
            **error_responses(*READ_ERRORS),
        },
    ),
    create=extend_schema(
        summary="Open an incident",
        description=(
            "Opens the incident through the same service as the admin: reference, response "
            "deadline from the severity policy, triage checklist, escalation plan. "
            "Opening a security-type incident needs `incidents:security`."
        ),
        request=IncidentCreateSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        examples=[
            OpenApiExample(
                "Outage reported by support",
                request_only=True,
                value={
                    "title": "Checkout returns 502",
                    "severity": "P1",
                    "type": "service_outage",
                    "detection_source": "support_ticket",
                    "summary": "Customers report failed card payments.",
                    "affected_services": ["payments"],
                    "users_affected": 1200,
                },
            ),
        ],
        responses={
            201: OpenApiResponse(
                IncidentSerializer,
                examples=[
                    OpenApiExample("Opened", value={**INCIDENT_EXAMPLE, "status": "detected"})
                ],
            ),
            **error_responses(400, 401, 403, 413, 422, 429),
        },
    ),
    partial_update=extend_schema(
        summary="Edit an incident's details",
        description=(
            "Send the `version` you read (or `If-Match` with the ETag). If the incident "
            "changed since, nothing is saved and the answer is 409: read it again, then "
            "re-apply. Status, acknowledgement and roles have their own endpoints."
        ),
        request=IncidentUpdateSerializer,
        parameters=[IF_MATCH_PARAMETER],
        examples=[
            OpenApiExample(
                "Raise severity",
                request_only=True,
                value={"version": 4, "severity": "P0", "reason": "Now affects all regions"},
            ),
            OpenApiExample(
                "Stale version",
                response_only=True,
                status_codes=["409"],
                value={
                    "detail": f"{EXAMPLE_REFERENCE} was changed by someone else while you "
                    "were editing (your version 3, now 4). Load it again to see their "
                    "changes, then apply yours.",
                    "errors": {},
                },
            ),
        ],
        responses={200: IncidentSerializer, **error_responses(*WRITE_ERRORS)},
    ),
)

HISTORY_SCHEMA = dict(
    summary="Who changed what, when and why",
    description=(
        "The incident's change history, oldest first: who (username; API keys appear as "
        "their service account `api.<name>.<prefix>`), when, why (the change reason), "
        "the request id, and each changed field with its value before and after. "
        "Read-only. Cursor-paginated."
    ),
    responses={
        200: OpenApiResponse(
            HistoryRecordSerializer(many=True),
            examples=[
                OpenApiExample(
                    "Severity raised",
                    value={
                        "next": None,
                        "previous": None,
                        "results": [
                            {
                                "at": "2026-11-27T14:10:00Z",
                                "user": "alice",
                                "action": "changed",
                                "reason": "Severity P1 → P0: Now affects all regions",
                                "request_id": "6f1c2b9e4d3a4c1b8e2f7a6d5c4b3a29",
                                "version": 5,
                                "changes": [
                                    {
                                        "field": "response_due_at",
                                        "before": "2026-11-27T14:45:02Z",
                                        "after": "2026-11-27T14:00:02Z",
                                    },
                                    {"field": "severity", "before": "P1", "after": "P0"},
                                    {"field": "version", "before": 4, "after": 5},
                                ],
                            }
                        ],
                    },
                )
            ],
        ),
        **error_responses(*READ_ERRORS),
    },
)

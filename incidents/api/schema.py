"""OpenAPI documentation helpers: the error responses and examples every endpoint shares."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse

from .idempotency import HEADER
from .serializers import ErrorSerializer

EXAMPLE_REFERENCE = "INC-20261127-134502"

_ERRORS = {
    400: (
        "Bad input: malformed JSON, a field that is missing or invalid.",
        {
            "detail": 'Invalid input: severity: "P9" is not a valid choice. '
            "Valid values: P0, P1, P2, P3.",
            "errors": {"severity": ['"P9" is not a valid choice. Valid values: P0, P1, P2, P3.']},
        },
    ),
    401: (
        "No credentials, or an unknown or revoked API key.",
        {"detail": "Invalid API key (unknown or revoked).", "errors": {}},
    ),
    403: (
        "Authenticated, but the key lacks the scope (or the staff member the permission).",
        {"detail": "This API key lacks the 'incidents:write' scope.", "errors": {}},
    ),
    404: (
        "No such incident, or one you may not see (the two are indistinguishable).",
        {"detail": "Not found.", "errors": {}},
    ),
    409: (
        "The incident's state does not allow this (invalid transition), or someone "
        "changed it since you read it.",
        {
            "detail": "Cannot move an incident from detected to closed. Allowed from "
            "detected: triaged, investigating, contained, resolved, cancelled.",
            "errors": {},
        },
    ),
    413: (
        "The request body is larger than the limit.",
        {
            "detail": "Request body too large: 2000000 bytes; the limit is 1048576 bytes.",
            "errors": {},
        },
    ),
    422: (
        f"The {HEADER} was already used with a different request.",
        {
            "detail": f"This {HEADER} was already used for a different request "
            "(POST /api/v1/incidents/ with another body). Use a new key for a new request; "
            "resend the identical request to get the first response.",
            "errors": {HEADER: ["Already used with a different request."]},
        },
    ),
    429: (
        "Too many requests from this key or user; see the Retry-After header.",
        {"detail": "Request was throttled. Expected available in 12 seconds.", "errors": {}},
    ),
}


def error_responses(*codes: int) -> dict:
    """`{code: OpenApiResponse}` with the contract error body and an example."""
    responses = {}
    for code in codes:
        description, example = _ERRORS[code]
        responses[code] = OpenApiResponse(
            response=ErrorSerializer,
            description=description,
            examples=[OpenApiExample(f"Error {code}", value=example, status_codes=[str(code)])],
        )
    return responses


READ_ERRORS = (401, 403, 404, 429)
WRITE_ERRORS = (400, 401, 403, 404, 409, 413, 429)

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "Any unique string (a UUID). A retry with the same key and body returns the first "
        "response (with `Idempotent-Replayed: true`) and changes nothing; the same key with "
        "a different request is a 422. Keys are kept for 24 hours per client."
    ),
)

IF_MATCH_PARAMETER = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        'The ETag from GET (e.g. `"3"`): an alternative to `version` in the body. A stale '
        "value is a 409."
    ),
)

INCIDENT_EXAMPLE = {
    "reference": EXAMPLE_REFERENCE,
    "url": f"https://harbormaster.example/api/v1/incidents/{EXAMPLE_REFERENCE}/",
    "title": "Checkout returns 502",
    "summary": "Load balancer reports 5xx from the payments service.",
    "severity": "P1",
    "type": "service_outage",
    "category": "operational",
    "status": "investigating",
    "detection_source": "cloudwatch_alarm",
    "is_drill": False,
    "started_at": None,
    "detected_at": "2026-11-27T13:45:02Z",
    "acknowledged_at": "2026-11-27T13:50:40Z",
    "triaged_at": "2026-11-27T13:52:00Z",
    "contained_at": None,
    "resolved_at": None,
    "closed_at": None,
    "cancelled_at": None,
    "response_due_at": "2026-11-27T14:45:02Z",
    "response_sla": "met",
    "sla_breached_at": None,
    "affected_services": ["payments"],
    "users_affected": 1200,
    "customer_impact": "Card payments fail at checkout.",
    "business_impact": "",
    "data_integrity_impact": "",
    "security_implications": "",
    "personal_data_involved": False,
    "resolution_summary": "",
    "cancel_reason": "",
    "roles": {
        "incident_commander": {
            "username": "alice",
            "assigned_at": "2026-11-27T13:51:10Z",
            "assigned_by": "bob",
        },
        "technical_lead": None,
        "communications_lead": None,
        "security_lead": None,
    },
    "version": 4,
    "created_at": "2026-11-27T13:45:03Z",
    "updated_at": "2026-11-27T13:52:00Z",
}

"""/api/v1/incidents/…: thin views. They check who may see what (need-to-know), validate
with the serializers and call incidents.services for every write; domain errors become
4xx through incidents.api.errors."""

from __future__ import annotations

from django.db.models import Prefetch, Q
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from .. import domain, services
from ..choices import Category
from ..models import ApiScope, Incident, RoleAssignment, TimelineEntry
from .docs import HISTORY_SCHEMA, INCIDENT_SCHEMAS, ORDERING_FIELDS
from .errors import ApiError
from .filters import IncidentFilter, StrictOrderingFilter
from .history import history_rows
from .idempotency import IdempotentMixin
from .pagination import (
    HistoryCursorPagination,
    IncidentCursorPagination,
    TimelineCursorPagination,
)
from .schema import (
    IDEMPOTENCY_PARAMETER,
    READ_ERRORS,
    WRITE_ERRORS,
    error_responses,
)
from .serializers import (
    IncidentCreateSerializer,
    IncidentSerializer,
    IncidentUpdateSerializer,
    NoteSerializer,
    RolesSerializer,
    RolesUpdateSerializer,
    TimelineEntrySerializer,
    TransitionSerializer,
    roles_representation,
)
from .visibility import (
    incidents_visible_to_request,
    may_open_security_incident,
    visible_incident_or_404,
)

READ, WRITE = ApiScope.INCIDENTS_READ, ApiScope.INCIDENTS_WRITE
SECURITY_SCOPE_NEEDED = (
    "Opening a security incident (or moving one into the security category) needs the "
    "'incidents:security' scope."
)

# Staff sessions: the same Django permissions as the admin.
VIEW = ("incidents.view_incident",)
CHANGE = ("incidents.view_incident", "incidents.change_incident")
SESSION_PERMS = {
    ("list", "GET"): VIEW,
    ("retrieve", "GET"): VIEW,
    ("create", "POST"): ("incidents.view_incident", "incidents.add_incident"),
    ("partial_update", "PATCH"): CHANGE,
    ("transition", "POST"): CHANGE,
    ("acknowledge", "POST"): CHANGE,
    ("timeline", "GET"): VIEW,
    ("timeline", "POST"): (*CHANGE, "incidents.add_timelineentry"),
    ("roles", "GET"): VIEW,
    ("roles", "PUT"): (*CHANGE, "incidents.add_roleassignment"),
    ("history", "GET"): VIEW,
}


def _if_match_version(request) -> int | None:
    raw = request.headers.get("If-Match")
    if raw is None:
        return None
    value = raw.strip()
    if value.startswith("W/"):
        value = value[2:]
    value = value.strip('"')
    if not value.isdigit() or len(value) > 10:
        raise ApiError(
            'If-Match must be the ETag from GET, e.g. "3".',
            status_code=status.HTTP_400_BAD_REQUEST,
            errors={"If-Match": ['Expected a version such as "3".']},
        )
    return int(value)


def _etag(incident: Incident) -> str:
    return f'"{incident.version}"'


def _with_relations(queryset):
    """What the incident serializer reads, in two queries whatever the number of rows."""
    active_roles = RoleAssignment.objects.filter(relieved_at__isnull=True).select_related(
        "user", "assigned_by"
    )
    return queryset.prefetch_related(
        "affected_services", Prefetch("roles", queryset=active_roles, to_attr="active_roles")
    )


@extend_schema_view(**INCIDENT_SCHEMAS)
class IncidentViewSet(
    IdempotentMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    lookup_field = "reference"
    lookup_value_regex = "[^/]+"
    serializer_class = IncidentSerializer
    pagination_class = IncidentCursorPagination
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    filterset_class = IncidentFilter
    ordering_fields = ORDERING_FIELDS
    ordering = ["-detected_at", "-id"]
    required_scopes = {"GET": READ, "POST": WRITE, "PATCH": WRITE, "PUT": WRITE}

    def get_required_perms(self, request):
        return SESSION_PERMS.get((self.action, request.method))

    def get_queryset(self):
        return _with_relations(incidents_visible_to_request(self.request))

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    def get_object(self) -> Incident:
        reference = self.kwargs[self.lookup_field]
        return visible_incident_or_404(
            self.request, reference, _with_relations(Incident.objects.all())
        )

    def _visible_incident(self) -> Incident:
        """The incident for a write or a sub-resource: no prefetching needed."""
        return visible_incident_or_404(self.request, self.kwargs[self.lookup_field])

    def _incident_response(self, pk: int, status_code=status.HTTP_200_OK) -> Response:
        # Not filtered by visibility: the caller just wrote it (a staff member may have
        # moved it into the security category, out of their own sight).
        incident = _with_relations(Incident.objects.filter(pk=pk)).get()
        response = Response(self.get_serializer(incident).data, status=status_code)
        response["ETag"] = _etag(incident)
        if status_code == status.HTTP_201_CREATED:
            response["Location"] = response.data["url"]
        return response

    # --- incident ---------------------------------------------------------------------------
    def retrieve(self, request, *args, **kwargs):
        incident = self.get_object()
        response = Response(self.get_serializer(incident).data)
        response["ETag"] = _etag(incident)
        return response

    def create(self, request, *args, **kwargs):
        serializer = IncidentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if domain.category_for_type(data["type"]) == Category.SECURITY and not (
            may_open_security_incident(request)
        ):
            raise PermissionDenied(SECURITY_SCOPE_NEEDED)
        incident = services.incident_create(
            user=request.user, affected_services=data.pop("affected_services", ()), **data
        )
        return self._incident_response(incident.pk, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        incident = self._visible_incident()
        serializer = IncidentUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        version, if_match = data.pop("version", None), _if_match_version(request)
        if version is None and if_match is None:
            raise ApiError(
                "Send the version you read, as `version` in the body or as If-Match.",
                status_code=status.HTTP_400_BAD_REQUEST,
                errors={"version": ["This field is required (or send If-Match)."]},
            )
        if version is not None and if_match is not None and version != if_match:
            raise ApiError(
                "`version` and If-Match disagree; send one of them.",
                status_code=status.HTTP_400_BAD_REQUEST,
                errors={"version": ["Differs from If-Match."]},
            )
        if (
            "type" in data
            and domain.category_for_type(data["type"]) == Category.SECURITY
            and not incident.is_security
            and not may_open_security_incident(request)
        ):
            raise PermissionDenied(SECURITY_SCOPE_NEEDED)
        updated = services.incident_update(
            incident=incident.pk,
            user=request.user,
            expected_version=version if version is not None else if_match,
            reason=data.pop("reason", ""),
            severity=data.pop("severity", None),
            affected_services=data.pop("affected_services", None),
            **data,
        )
        return self._incident_response(updated.pk)

    # --- lifecycle --------------------------------------------------------------------------
    @extend_schema(
        summary="Move an incident through its lifecycle",
        description=(
            "`to` is the status to move to. Resolving needs `resolution_summary`, cancelling "
            "(a false alarm) needs `cancel_reason`, reopening a resolved incident "
            "(`resolved` → `investigating`) needs `reason`. Closing while work is still "
            "open (unticked checklist steps, post-incident tasks, action items) needs "
            "`reason`, kept in the history and the timeline (400 without it); closing with "
            "a pending regulatory notification is refused (409). A move the lifecycle does "
            "not allow is a 409 naming the allowed moves."
        ),
        request=TransitionSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        examples=[
            OpenApiExample(
                "Resolve",
                request_only=True,
                value={"to": "resolved", "resolution_summary": "Rolled back release 2026.11.3"},
            ),
            OpenApiExample(
                "Cancel a false alarm",
                request_only=True,
                value={"to": "cancelled", "cancel_reason": "False alarm: synthetic check"},
            ),
            OpenApiExample(
                "Close with open work",
                request_only=True,
                value={"to": "closed", "reason": "Remaining tasks tracked in OPS-412"},
            ),
            OpenApiExample(
                "Missing resolution summary",
                response_only=True,
                status_codes=["400"],
                value={
                    "detail": "A resolution summary is required to resolve an incident.",
                    "errors": {
                        "resolution_summary": [
                            "A resolution summary is required to resolve an incident."
                        ]
                    },
                },
            ),
        ],
        responses={200: IncidentSerializer, **error_responses(*WRITE_ERRORS, 422)},
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, *args, **kwargs):
        incident = self._visible_incident()
        serializer = TransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.incident_transition(
            incident=incident.pk,
            to_status=data["to"],
            user=request.user,
            resolution_summary=data.get("resolution_summary", ""),
            cancel_reason=data.get("cancel_reason", ""),
            reason=data.get("reason", ""),
        )
        return self._incident_response(incident.pk)

    @extend_schema(
        summary="Acknowledge an incident",
        description=(
            "Someone is on it: stamps `acknowledged_at` (the response SLA) and stops the "
            "escalation clock's acknowledgement levels. Already acknowledged, or not open: 409."
        ),
        request=None,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={200: IncidentSerializer, **error_responses(*WRITE_ERRORS, 422)},
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, *args, **kwargs):
        incident = self._visible_incident()
        if request.data:
            raise ApiError(
                "Acknowledge takes no body.",
                status_code=status.HTTP_400_BAD_REQUEST,
                errors={name: ["Unknown field."] for name in map(str, request.data)}
                if isinstance(request.data, dict)
                else {},
            )
        services.incident_acknowledge(incident=incident.pk, user=request.user)
        return self._incident_response(incident.pk)

    # --- timeline ---------------------------------------------------------------------------
    @extend_schema(
        methods=["GET"],
        summary="The incident's timeline",
        description="Oldest first, cursor-paginated.",
        request=None,
        responses={200: TimelineEntrySerializer(many=True), **error_responses(*READ_ERRORS)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Add a note to the timeline",
        request=NoteSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        examples=[
            OpenApiExample(
                "Note", request_only=True, value={"text": "Rollback started by the on-call SRE."}
            )
        ],
        responses={
            201: OpenApiResponse(
                TimelineEntrySerializer,
                examples=[
                    OpenApiExample(
                        "Note added",
                        value={
                            "id": 812,
                            "at": "2026-11-27T14:02:11Z",
                            "kind": "note",
                            "author": "api.chatops.1a2b3c4d",
                            "text": "Rollback started by the on-call SRE.",
                        },
                    )
                ],
            ),
            **error_responses(*WRITE_ERRORS, 422),
        },
    )
    @action(detail=True, methods=["get", "post"], pagination_class=TimelineCursorPagination)
    def timeline(self, request, *args, **kwargs):
        incident = self._visible_incident()
        if request.method == "POST":
            serializer = NoteSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            entry = services.incident_add_note(
                incident=incident.pk,
                text=serializer.validated_data["text"],
                at=serializer.validated_data.get("at"),
                user=request.user,
            )
            entry = TimelineEntry.objects.select_related("author").get(pk=entry.pk)
            return Response(TimelineEntrySerializer(entry).data, status=status.HTTP_201_CREATED)
        entries = TimelineEntry.objects.filter(incident=incident).select_related("author")
        page = self.paginator.paginate_queryset(entries, request, view=self)
        return self.paginator.get_paginated_response(TimelineEntrySerializer(page, many=True).data)

    # --- roles ------------------------------------------------------------------------------
    @extend_schema(
        methods=["GET"],
        summary="Current holders of the response roles",
        request=None,
        responses={200: RolesSerializer, **error_responses(*READ_ERRORS)},
    )
    @extend_schema(
        methods=["PUT"],
        summary="Assign (or relieve) response roles",
        description=(
            "Name each role to change with the username of an active staff member; the "
            "previous holder is relieved (handover, kept in the history). `null` relieves "
            "the holder. Roles not named are left as they are. All changes or none."
        ),
        request=RolesUpdateSerializer,
        examples=[
            OpenApiExample(
                "Assign a commander and a technical lead",
                request_only=True,
                value={"incident_commander": "alice", "technical_lead": "bob"},
            )
        ],
        responses={200: RolesSerializer, **error_responses(*WRITE_ERRORS)},
    )
    @action(detail=True, methods=["get", "put"])
    def roles(self, request, *args, **kwargs):
        incident = self._visible_incident()
        if request.method == "PUT":
            serializer = RolesUpdateSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            services.incident_roles_set(
                incident=incident.pk, roles=serializer.validated_data, user=request.user
            )
        active = RoleAssignment.objects.filter(
            incident=incident, relieved_at__isnull=True
        ).select_related("user", "assigned_by")
        return Response(roles_representation(list(active)))

    # --- history ----------------------------------------------------------------------------
    @extend_schema(**HISTORY_SCHEMA)
    @action(detail=True, methods=["get"], pagination_class=HistoryCursorPagination)
    def history(self, request, *args, **kwargs):
        incident = self._visible_incident()
        records = incident.history.select_related("history_user")
        page = self.paginator.paginate_queryset(records, request, view=self)
        previous = None
        if page:
            first = page[0]
            previous = (
                incident.history.filter(
                    Q(history_date__lt=first.history_date)
                    | Q(history_date=first.history_date, history_id__lt=first.history_id)
                )
                .order_by("-history_date", "-history_id")
                .first()
            )
        rows = history_rows([previous, *page])
        return self.paginator.get_paginated_response(rows)

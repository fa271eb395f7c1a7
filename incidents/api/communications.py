"""/api/v1/incidents/{reference}/communications/: the messages sent about an incident, and
sending one — the same rules as the admin's "Send communication" page
(incidents.communications.services): an external message uses only the incident's public
wording and is refused without it."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from ..communications import domain as comms_domain
from ..communications.services import communication_send
from ..models import ApiScope, Communication, CommunicationTemplate, Incident
from .communication_serializers import CommunicationSendSerializer, CommunicationSerializer
from .errors import ApiError
from .idempotency import IdempotentMixin
from .pagination import FixedOrderCursorPagination
from .schema import IDEMPOTENCY_PARAMETER, READ_ERRORS, WRITE_ERRORS, error_responses
from .visibility import visible_incident_or_404


class CommunicationCursorPagination(FixedOrderCursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-sent_at", "-id")


SEND_EXAMPLE = {
    "template": "initial",
    "audience": "external",
    "channels": ["status_page"],
    "fields": {"eta": "within the hour", "updates": "https://status.harborlist.example/"},
}


class IncidentCommunicationsView(IdempotentMixin, APIView):
    pagination_class = CommunicationCursorPagination
    required_scopes = {"GET": ApiScope.INCIDENTS_READ, "POST": ApiScope.INCIDENTS_WRITE}
    required_perms = {
        "GET": ("incidents.view_incident", "incidents.view_communication"),
        "POST": ("incidents.view_incident", "incidents.add_communication"),
    }
    http_method_names = ["get", "post", "head"]

    def _incident(self, request, reference: str) -> Incident:
        return visible_incident_or_404(request, reference)

    @extend_schema(
        summary="Messages sent about an incident",
        description=(
            "Newest first, cursor-paginated: each message as it was sent (for external ones, "
            "exactly what customers got)."
        ),
        request=None,
        responses={200: CommunicationSerializer(many=True), **error_responses(*READ_ERRORS)},
    )
    def get(self, request, reference: str):
        incident = self._incident(request, reference)
        rows = Communication.objects.filter(incident=incident).select_related("sent_by")
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(CommunicationSerializer(page, many=True).data)

    @extend_schema(
        summary="Send a message about an incident",
        description=(
            "Renders the spec's template (`initial`, `update` or `resolved`) for the audience "
            "and sends it on the channels (`email` needs `email_recipients`, `chat` a "
            "configured webhook, `status_page` only for the external audience). `fields` "
            "fills the sender's placeholders (eta, updates, progress, next_steps, root_cause, "
            "prevention); a placeholder the template needs and nobody filled is a 400. "
            "An **external** message uses only the incident's public wording (`public_title`, "
            "`public_summary`, `public_impact`, `public_resolution`; set them with PATCH on "
            "the incident) and is refused with a 400 naming the missing ones — internal "
            "fields never reach customers."
        ),
        request=CommunicationSendSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        examples=[
            OpenApiExample("External alert", request_only=True, value=SEND_EXAMPLE),
            OpenApiExample(
                "No public wording yet",
                response_only=True,
                status_codes=["400"],
                value={
                    "detail": "Not sent: an external message uses only the public wording, "
                    "and this incident has no public title, public summary yet. Write it "
                    "under “Public wording” first.",
                    "errors": {
                        "public_title": ["Required for an external message."],
                        "public_summary": ["Required for an external message."],
                    },
                },
            ),
        ],
        responses={
            201: OpenApiResponse(CommunicationSerializer),
            **error_responses(*WRITE_ERRORS, 422),
        },
    )
    def post(self, request, reference: str):
        incident = self._incident(request, reference)
        serializer = CommunicationSendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        template = CommunicationTemplate.objects.filter(kind=data["template"]).first()
        if template is None:
            raise ApiError(
                "This template is not set up.",
                status_code=status.HTTP_400_BAD_REQUEST,
                errors={"template": ["Not set up."]},
            )
        try:
            communication = communication_send(
                incident=incident,
                template=template,
                audience=data["audience"],
                channels=data["channels"],
                email_recipients="\n".join(data.get("email_recipients") or []),
                fields=dict(data.get("fields") or {}),
                user=request.user,
            )
        except comms_domain.PublicWordingMissing as error:
            raise ApiError(
                error.message,
                status_code=status.HTTP_400_BAD_REQUEST,
                errors={name: ["Required for an external message."] for name in error.fields},
            ) from None
        except comms_domain.PlaceholdersMissing as error:
            raise ApiError(
                error.message,
                status_code=status.HTTP_400_BAD_REQUEST,
                errors={
                    (f"fields.{name}" if name in comms_domain.SENDER_FIELDS else name): [
                        "Needed by this template."
                    ]
                    for name in error.names
                },
            ) from None
        communication = Communication.objects.select_related("sent_by").get(pk=communication.pk)
        return Response(CommunicationSerializer(communication).data, status=status.HTTP_201_CREATED)

"""GET /api/v1/status/: the public status page as JSON. No credentials, read-only."""

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from ..status_page.selectors import RECENT, as_json, status_page


class StatusQuerySerializer(serializers.Serializer):
    recent_days = serializers.IntegerField(
        min_value=0, max_value=RECENT.days, required=False, default=RECENT.days
    )


class StatusView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    http_method_names = ["get", "head"]

    @extend_schema(
        summary="Public status",
        description=(
            "What the public status page shows: customer-facing services and their status, "
            "current incidents and those resolved recently (7 days by default), each with the "
            "updates published to the external audience. No authentication."
        ),
        parameters=[
            OpenApiParameter(
                "recent_days",
                OpenApiTypes.INT,
                OpenApiParameter.QUERY,
                description="How many days of resolved incidents to include (0–7, default 7).",
            )
        ],
        responses={200: OpenApiTypes.OBJECT},
        auth=[],
    )
    def get(self, request):
        query = StatusQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = status_page(
            timezone.now(), recent=timedelta(days=query.validated_data["recent_days"])
        )
        response = Response(as_json(page))
        response["Cache-Control"] = "public, max-age=30"
        return response

"""POST /api/v1/ingest/{cloudwatch,alertmanager,generic}/ — thin: parse, ingest, answer."""

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from ..ingestion import parsers, sns_signature
from ..ingestion.parsers import PayloadError
from ..ingestion.services import alert_ingest, sns_subscription_record
from .authentication import ApiKeyAuthentication, request_api_key
from .errors import ApiError
from .fields import ChoiceField
from .parsers import StrictJSONParser
from .permissions import ApiPermission


class SnsJSONParser(StrictJSONParser):
    """Amazon SNS posts JSON with Content-Type text/plain (same checks as the JSON)."""

    media_type = "text/plain"


class OutcomeSerializer(serializers.Serializer):
    alert_id = serializers.IntegerField()
    action = ChoiceField(
        choices=["opened", "appended", "recovered", "resolved", "duplicate", "recorded"]
    )
    incident = serializers.CharField(allow_null=True, help_text="Incident reference, if any.")


class IngestResponseSerializer(serializers.Serializer):
    results = OutcomeSerializer(many=True)


ERRORS = {
    400: OpenApiResponse(description="Not the sender's format; `errors` says which field."),
    401: OpenApiResponse(description="Missing, unknown or revoked API key."),
    403: OpenApiResponse(description="The key lacks the `ingest` scope, or a bad signature."),
    429: OpenApiResponse(description="Too many requests; see Retry-After."),
}


class IngestView(APIView):
    # Monitoring systems authenticate with API keys only (no sessions, hence no CSRF).
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [ApiPermission]
    required_scope = "ingest"
    # Alert storms are bursty: ingestion has its own, larger rate bucket per key.
    throttle_scope = "ingest"
    parser_classes = [StrictJSONParser]

    def _actor(self, request) -> str:
        api_key = request_api_key(request)
        return api_key.name if api_key else request.user.get_username()

    def _ingest(self, request, alerts):
        outcomes = [
            alert_ingest(alert, actor=self._actor(request), user=request.user) for alert in alerts
        ]
        return Response(
            {"results": [outcome.as_dict() for outcome in outcomes]},
            status=status.HTTP_202_ACCEPTED,
        )

    @staticmethod
    def _parse(parse, data):
        try:
            return parse(data)
        except PayloadError as error:
            raise ApiError(error.message, status_code=400, errors=error.errors) from None


@extend_schema(
    tags=["ingest"],
    summary="Amazon SNS → CloudWatch alarms",
    description=(
        "Subscribe this URL to the SNS topic your CloudWatch alarms publish to (HTTPS "
        "subscription, raw message delivery off). A `Notification` whose `Message` is an "
        "alarm opens an incident (ALARM) or records recovery (OK); a redelivered MessageId "
        "is stored once. A `SubscriptionConfirmation` is kept in the admin with its "
        "SubscribeURL for a person to confirm. Signatures are verified when "
        "HARBORMASTER_SNS_VERIFY_SIGNATURES is on."
    ),
    request={"application/json": dict, "text/plain": dict},
    responses={202: IngestResponseSerializer, **ERRORS},
    examples=[
        OpenApiExample(
            "Alarm opened an incident",
            value={
                "results": [{"alert_id": 41, "action": "opened", "incident": "INC-20261127-134502"}]
            },
            response_only=True,
        )
    ],
)
class CloudWatchIngestView(IngestView):
    parser_classes = [StrictJSONParser, SnsJSONParser]

    def post(self, request):
        sns = self._parse(parsers.parse_sns, request.data)
        if settings.HARBORMASTER_SNS_VERIFY_SIGNATURES:
            try:
                sns_signature.verify(sns.body)
            except sns_signature.SignatureError as error:
                raise ApiError(f"SNS signature rejected: {error}", status_code=403) from None
        if sns.type == "SubscriptionConfirmation":
            subscription = sns_subscription_record(sns)
            return Response(
                {
                    "detail": "Subscription recorded; a person confirms it from the admin.",
                    "subscription": subscription.pk,
                },
                status=status.HTTP_202_ACCEPTED,
            )
        if sns.type == "UnsubscribeConfirmation":
            return Response({"detail": "Noted."}, status=status.HTTP_202_ACCEPTED)
        return self._ingest(request, [self._parse(parsers.parse_cloudwatch_alarm, sns)])


@extend_schema(
    tags=["ingest"],
    summary="Prometheus Alertmanager webhook (version 4)",
    description=(
        "Point an Alertmanager `webhook_config` at this URL with `http_config.authorization` "
        "`Bearer <key>`. Each alert in the group is grouped by its fingerprint: firing opens "
        "or appends, resolved records recovery."
    ),
    request=dict,
    responses={202: IngestResponseSerializer, **ERRORS},
)
class AlertmanagerIngestView(IngestView):
    def post(self, request):
        return self._ingest(request, self._parse(parsers.parse_alertmanager, request.data))


class GenericAlertSerializer(serializers.Serializer):
    title = serializers.CharField(help_text="What is wrong; becomes the incident title.")
    severity = ChoiceField(
        choices=["P0", "P1", "P2", "P3"], required=False, help_text="Overrides the rule."
    )
    fingerprint = serializers.CharField(
        required=False, help_text="Groups repeats; default: derived from the title."
    )
    status = ChoiceField(choices=["firing", "resolved"], default="firing")
    type = serializers.CharField(required=False, help_text="An incident type from the contract.")
    summary = serializers.CharField(required=False)
    id = serializers.CharField(required=False, help_text="Your id: a redelivery is stored once.")
    details = serializers.DictField(required=False, help_text="Extra data; strings become labels.")


@extend_schema(
    tags=["ingest"],
    summary="Generic alert",
    request=GenericAlertSerializer,
    responses={202: IngestResponseSerializer, **ERRORS},
    examples=[
        OpenApiExample(
            "Firing",
            value={
                "title": "Search latency p95 above 2 s",
                "severity": "P2",
                "fingerprint": "search-latency-p95",
                "status": "firing",
                "details": {"service": "search", "p95_ms": 2310},
            },
            request_only=True,
        )
    ],
)
class GenericIngestView(IngestView):
    def post(self, request):
        return self._ingest(request, [self._parse(parsers.parse_generic, request.data)])

"""Ingest normalized alerts: store raw, group by fingerprint, open or append, recover.

One transaction per alert. The AlertGroup row (unique per source + fingerprint) is locked
first, so concurrent deliveries of the same new alert open exactly one incident."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import domain, services
from ..choices import AlertSource, AlertStatus, DetectionSource, IncidentType, Severity
from ..kernel.history import history_save
from ..models import Alert, AlertGroup, Incident, RoutingRule, SnsSubscription
from .parsers import NormalizedAlert, SnsMessage
from .routing import RuleSpec, choose_rule

DEFAULT_DETECTION_SOURCE: dict[str, str] = {
    AlertSource.CLOUDWATCH: DetectionSource.CLOUDWATCH_ALARM,
    AlertSource.ALERTMANAGER: DetectionSource.APM,
    AlertSource.GENERIC: DetectionSource.APM,
}


@dataclass(frozen=True)
class IngestOutcome:
    alert_id: int
    action: str  # opened | appended | recovered | resolved | duplicate | recorded
    incident_reference: str | None

    def as_dict(self) -> dict:
        return {
            "alert_id": self.alert_id,
            "action": self.action,
            "incident": self.incident_reference,
        }


def _fit(model, field_name: str, text: str) -> str:
    """`text` cut to the column's length: over-long free text from a sender is kept in
    part (the payload holds all of it) rather than failing the delivery."""
    return text[: model._meta.get_field(field_name).max_length]


def _rules() -> tuple[list[RuleSpec], dict[int, RoutingRule]]:
    rows = list(RoutingRule.objects.filter(active=True).prefetch_related("services"))
    specs = [
        RuleSpec(
            id=row.pk,
            priority=row.priority,
            is_default=row.is_default,
            source=row.source,
            match_name=row.match_name,
            match_namespace=row.match_namespace,
            match_labels=row.match_labels or {},
        )
        for row in rows
    ]
    return specs, {row.pk: row for row in rows}


def _locked_group(alert: NormalizedAlert, now: datetime) -> AlertGroup:
    # Repeats are the common case: lock the existing row without trying an INSERT first
    # (a failed INSERT per repeat costs queries and fills the database log with errors).
    existing = (
        AlertGroup.objects.select_for_update()
        .filter(source=alert.source, fingerprint_hash=alert.fingerprint_hash)
        .first()
    )
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            AlertGroup.objects.create(
                source=alert.source,
                fingerprint=alert.fingerprint,
                fingerprint_hash=alert.fingerprint_hash,
                status=alert.status,
                first_seen_at=now,
                last_seen_at=now,
            )
    except IntegrityError:
        pass  # it exists (maybe created by a concurrent delivery a moment ago)
    return AlertGroup.objects.select_for_update().get(
        source=alert.source, fingerprint_hash=alert.fingerprint_hash
    )


def _open_incident(group: AlertGroup) -> Incident | None:
    if group.incident_id is None:
        return None
    incident = Incident.objects.get(pk=group.incident_id)
    return incident if incident.status in domain.OPEN_STATUSES else None


@transaction.atomic
def alert_ingest(
    alert: NormalizedAlert, *, now: datetime | None = None, actor: str = "", user=None
) -> IngestOutcome:
    """`user` is whoever sent it (an API key's service account) for history and timeline."""
    now = now or timezone.now()
    via = f" (via {actor})" if actor else ""
    if alert.external_id:
        earlier = Alert.objects.filter(source=alert.source, external_id=alert.external_id).first()
        if earlier is not None:  # the sender retried a delivery we already have
            reference = earlier.incident.reference if earlier.incident else None
            return IngestOutcome(earlier.pk, "duplicate", reference)

    group = _locked_group(alert, now)
    specs, rows = _rules()
    spec = choose_rule(specs, alert)
    rule = rows.get(spec.id) if spec else None
    incident = _open_incident(group)
    action = "recorded"

    if alert.status == AlertStatus.FIRING:
        if incident is None:
            incident = services.incident_create(
                title=_fit(Incident, "title", alert.name),
                summary=alert.summary,
                severity=alert.severity or (rule.severity if rule else Severity.P2),
                type=alert.incident_type or (rule.type if rule else IncidentType.SERVICE_OUTAGE),
                detection_source=(rule.detection_source if rule else "")
                or DEFAULT_DETECTION_SOURCE[alert.source],
                affected_services=list(rule.services.all()) if rule else [],
                user=user,
                now=now,
                reason=f"Opened by {alert.get_source_label()} alert {alert.name}{via}",
            )
            action = "opened"
        else:
            services.incident_add_note(
                incident=incident,
                text=f"Alert repeated: {alert.name} ({group.occurrences + 1} occurrences){via}",
                user=user,
                now=now,
            )
            action = "appended"
        group.status = AlertStatus.FIRING
    elif alert.status == AlertStatus.RESOLVED:
        group.status = AlertStatus.RESOLVED
        if incident is not None:
            services.incident_add_note(
                incident=incident, text=f"Recovered: {alert.name}{via}", user=user, now=now
            )
            action = "recovered"
            if rule and rule.auto_resolve and _all_recovered(incident, group):
                services.incident_transition(
                    incident=incident,
                    to_status="resolved",
                    resolution_summary="Auto-resolved: every alert in this incident recovered.",
                    user=user,
                    now=now,
                )
                action = "resolved"

    record = Alert.objects.create(
        source=alert.source,
        external_id=alert.external_id,
        fingerprint=alert.fingerprint,
        fingerprint_hash=alert.fingerprint_hash,
        status=alert.status,
        name=_fit(Alert, "name", alert.name),
        summary=alert.summary,
        labels=alert.labels,
        payload=alert.payload,
        received_at=now,
        group=group,
        incident=incident,
        rule=rule,
        opened_incident=action == "opened",
    )
    group.incident = incident if incident is not None else group.incident
    group.occurrences += 1
    group.last_seen_at = now
    group.save()
    return IngestOutcome(record.pk, action, incident.reference if incident else None)


def _all_recovered(incident: Incident, just_recovered: AlertGroup) -> bool:
    others = AlertGroup.objects.filter(incident=incident).exclude(pk=just_recovered.pk)
    return not others.filter(status=AlertStatus.FIRING).exists()


@transaction.atomic
def sns_subscription_record(sns: SnsMessage, *, now: datetime | None = None) -> SnsSubscription:
    """Keep a SubscriptionConfirmation for a person to confirm (idempotent per MessageId)."""
    now = now or timezone.now()
    subscription, _ = SnsSubscription.objects.get_or_create(
        message_id=sns.message_id,
        defaults={
            # Over-long text is cut to the column rather than failing the delivery.
            "topic_arn": _fit(SnsSubscription, "topic_arn", sns.topic_arn),
            "subscribe_url": _fit(
                SnsSubscription, "subscribe_url", str(sns.body.get("SubscribeURL") or "")
            ),
            "token": str(sns.body.get("Token") or ""),
            "payload": sns.body,
            "received_at": now,
        },
    )
    return subscription


@transaction.atomic
def sns_subscriptions_confirm(*, subscriptions, user, now: datetime | None = None) -> int:
    """A person opened each Subscribe URL at AWS: those not yet confirmed are marked
    confirmed, by whom and when (in history). `subscriptions` is a queryset or ids.
    Answers how many were confirmed now."""
    now = now or timezone.now()
    pending = SnsSubscription.objects.select_for_update().filter(
        pk__in=subscriptions, confirmed_at__isnull=True
    )
    count = 0
    for subscription in pending.order_by("pk"):
        subscription.confirmed_at = now
        subscription.confirmed_by = user
        history_save(subscription, user=user, reason="Confirmed at AWS by a person")
        count += 1
    return count

"""Alerts from monitoring, how they are routed, and how repeats are grouped."""

from django.conf import settings
from django.db import models

from ..choices import AlertSource, AlertStatus, DetectionSource, IncidentType, Severity
from ..history import tracked_history
from .incident import Incident, Service


class RoutingRule(models.Model):
    """Maps alert attributes to severity, type and services. Lowest priority first; the
    default rule catches whatever no other rule matched."""

    name = models.CharField(max_length=120, unique=True)
    priority = models.PositiveIntegerField(default=100)
    active = models.BooleanField(default=True)
    is_default = models.BooleanField(default=False)
    source = models.CharField(
        max_length=16, choices=AlertSource.choices, blank=True, help_text="Empty: any source."
    )
    match_name = models.CharField(
        max_length=200,
        blank=True,
        help_text="Regular expression on the alarm or alert name (empty: any).",
    )
    match_namespace = models.CharField(
        max_length=200, blank=True, help_text="CloudWatch namespace, e.g. AWS/ApplicationELB."
    )
    match_labels = models.JSONField(
        default=dict,
        blank=True,
        help_text='Labels that must all be equal, e.g. {"severity": "critical"}.',
    )
    severity = models.CharField(max_length=2, choices=Severity.choices, default=Severity.P2)
    type = models.CharField(
        max_length=32, choices=IncidentType.choices, default=IncidentType.SERVICE_OUTAGE
    )
    detection_source = models.CharField(
        max_length=32,
        choices=DetectionSource.choices,
        blank=True,
        help_text="Empty: from the alert's source (CloudWatch alarm, APM).",
    )
    services = models.ManyToManyField(Service, blank=True, related_name="+")
    auto_resolve = models.BooleanField(
        default=False, help_text="Resolve the incident when every alert in it has recovered."
    )

    history = tracked_history(m2m_fields=[services])

    class Meta:
        ordering = ["priority", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_routing_rule",
            )
        ]

    def __str__(self):
        return self.name


class AlertGroup(models.Model):
    """One row per fingerprint: the lock that makes concurrent deliveries of the same
    alert open one incident, and the link to the incident it currently belongs to.

    Senders' fingerprints have no length limit, so grouping is on the SHA-256 of the
    fingerprint (fixed length, unique per source); the fingerprint itself is kept as text."""

    source = models.CharField(max_length=16, choices=AlertSource.choices)
    fingerprint = models.TextField()
    fingerprint_hash = models.CharField(
        max_length=64, editable=False, help_text="SHA-256 (hex) of the fingerprint."
    )
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="alert_groups"
    )
    status = models.CharField(max_length=16, choices=AlertStatus.choices)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    occurrences = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-last_seen_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "fingerprint_hash"], name="one_group_per_fingerprint"
            )
        ]

    def __str__(self):
        return f"{self.source}:{self.fingerprint}"


class Alert(models.Model):
    """Every alert as received, raw."""

    source = models.CharField(max_length=16, choices=AlertSource.choices)
    # The sender's own id (SNS MessageId, …): a redelivery of the same message is a no-op.
    # An id longer than the column is stored as "sha256:" + its hash (still exact).
    external_id = models.CharField(max_length=200, blank=True)
    fingerprint = models.TextField()
    fingerprint_hash = models.CharField(
        max_length=64, db_index=True, editable=False, help_text="SHA-256 (hex) of the fingerprint."
    )
    status = models.CharField(max_length=16, choices=AlertStatus.choices)
    name = models.CharField(max_length=255)
    summary = models.TextField(blank=True)
    labels = models.JSONField(default=dict, blank=True)
    payload = models.JSONField(help_text="The alert exactly as received.")
    received_at = models.DateTimeField(db_index=True)
    group = models.ForeignKey(AlertGroup, on_delete=models.PROTECT, related_name="alerts")
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    rule = models.ForeignKey(RoutingRule, null=True, blank=True, on_delete=models.SET_NULL)
    opened_incident = models.BooleanField(default=False)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~models.Q(external_id=""),
                name="alert_delivered_once",
            )
        ]

    def __str__(self):
        return f"{self.get_source_display()} {self.status}: {self.name}"


class SnsSubscription(models.Model):
    """An SNS SubscriptionConfirmation, kept for a person to confirm (or auto-confirmed)."""

    topic_arn = models.CharField(max_length=300)
    subscribe_url = models.URLField(max_length=2000)
    message_id = models.CharField(max_length=200, unique=True)
    token = models.TextField()
    payload = models.JSONField()
    received_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    history = tracked_history()

    class Meta:
        ordering = ["-received_at"]
        verbose_name = "SNS subscription confirmation"

    def __str__(self):
        return self.topic_arn

"""API clients: keys (stored as hashes only) and the idempotency records of their POSTs."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from ..history import tracked_history


class ApiScope(models.TextChoices):
    """What an API key may do. `incidents:security` widens what `incidents:*` can see."""

    INCIDENTS_READ = "incidents:read", "Read incidents"
    INCIDENTS_WRITE = "incidents:write", "Open and change incidents"
    INCIDENTS_SECURITY = "incidents:security", "See security incidents (need-to-know)"
    INGEST = "ingest", "Send alerts (ingestion endpoints)"
    AUDIT_READ = "audit:read", "Read the audit trail"
    REPORTS_READ = "reports:read", "Read reports and KPIs"


class ApiKey(models.Model):
    """One integration's credential. The plain key is shown once, when it is created;
    only its SHA-256 is kept (the key is 256 random bits, so a fast hash is enough).
    The key acts as its own service-account user, so history and the timeline say which
    integration made a change."""

    name = models.CharField(max_length=120, help_text="Which integration uses this key.")
    prefix = models.CharField(
        max_length=16, unique=True, editable=False, help_text="Public part, for lookup."
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(default=list, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="api_key",
        editable=False,
        help_text="Service account the key acts as (author of its changes).",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Telemetry, written with a plain UPDATE at most once a minute: not history.
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = tracked_history(excluded_fields=["last_used_at"])

    class Meta:
        ordering = ["name", "-created_at"]
        verbose_name = "API key"
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="apikey_name_not_empty"),
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])


class IdempotencyRecord(models.Model):
    """The first response to a POST sent with an `Idempotency-Key`, replayed to retries.

    The row is inserted before the request's work, in the same transaction, so two
    concurrent requests with the same key cannot both run: the second waits on the unique
    index and then replays the committed response."""

    client = models.CharField(max_length=64, help_text="key:<id> or user:<id>")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=2048)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["client", "key"], name="idempotency_key_per_client")
        ]
        indexes = [models.Index(fields=["client", "created_at"], name="idempotency_client_age")]

    def __str__(self):
        return f"{self.client} {self.key}"

"""The sealed, hash-chained audit log: the chain head, one seal per history row, signed
checkpoints and the verifier's runs."""

from django.db import models
from django.db.models import Q

from incidents.models import Incident


class AuditChainHead(models.Model):
    """A single row locked by every sealer, so the chain never forks."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_sequence = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="auditchainhead_singleton")]

    def __str__(self):
        return f"Chain head at {self.last_sequence}"


class AuditSeal(models.Model):
    """One history row sealed into the chain: hash = SHA-256(sequence, model, history id,
    row digest, previous hash). Append-only (a trigger refuses UPDATE/DELETE on PostgreSQL)."""

    sequence = models.PositiveBigIntegerField(unique=True)
    model = models.CharField(max_length=100, help_text="app_label.historicalmodel")
    history_id = models.BigIntegerField()
    row_digest = models.CharField(max_length=64)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    sealed_at = models.DateTimeField()

    class Meta:
        ordering = ["sequence"]
        permissions = [("view_audit_trail", "Can export the audit trail and evidence packs")]
        constraints = [
            models.UniqueConstraint(fields=["model", "history_id"], name="auditseal_row_once")
        ]

    def __str__(self):
        return f"#{self.sequence} {self.model}:{self.history_id}"


class AuditCheckpoint(models.Model):
    """A signed statement about a segment of the chain. The HMAC key lives in settings
    (environment), never in the database, so rewriting the chain cannot re-sign it."""

    first_sequence = models.PositiveBigIntegerField()
    last_sequence = models.PositiveBigIntegerField(unique=True)
    last_hash = models.CharField(max_length=64)
    count = models.PositiveBigIntegerField()
    previous = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="next"
    )
    created_at = models.DateTimeField()
    key_id = models.CharField(max_length=40, blank=True)
    signature = models.CharField(max_length=64)

    class Meta:
        ordering = ["last_sequence"]

    def __str__(self):
        return f"Checkpoint {self.first_sequence}–{self.last_sequence}"


class AuditVerification(models.Model):
    """One run of the verifier (beat or command): what it covered and what it found."""

    started_at = models.DateTimeField()
    first_sequence = models.PositiveBigIntegerField()
    last_sequence = models.PositiveBigIntegerField()
    last_hash = models.CharField(
        max_length=64, blank=True, help_text="Hash at last_sequence when the run was good."
    )
    checked = models.PositiveBigIntegerField(default=0)
    ok = models.BooleanField()
    first_bad_sequence = models.PositiveBigIntegerField(null=True, blank=True)
    message = models.TextField(blank=True)
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self):
        return f"Verification {self.started_at:%Y-%m-%d %H:%M} {'ok' if self.ok else 'FAILED'}"

"""The escalation matrix, who holds each position, on-call shifts and contact points."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from ..choices import EscalationReason, Position, Severity, StopCondition
from ..history import tracked_history
from .incident import Incident, Service


class EscalationLevel(models.Model):
    """One row of the spec's escalation matrix: who is paged, how long after detection."""

    severity = models.CharField(max_length=2, choices=Severity.choices)
    level = models.PositiveSmallIntegerField(help_text="1 is the initial response.")
    delay_minutes = models.PositiveIntegerField(help_text="Minutes after detection.")
    positions = models.JSONField(help_text="Positions paged at this level.")
    stop_condition = models.CharField(
        max_length=16,
        choices=StopCondition.choices,
        default=StopCondition.RESOLVED,
        help_text="The level is skipped once the incident has reached this point.",
    )

    history = tracked_history()

    class Meta:
        ordering = ["severity", "level"]
        constraints = [
            models.UniqueConstraint(fields=["severity", "level"], name="one_level_per_severity")
        ]

    def __str__(self):
        return f"{self.severity} level {self.level} (+{self.delay_minutes} min)"

    def clean(self):
        from django.core.exceptions import ValidationError

        if not isinstance(self.positions, list) or not self.positions:
            raise ValidationError({"positions": "List at least one position."})
        unknown = [p for p in self.positions if p not in Position.values]
        if unknown:
            raise ValidationError(
                {"positions": f"Unknown position(s): {', '.join(map(str, unknown))}."}
            )


class PositionHolder(models.Model):
    """Who fills a matrix position outside the incident's own roles (e.g. CTO, Team Lead)."""

    position = models.CharField(max_length=32, choices=Position.choices, unique=True)
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    group = models.ForeignKey(
        "auth.Group",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text="Everyone in this group holds the position too.",
    )

    history = tracked_history(m2m_fields=[users])

    class Meta:
        ordering = ["position"]

    def __str__(self):
        return self.get_position_display()


class OnCallShift(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="on_call_shifts"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    service = models.ForeignKey(
        Service,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text="Empty: on call for everything.",
    )
    note = models.CharField(max_length=200, blank=True)

    history = tracked_history()

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["starts_at", "ends_at"], name="shift_window")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="shift_ends_after_start"
            )
        ]

    def __str__(self):
        scope = self.service or "all services"
        return (
            f"{self.user} on call {self.starts_at:%Y-%m-%d %H:%M} → {self.ends_at:%H:%M} ({scope})"
        )


class ContactPoint(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contact_point"
    )
    email = models.EmailField(blank=True, help_text="Empty: the account's email.")
    chat_handle = models.CharField(max_length=80, blank=True, help_text="Slack member id.")
    accepts_email = models.BooleanField(default=True)
    accepts_chat = models.BooleanField(default=True)
    verified_at = models.DateTimeField(null=True, blank=True)

    history = tracked_history()

    def __str__(self):
        return f"Contact for {self.user}"


class IncidentEscalationStep(models.Model):
    """The matrix as copied onto an incident when it opened (or changed severity)."""

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="escalation_steps"
    )
    level = models.PositiveSmallIntegerField()
    delay_minutes = models.PositiveIntegerField()
    positions = models.JSONField()
    stop_condition = models.CharField(max_length=16, choices=StopCondition.choices)
    due_at = models.DateTimeField()

    history = tracked_history()

    class Meta:
        ordering = ["incident", "level"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "level"], name="one_step_per_level")
        ]

    def __str__(self):
        return f"Level {self.level} at {self.due_at:%H:%M}"


class EscalationEvent(models.Model):
    """A level that fired. Unique per incident and level: a level never fires twice."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="escalations")
    level = models.PositiveSmallIntegerField()
    fired_at = models.DateTimeField()
    due_at = models.DateTimeField()
    reason = models.CharField(max_length=16, choices=EscalationReason.choices)
    positions = models.JSONField(default=list)
    targets = models.JSONField(default=list, help_text="Usernames paged.")

    history = tracked_history()

    class Meta:
        ordering = ["incident", "level"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "level"], name="level_fires_once")
        ]

    def __str__(self):
        return f"{self.incident.reference} level {self.level}"

"""Communications: the spec's templates as data, one record per send, the update cadence."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from ..choices import Severity
from ..history import tracked_history
from .incident import Incident


class TemplateKind(models.TextChoices):
    INITIAL = "initial", "Initial incident notification"
    UPDATE = "update", "Status update"
    RESOLUTION = "resolution", "Resolution notification"


class Audience(models.TextChoices):
    INTERNAL = "internal", "Internal (team and management)"
    EXTERNAL = "external", "External (customers)"


class CommChannel(models.TextChoices):
    EMAIL = "email", "Email list"
    CHAT = "chat", "Chat webhook"
    STATUS_PAGE = "status_page", "Public status page"


class CommunicationTemplate(models.Model):
    """One of the spec's three formats; `body` holds {placeholders} (see docs)."""

    kind = models.CharField(max_length=16, choices=TemplateKind.choices, unique=True)
    name = models.CharField(max_length=120)
    subject = models.CharField(max_length=200)
    body = models.TextField()

    history = tracked_history()

    class Meta:
        ordering = ["kind"]

    def __str__(self):
        return self.name


class Communication(models.Model):
    """What was sent, to whom, by whom and when; deliveries are in the outbox."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="communications")
    template = models.ForeignKey(CommunicationTemplate, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=TemplateKind.choices)
    audience = models.CharField(max_length=16, choices=Audience.choices)
    channels = models.JSONField(default=list)
    email_recipients = models.TextField(blank=True, help_text="Addresses, one per line.")
    fields = models.JSONField(default=dict, blank=True, help_text="What the sender filled in.")
    subject = models.CharField(max_length=300)
    body = models.TextField()
    public_status = models.CharField(
        max_length=60,
        blank=True,
        help_text="External messages: the status they told customers (the status page card).",
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(db_index=True)

    history = tracked_history()

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [
            models.Index(fields=["incident", "audience", "sent_at"], name="communication_public")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(audience__in=Audience.values), name="communication_audience_valid"
            )
        ]

    def __str__(self):
        return f"{self.subject} ({self.get_audience_display()})"

    @property
    def on_status_page(self) -> bool:
        return self.audience == Audience.EXTERNAL and CommChannel.STATUS_PAGE in self.channels


class CommunicationCadence(models.Model):
    """How often the communications lead owes a status update, per severity."""

    severity = models.CharField(max_length=2, choices=Severity.choices, unique=True)
    interval_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty: no cadence (no reminders)."
    )

    history = tracked_history()

    class Meta:
        ordering = ["severity"]

    def __str__(self):
        every = f"every {self.interval_minutes} min" if self.interval_minutes else "no cadence"
        return f"{self.severity}: {every}"


class StatusUpdateClock(models.Model):
    """Per incident: when the next status update is owed. Swept by beat."""

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="update_clock")
    due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_reminded_for = models.DateTimeField(null=True, blank=True)

    history = tracked_history()

    def __str__(self):
        return f"{self.incident.reference}: next update due {self.due_at}"

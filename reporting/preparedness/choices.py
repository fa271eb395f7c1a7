"""Choices of the preparedness area (spec: "Training and Preparedness")."""

from django.db import models


class ReviewOutcome(models.TextChoices):
    NO_CHANGES = "no_changes", "Reviewed — no changes needed"
    UPDATED = "updated", "Reviewed — procedures updated"
    FOLLOW_UP = "follow_up", "Reviewed — follow-up work needed"


class TrainingTopic(models.TextChoices):
    """The spec's four training topics."""

    INCIDENT_RESPONSE_PROCEDURES = "incident_response_procedures", "Incident response procedures"
    TOOL_USAGE_AND_ACCESS = "tool_usage_and_access", "Tool usage and access"
    COMMUNICATION_PROTOCOLS = "communication_protocols", "Communication protocols"
    SECURITY_AWARENESS = "security_awareness", "Security awareness"


class DutyStatus(models.TextChoices):
    """Where a dated duty (review, drill, verification) stands on a given day."""

    SCHEDULED = "scheduled", "Scheduled"
    DUE = "due", "Due (within 7 days)"
    OVERDUE = "overdue", "Overdue"
    DONE = "done", "Done"


class TrainingValidity(models.TextChoices):
    CURRENT = "current", "Current"
    EXPIRING = "expiring", "Expiring within 30 days"
    EXPIRED = "expired", "Expired"
    NOT_YET = "not_yet", "Not yet valid"

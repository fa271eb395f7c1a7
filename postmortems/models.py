"""Post-incident checklists, post-mortems (the spec's template as fields) and action items."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from incidents.history import tracked_history
from incidents.models import Incident, ReminderClock


class Stage(models.TextChoices):
    IMMEDIATE = "immediate", "Immediate post-incident (0–24 hours)"
    REVIEW = "review", "Post-incident review (1–7 days)"


class PostMortemStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    PUBLISHED = "published", "Published"


class ActionItemStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    WONT_DO = "wont_do", "Won't do"


OPEN_ACTION_STATUSES = (ActionItemStatus.OPEN, ActionItemStatus.IN_PROGRESS)


class PostIncidentTask(ReminderClock):
    """One step of the spec's post-incident checklists, opened on resolution."""

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="post_incident_tasks"
    )
    stage = models.CharField(max_length=16, choices=Stage.choices)
    order = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    due_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    history = tracked_history()

    class Meta:
        ordering = ["incident", "stage", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "stage", "order"], name="post_incident_step_once"
            ),
            models.CheckConstraint(
                condition=Q(done_at__isnull=True) | Q(done_by__isnull=False),
                name="post_incident_done_has_user",
            ),
        ]

    def __str__(self):
        return self.text

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


class PostMortem(models.Model):
    incident = models.OneToOneField(Incident, on_delete=models.PROTECT, related_name="postmortem")
    status = models.CharField(
        max_length=16, choices=PostMortemStatus.choices, default=PostMortemStatus.DRAFT
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_at = models.DateTimeField(db_index=True)
    review_meeting_at = models.DateTimeField(null=True, blank=True)
    # Incident Summary
    occurred_at = models.DateTimeField(help_text="Date/time: when it occurred.")
    impact = models.TextField(blank=True, help_text="What was affected.")
    root_cause = models.TextField(blank=True, help_text="Why it happened.")
    timeline = models.TextField(blank=True, help_text="Pre-drafted; edit freely.")
    went_well = models.TextField(blank=True, help_text="Positive aspects of the response.")
    could_improve = models.TextField(blank=True, help_text="Areas for improvement.")
    lessons_learned = models.TextField(blank=True, help_text="Key takeaways.")
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    history = tracked_history()

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("approve_postmortem", "Can approve and publish post-mortems")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=PostMortemStatus.PUBLISHED)
                | Q(approved_by__isnull=False, published_at__isnull=False),
                name="postmortem_published_has_approver",
            )
        ]

    def __str__(self):
        return f"Post-mortem {self.incident.reference}"

    @property
    def duration(self):
        """From the start (or detection) to resolution, computed from the incident."""
        incident = self.incident
        if incident.resolved_at is None:
            return None
        return incident.resolved_at - (incident.started_at or incident.detected_at)


class ActionItem(ReminderClock):
    postmortem = models.ForeignKey(PostMortem, on_delete=models.CASCADE, related_name="actions")
    description = models.CharField(max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="action_items"
    )
    due_date = models.DateField(db_index=True)
    status = models.CharField(
        max_length=16, choices=ActionItemStatus.choices, default=ActionItemStatus.OPEN
    )
    ticket_url = models.URLField(blank=True, help_text="Link to the ticket.")
    created_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    history = tracked_history()

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["status", "due_date"], name="actionitem_open_due")]

    def __str__(self):
        return self.description

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ACTION_STATUSES

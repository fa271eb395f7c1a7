"""Preparedness models (registered under the reporting app by reporting/models.py): the
quarterly procedure review, the quarterly drill, training records and the quarterly
contact-information verification. Services write them (reporting.preparedness.services);
`next_reminder_at` (incidents.models.ReminderClock) is the indexed clock beat sweeps."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from incidents.choices import IncidentType, Severity
from incidents.history import tracked_history
from incidents.models import Incident, ReminderClock

from .choices import ReviewOutcome, TrainingTopic

__all__ = ["ContactVerification", "Drill", "ProcedureReview", "TrainingRecord"]

QUARTER_HELP = "e.g. 2027-Q1 (calendar quarters, UTC)."


def _quarter_field(**kwargs):
    return models.CharField(max_length=7, help_text=QUARTER_HELP, db_index=True, **kwargs)


class ProcedureReview(ReminderClock):
    """The quarterly review of the incident response plan (spec: "Documentation
    Maintenance": regular procedure reviews; "reviewed and updated quarterly")."""

    quarter = _quarter_field(unique=True)
    due_on = models.DateField(db_index=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="procedure_reviews",
        help_text="Empty: the Incident Commander group is reminded.",
    )
    opened_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(max_length=16, choices=ReviewOutcome.choices, blank=True)
    changes_made = models.TextField(
        blank=True, help_text="What changed in the procedures (required when updated)."
    )
    procedure_version = models.CharField(
        max_length=120, blank=True, help_text="Version or link of the procedures reviewed."
    )

    history = tracked_history()

    class Meta:
        ordering = ["-quarter"]
        constraints = [
            models.CheckConstraint(
                condition=Q(completed_at__isnull=True, outcome="")
                | Q(completed_at__isnull=False, completed_by__isnull=False) & ~Q(outcome=""),
                name="procedurereview_completed_has_outcome",
            ),
            models.CheckConstraint(
                condition=~Q(outcome=ReviewOutcome.UPDATED) | ~Q(changes_made=""),
                name="procedurereview_updated_has_changes",
            ),
        ]

    def __str__(self):
        return f"Procedure review {self.quarter}"

    @property
    def is_done(self) -> bool:
        return self.completed_at is not None


class Drill(ReminderClock):
    """A quarterly incident simulation (spec: "Incident Simulations"). It can be run as an
    incident with is_drill=True through the normal workflow (`incident`)."""

    quarter = _quarter_field()
    auto_scheduled = models.BooleanField(
        default=False, editable=False, help_text="Created by the quarterly schedule."
    )
    title = models.CharField(max_length=200)
    scenario = models.TextField()
    incident_type = models.CharField(max_length=32, choices=IncidentType.choices)
    severity = models.CharField(max_length=2, choices=Severity.choices)
    scheduled_for = models.DateTimeField(db_index=True)
    held_at = models.DateTimeField(null=True, blank=True)
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="facilitated_drills",
        help_text="Empty: the Incident Commander group is reminded.",
    )
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="drills"
    )
    evaluation = models.TextField(blank=True, help_text="How the response went.")
    improvements = models.TextField(blank=True, help_text="Process improvements identified.")
    incident = models.ForeignKey(
        Incident,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="drills",
        help_text="The is_drill incident when the drill was run through the workflow.",
    )
    created_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    history = tracked_history(m2m_fields=[participants])

    class Meta:
        ordering = ["-scheduled_for", "-id"]
        constraints = [
            # The schedule creates one drill per quarter; people may add more.
            models.UniqueConstraint(
                fields=["quarter"],
                condition=Q(auto_scheduled=True),
                name="drill_one_scheduled_per_quarter",
            ),
            models.UniqueConstraint(
                fields=["incident"],
                condition=Q(incident__isnull=False),
                name="drill_incident_once",
            ),
            models.CheckConstraint(
                condition=Q(held_at__isnull=True)
                | (~Q(evaluation="") & Q(recorded_by__isnull=False)),
                name="drill_held_has_evaluation",
            ),
            models.CheckConstraint(
                condition=Q(incident_type__in=IncidentType.values), name="drill_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(severity__in=Severity.values), name="drill_severity_valid"
            ),
        ]

    def __str__(self):
        return f"Drill {self.quarter}: {self.title}"

    @property
    def is_done(self) -> bool:
        return self.held_at is not None


class TrainingRecord(ReminderClock):
    """One completed training on one of the spec's four topics, valid until `expires_on`
    (exclusive). A newer record on the same topic supersedes it (its reminders stop)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="training_records"
    )
    topic = models.CharField(max_length=40, choices=TrainingTopic.choices)
    completed_on = models.DateField()
    expires_on = models.DateField(db_index=True)
    provider = models.CharField(max_length=200, blank=True, help_text="Course, session or trainer.")
    evidence_url = models.URLField(blank=True, help_text="Certificate or attendance record.")
    notes = models.TextField(blank=True)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    history = tracked_history()

    class Meta:
        ordering = ["-completed_on", "user_id", "topic"]
        # Without it a person sees only their own records (auditors get every view_ perm).
        permissions = [("view_all_training", "Can view everyone's training records")]
        indexes = [
            models.Index(fields=["user", "topic", "expires_on"], name="training_user_topic_exp")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "topic", "completed_on"], name="training_once_per_day"
            ),
            models.CheckConstraint(
                condition=Q(expires_on__gt=models.F("completed_on")),
                name="training_expires_after_completion",
            ),
            models.CheckConstraint(
                condition=Q(topic__in=TrainingTopic.values), name="training_topic_valid"
            ),
        ]

    def __str__(self):
        return f"{self.user} — {self.get_topic_display()} ({self.completed_on:%Y-%m-%d})"


class ContactVerification(ReminderClock):
    """Each responder confirms their contact information once a quarter (spec: "Contact
    information updates"). Confirming stamps their ContactPoint as verified."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contact_verifications"
    )
    quarter = _quarter_field()
    due_on = models.DateField(db_index=True)
    opened_at = models.DateTimeField()
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_contact = models.JSONField(
        default=dict, blank=True, help_text="The contact details as confirmed."
    )

    history = tracked_history()

    class Meta:
        ordering = ["-quarter", "user_id"]
        permissions = [
            ("view_all_contact_verifications", "Can view everyone's contact verifications")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "quarter"], name="contactverification_once_per_quarter"
            ),
            models.CheckConstraint(
                condition=Q(verified_at__isnull=True) | Q(verified_by__isnull=False),
                name="contactverification_verified_has_user",
            ),
        ]

    def __str__(self):
        return f"Contact verification {self.quarter}: {self.user}"

    @property
    def is_done(self) -> bool:
        return self.verified_at is not None

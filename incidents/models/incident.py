from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q
from simple_history import register

from ..choices import (
    CATEGORY_BY_TYPE,
    TYPES_BY_CATEGORY,
    Category,
    DetectionSource,
    IncidentType,
    Phase,
    ResponseRole,
    ServiceTier,
    Severity,
    Status,
    TimelineKind,
)
from ..history import HistoryExtras, tracked_history


class SeverityPolicy(models.Model):
    """One row per severity (P0–P3): response-time SLA and what the level demands."""

    severity = models.CharField(max_length=2, choices=Severity.choices, unique=True)
    name = models.CharField(max_length=40)
    response_minutes = models.PositiveIntegerField(
        help_text="Acknowledge within this many minutes of detection."
    )
    examples = models.TextField(blank=True, help_text="One example per line.")
    postmortem_required = models.BooleanField(default=False)

    history = tracked_history()

    class Meta:
        ordering = ["severity"]
        verbose_name_plural = "severity policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(response_minutes__gt=0), name="severitypolicy_response_positive"
            )
        ]

    def __str__(self):
        return f"{self.severity} {self.name}"


class Service(models.Model):
    """Catalogue of HarborList systems an incident can affect."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_services",
    )
    owning_team = models.CharField(max_length=120, blank=True)
    tier = models.PositiveSmallIntegerField(choices=ServiceTier.choices, default=ServiceTier.TIER_2)
    customer_facing = models.BooleanField(default=False)
    display_name = models.CharField(
        max_length=120,
        blank=True,
        help_text="How customers know it on the public status page; empty: its name.",
    )

    history = tracked_history()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def public_name(self) -> str:
        return self.display_name.strip() or self.name


def _type_category_constraint() -> Q:
    condition = Q()
    for category, types in TYPES_BY_CATEGORY.items():
        condition |= Q(category=category, type__in=list(types))
    return condition


class Incident(models.Model):
    reference = models.CharField(max_length=32, unique=True, editable=False)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    severity = models.CharField(max_length=2, choices=Severity.choices, db_index=True)
    type = models.CharField(max_length=32, choices=IncidentType.choices)
    # Derived from `type` (kept as a column so filters and need-to-know run in SQL).
    category = models.CharField(max_length=16, choices=Category.choices, editable=False)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.DETECTED, db_index=True
    )
    detection_source = models.CharField(max_length=32, choices=DetectionSource.choices)
    is_drill = models.BooleanField(
        default=False, help_text="A simulation run through the normal workflow."
    )

    started_at = models.DateTimeField(
        null=True, blank=True, help_text="When the problem began, if known (for MTTD)."
    )
    detected_at = models.DateTimeField(db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    triaged_at = models.DateTimeField(null=True, blank=True)
    contained_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    response_due_at = models.DateTimeField(
        help_text="Acknowledge by this time (detection + the severity's response time)."
    )
    sla_breached_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when the response deadline passed unacknowledged."
    )
    # The escalation clock: when the dispatcher must next look at this incident
    # (next level due, or the response deadline). Null when nothing is pending.
    next_escalation_at = models.DateTimeField(null=True, blank=True, db_index=True)

    affected_services = models.ManyToManyField(Service, blank=True, related_name="incidents")
    users_affected = models.PositiveIntegerField(null=True, blank=True)
    customer_impact = models.TextField(blank=True)
    business_impact = models.TextField(blank=True)
    data_integrity_impact = models.TextField(blank=True)
    security_implications = models.TextField(blank=True)
    personal_data_involved = models.BooleanField(default=False)
    resolution_summary = models.TextField(blank=True)
    cancel_reason = models.TextField(blank=True)

    # Customer-facing wording, written by the communications lead. External messages and
    # the public status page use only these, never the internal fields above.
    public_title = models.CharField(
        max_length=200, blank=True, help_text="The heading customers see."
    )
    public_summary = models.TextField(blank=True, help_text="What customers are told happened.")
    public_impact = models.TextField(
        blank=True, help_text="What customers may notice (external messages' Impact line)."
    )
    public_resolution = models.TextField(
        blank=True, help_text="What customers are told was fixed (external Resolution line)."
    )

    # Optimistic lock: every service write bumps it; a stale form is refused.
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = tracked_history(m2m_fields=[affected_services])

    class Meta:
        ordering = ["-detected_at", "-id"]
        indexes = [
            models.Index(fields=["category", "status"], name="incident_category_status"),
            models.Index(fields=["status", "response_due_at"], name="incident_status_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=_type_category_constraint(), name="incident_type_matches_category"
            ),
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="incident_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(severity__in=Severity.values), name="incident_severity_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.RESOLVED) | ~Q(resolution_summary=""),
                name="incident_resolved_has_summary",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.CANCELLED) | ~Q(cancel_reason=""),
                name="incident_cancelled_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.reference} {self.title}"

    def save(self, *args, **kwargs):
        self.category = CATEGORY_BY_TYPE.get(self.type, self.category)
        super().save(*args, **kwargs)

    @property
    def is_security(self) -> bool:
        return self.category == Category.SECURITY


class RoleAssignment(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=32, choices=ResponseRole.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="incident_roles"
    )
    assigned_at = models.DateTimeField()
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    relieved_at = models.DateTimeField(null=True, blank=True)

    history = tracked_history()

    class Meta:
        ordering = ["incident", "role", "-assigned_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "role"],
                condition=Q(relieved_at__isnull=True),
                name="one_active_holder_per_role",
                violation_error_message="This role already has an active holder.",
            )
        ]
        indexes = [models.Index(fields=["user", "relieved_at"], name="role_user_active")]

    def __str__(self):
        return f"{self.get_role_display()}: {self.user}"

    @property
    def is_active(self) -> bool:
        return self.relieved_at is None


class TimelineEntry(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=24, choices=TimelineKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    text = models.TextField()

    history = tracked_history()

    class Meta:
        ordering = ["incident", "at", "id"]
        verbose_name_plural = "timeline entries"

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()}"


class ChecklistTemplate(models.Model):
    """A block of steps from the spec for one phase; `applies_to_types` empty = every type."""

    phase = models.CharField(max_length=16, choices=Phase.choices)
    name = models.CharField(max_length=120, unique=True)
    order = models.PositiveSmallIntegerField(default=0)
    applies_to_categories = models.JSONField(
        default=list, blank=True, help_text="Categories this block is for; empty means all."
    )
    applies_to_types = models.JSONField(
        default=list, blank=True, help_text="Incident types this block is for; empty means all."
    )
    active = models.BooleanField(default=True)

    history = tracked_history()

    class Meta:
        ordering = ["phase", "order", "name"]

    def __str__(self):
        return f"{self.get_phase_display()}: {self.name}"

    def applies_to(self, *, category: str, incident_type: str) -> bool:
        if self.applies_to_categories and category not in self.applies_to_categories:
            return False
        return not (self.applies_to_types and incident_type not in self.applies_to_types)


class ChecklistTemplateItem(models.Model):
    template = models.ForeignKey(ChecklistTemplate, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(max_length=200)

    history = tracked_history()

    class Meta:
        ordering = ["template", "order", "id"]

    def __str__(self):
        return self.text


class ChecklistItem(models.Model):
    """One step on one incident; copied from a template so template edits don't rewrite it."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="checklist")
    template_item = models.ForeignKey(
        ChecklistTemplateItem, null=True, blank=True, on_delete=models.SET_NULL
    )
    phase = models.CharField(max_length=16, choices=Phase.choices)
    section = models.CharField(max_length=120)
    order = models.PositiveIntegerField(default=0)
    text = models.CharField(max_length=200)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    history = tracked_history()

    class Meta:
        ordering = ["incident", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "template_item"], name="checklist_item_once_per_incident"
            ),
            models.CheckConstraint(
                condition=Q(done_at__isnull=True) | Q(done_by__isnull=False),
                name="checklist_done_has_user",
            ),
        ]

    def __str__(self):
        return self.text

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


# Who was given which group (e.g. Security Lead, which opens every security incident) is
# audit evidence too: track users and their group membership.
def _track_users() -> None:
    user_model = get_user_model()
    if not hasattr(user_model, "history"):
        register(
            user_model,
            app="incidents",
            m2m_fields=["groups"],
            bases=[HistoryExtras],
            excluded_fields=["password", "last_login"],
            cascade_delete_history=False,
        )


_track_users()

"""Breach assessments and regulatory clocks: regimes and their stages as data, one
assessment per incident, one obligation per notification owed."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from incidents.history import tracked_history
from incidents.models import Incident

from .choices import ANCHOR_FIELD, Anchor, Applicability, HolidayCalendar, ObligationStatus, Unit
from .domain import (
    DeadlineError,
    FactError,
    StageClock,
    business_day_zone,
    clean_required_contents,
)


# --- regimes as data ---------------------------------------------------------------------------
class Regime(models.Model):
    """A notification regime (GDPR Art. 33, NIS2, …). Seeded from regulatory-clocks.md and
    edited by compliance staff; every row carries its rule version and source."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    jurisdiction = models.CharField(
        max_length=40, blank=True, help_text="EU, US, US-CO, US-TX, … (informational)."
    )
    state = models.CharField(
        max_length=8,
        blank=True,
        help_text="US state code whose resident counts decide state thresholds (CO, TX).",
    )
    clock_starts = models.CharField(max_length=200, blank=True)
    rule_version = models.CharField(max_length=80)
    source = models.CharField(max_length=300)
    notes = models.TextField(blank=True)
    active = models.BooleanField(default=True)

    history = tracked_history()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class RegimeStage(models.Model):
    """One notification a regime demands: its clock (anchor + amount + unit), recipient,
    threshold and required contents. No amount means no fixed clock ("without undue
    delay")."""

    regime = models.ForeignKey(Regime, on_delete=models.CASCADE, related_name="stages")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=120)
    order = models.PositiveSmallIntegerField(default=0)
    anchor = models.CharField(max_length=24, choices=Anchor.choices)
    amount = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty: no fixed clock (e.g. without undue delay)."
    )
    unit = models.CharField(max_length=16, choices=Unit.choices, default=Unit.HOURS)
    holiday_calendar = models.CharField(
        max_length=16,
        choices=HolidayCalendar.choices,
        default=HolidayCalendar.NONE,
        blank=True,
        help_text="Holidays a business-day clock skips besides weekends (SEC: US federal).",
    )
    business_day_zone = models.CharField(
        max_length=64,
        blank=True,
        help_text="Time zone whose calendar days a business-day clock counts, the deadline "
        "being the end of the last day there (SEC: America/New_York). Empty: UTC instants.",
    )
    business_day_ends = models.TimeField(
        null=True,
        blank=True,
        help_text="Local time the last business day ends in that zone (SEC: 17:30, EDGAR's "
        "cut-off for a filing to carry that day's date). Empty: 23:59:59.",
    )
    cap_anchor = models.CharField(
        max_length=24,
        choices=Anchor.choices,
        blank=True,
        help_text="Outer bound: the deadline is never later than this many units after this "
        "event (DORA initial report: 24 h after awareness).",
    )
    cap_amount = models.PositiveIntegerField(null=True, blank=True)
    cap_unit = models.CharField(max_length=16, choices=Unit.choices, default=Unit.HOURS)
    recipient = models.CharField(max_length=200)
    applicability = models.CharField(
        max_length=24, choices=Applicability.choices, default=Applicability.ALWAYS
    )
    threshold = models.PositiveIntegerField(null=True, blank=True)
    required_contents = models.JSONField(
        default=list,
        blank=True,
        help_text='What the notification must contain: [{"key": "nature", "label": "…"}].',
    )
    deadline_text = models.CharField(max_length=200, blank=True)
    rule_version = models.CharField(max_length=80)
    source = models.CharField(max_length=300)
    active = models.BooleanField(default=True)

    history = tracked_history()

    class Meta:
        ordering = ["regime", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["regime", "code"], name="regimestage_code_per_regime"),
            models.CheckConstraint(
                condition=Q(anchor__in=Anchor.values), name="regimestage_anchor_valid"
            ),
            models.CheckConstraint(
                condition=Q(unit__in=Unit.values), name="regimestage_unit_valid"
            ),
            models.CheckConstraint(
                condition=Q(cap_anchor="", cap_amount__isnull=True)
                | (
                    Q(cap_amount__isnull=False)
                    & Q(cap_anchor__in=[anchor.value for anchor in ANCHOR_FIELD])
                    & Q(cap_unit__in=Unit.values)
                ),
                name="regimestage_cap_complete",
                violation_error_message="An outer bound needs both its event and its amount.",
            ),
            models.CheckConstraint(
                condition=Q(holiday_calendar__in=HolidayCalendar.values),
                name="regimestage_holiday_calendar_valid",
            ),
        ]

    def __str__(self):
        return f"{self.regime.name}: {self.name}"

    def clean(self):
        super().clean()
        if bool(self.cap_anchor) != (self.cap_amount is not None):
            field = "cap_amount" if self.cap_anchor else "cap_anchor"
            raise ValidationError({field: "An outer bound needs both its event and its amount."})
        if self.cap_anchor and self.cap_anchor not in ANCHOR_FIELD:
            raise ValidationError(
                {"cap_anchor": "The outer bound counts from a recorded time of the assessment."}
            )
        try:
            self.required_contents = clean_required_contents(self.required_contents)
        except FactError as error:
            raise ValidationError({"required_contents": str(error)}) from None
        if self.business_day_ends is not None and not self.business_day_zone:
            raise ValidationError(
                {"business_day_ends": "A local end of day needs the zone it is local to."}
            )
        if self.business_day_zone:
            try:
                business_day_zone(self.business_day_zone)
            except DeadlineError:
                raise ValidationError(
                    {"business_day_zone": "Give an IANA time zone, e.g. America/New_York."}
                ) from None

    @property
    def clock(self) -> StageClock:
        return StageClock(
            amount=self.amount,
            unit=self.unit,
            holiday_calendar=self.holiday_calendar,
            business_day_zone=self.business_day_zone,
            business_day_ends=self.business_day_ends,
            cap_amount=self.cap_amount,
            cap_unit=self.cap_unit,
        )


# --- breach assessment -------------------------------------------------------------------------
class BreachAssessment(models.Model):
    """The breach record of one incident (GDPR Art. 33(5): every breach, notified or not).
    Each clock-starting time keeps who set it and why; history keeps every change."""

    incident = models.OneToOneField(
        Incident, on_delete=models.PROTECT, related_name="breach_assessment"
    )
    nature = models.TextField(blank=True, help_text="Nature of the breach.")

    awareness_at = models.DateTimeField(
        null=True, blank=True, help_text="When the organisation became aware of the breach."
    )
    awareness_set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    awareness_reason = models.TextField(blank=True)
    discovery_at = models.DateTimeField(null=True, blank=True)
    discovery_set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    discovery_reason = models.TextField(blank=True)
    classification_at = models.DateTimeField(
        null=True, blank=True, help_text="When the incident was classified as major (DORA, NIS2)."
    )
    classification_set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    classification_reason = models.TextField(blank=True)
    determination_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When it was determined that a breach occurred / that it is material (SEC).",
    )
    determination_set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    determination_reason = models.TextField(blank=True)

    personal_data_involved = models.BooleanField(default=True)
    data_categories = models.TextField(blank=True, help_text="Categories of personal data.")
    data_subject_categories = models.TextField(blank=True)
    approx_data_subjects = models.PositiveIntegerField(null=True, blank=True)
    approx_records = models.PositiveBigIntegerField(null=True, blank=True)
    residents_by_state = models.JSONField(
        default=dict, blank=True, help_text='Affected residents per US state: {"CO": 600}.'
    )
    likely_consequences = models.TextField(blank=True)
    measures = models.TextField(blank=True, help_text="Measures taken or proposed.")
    dpo_contact = models.TextField(blank=True, help_text="DPO or other contact point.")
    high_risk = models.BooleanField(
        null=True, blank=True, help_text="Likely high risk to individuals (GDPR Art. 34)."
    )
    high_risk_rationale = models.TextField(blank=True)
    high_risk_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    jurisdictions = models.JSONField(default=list, blank=True, help_text='e.g. ["EU", "US-CO"].')
    regimes = models.ManyToManyField(Regime, blank=True, related_name="assessments")

    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    history = tracked_history(m2m_fields=[regimes])

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("view_breach_register", "Can view and export the breach register")]
        constraints = [
            models.CheckConstraint(
                condition=Q(awareness_at__isnull=True) | ~Q(awareness_reason=""),
                name="breach_awareness_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(high_risk__isnull=True) | ~Q(high_risk_rationale=""),
                name="breach_high_risk_has_rationale",
            ),
        ]

    def __str__(self):
        return f"Breach assessment of {self.incident.reference}"


class NotificationObligation(models.Model):
    """One notification owed under one regime stage. `due_at` comes from
    reporting.breach.domain.due_at; `next_reminder_at` is the clock the beat sweep watches."""

    assessment = models.ForeignKey(
        BreachAssessment, on_delete=models.PROTECT, related_name="obligations"
    )
    stage = models.ForeignKey(RegimeStage, on_delete=models.PROTECT, related_name="obligations")
    status = models.CharField(
        max_length=16, choices=ObligationStatus.choices, default=ObligationStatus.PENDING
    )
    recipient = models.CharField(max_length=200)
    anchor_at = models.DateTimeField(null=True, blank=True, help_text="When the clock started.")
    due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    next_reminder_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.JSONField(
        default=list, blank=True, help_text="Lead times (minutes) already reminded for due_at."
    )
    overdue_alarmed_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reference_number = models.CharField(max_length=120, blank=True)
    content_snapshot = models.JSONField(
        default=dict, blank=True, help_text="What was notified, per required field."
    )
    rationale = models.TextField(blank=True, help_text="Why it is not required.")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    history = tracked_history()

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(
                fields=["next_reminder_at"],
                name="obligation_reminder_due",
                condition=Q(status="pending"),
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "stage"], name="obligation_once_per_stage"
            ),
            models.CheckConstraint(
                condition=~Q(status="submitted") | Q(submitted_at__isnull=False),
                name="obligation_submitted_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="not_required") | ~Q(rationale=""),
                name="obligation_not_required_has_rationale",
            ),
        ]

    def __str__(self):
        return f"{self.stage} ({self.get_status_display()})"

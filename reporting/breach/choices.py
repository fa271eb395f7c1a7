"""Choices of the reporting app (stable values: exports and seed data use them)."""

from django.db import models


class Anchor(models.TextChoices):
    """The event a notification stage's clock starts from."""

    AWARENESS = "awareness", "Awareness"
    DISCOVERY = "discovery", "Discovery"
    CLASSIFICATION = "classification", "Classification as major"
    DETERMINATION = "determination", "Determination (breach / materiality)"
    PREVIOUS_STAGE = "previous_stage", "Previous stage submitted"
    DISCOVERY_YEAR_END = "discovery_year_end", "End of the calendar year of discovery"


# Which assessment field holds each anchor's time.
ANCHOR_FIELD = {
    Anchor.AWARENESS: "awareness_at",
    Anchor.DISCOVERY: "discovery_at",
    Anchor.CLASSIFICATION: "classification_at",
    Anchor.DETERMINATION: "determination_at",
}


class Unit(models.TextChoices):
    HOURS = "hours", "Hours"
    CALENDAR_DAYS = "calendar_days", "Calendar days"
    BUSINESS_DAYS = "business_days", "Business days (Mon–Fri, less the stage's holidays)"
    CALENDAR_MONTHS = "calendar_months", "Calendar months"


class HolidayCalendar(models.TextChoices):
    """Days a business-day clock skips besides weekends."""

    NONE = "", "Weekends only"
    # SEC rule 0-3: a business day is any day but Saturday, Sunday or a federal holiday.
    US_FEDERAL = "us_federal", "US federal holidays"


class Applicability(models.TextChoices):
    """When a stage applies to a breach (the threshold is the stage's `threshold`)."""

    ALWAYS = "always", "Always"
    HIGH_RISK = "high_risk", "High risk to individuals decided"
    SUBJECTS_AT_LEAST = "subjects_gte", "Data subjects ≥ threshold"
    SUBJECTS_BELOW = "subjects_lt", "Data subjects < threshold"
    STATE_RESIDENTS_AT_LEAST = "state_residents_gte", "Residents of the regime's state ≥ threshold"
    ANY_STATE_RESIDENTS_ABOVE = "any_state_residents_gt", "Residents of one state > threshold"


class ObligationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUBMITTED = "submitted", "Submitted"
    NOT_REQUIRED = "not_required", "Not required"

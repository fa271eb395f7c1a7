"""Opening a quarter: the review, the drill and the contact verifications in one call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from ..models import ContactVerification, Drill, ProcedureReview
from .contacts import contact_verification_open_for_quarter
from .drills import drill_schedule_for_quarter
from .reviews import procedure_review_open_for_quarter


@dataclass
class QuarterOpened:
    quarter: str
    review: ProcedureReview
    review_created: bool
    drill: Drill
    drill_created: bool
    verifications_created: list[ContactVerification]


@transaction.atomic
def quarter_open(*, quarter: str, now: datetime, by=None) -> QuarterOpened:
    """What the three quarterly schedules do, in one call (the open_quarter command)."""
    review, review_created = procedure_review_open_for_quarter(quarter=quarter, now=now, by=by)
    drill, drill_created = drill_schedule_for_quarter(quarter=quarter, now=now, by=by)
    verifications = contact_verification_open_for_quarter(quarter=quarter, now=now, by=by)
    return QuarterOpened(quarter, review, review_created, drill, drill_created, verifications)

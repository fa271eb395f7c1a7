"""Quarterly procedure reviews: open, assign or move, complete."""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction

from incidents.kernel.errors import DomainError
from incidents.kernel.history import history_save

from .. import domain
from ..choices import ReviewOutcome
from ..models import ProcedureReview
from .common import create_once, duty_clock_reset, pk_of, valid_quarter


def review_stop_on(review: ProcedureReview) -> date:
    # Nag until the quarter ends; then the next quarter's review is the one that matters.
    return domain.quarter_bounds(review.quarter)[1].date()


@transaction.atomic
def procedure_review_open_for_quarter(
    *, quarter: str, now: datetime, reviewer=None, by=None
) -> tuple[ProcedureReview, bool]:
    """The quarter's procedure review (created if missing). -> (review, created)."""
    quarter = valid_quarter(quarter)
    review = ProcedureReview(
        quarter=quarter, due_on=domain.review_due_on(quarter), reviewer=reviewer, opened_at=now
    )
    duty_clock_reset(review, due_on=review.due_on, stop_on=review_stop_on(review))
    return create_once(
        review,
        user=by,
        reason=f"Quarterly procedure review opened for {quarter}",
        lookup={"quarter": quarter},
    )


@transaction.atomic
def procedure_review_update(
    *, review: ProcedureReview | int, by, reviewer=None, due_on: date | None = None, **extra
) -> ProcedureReview:
    """Assign the reviewer or move the due day of an open review."""
    locked = ProcedureReview.objects.select_for_update().get(pk=pk_of(review))
    changed = []
    if reviewer != locked.reviewer:
        locked.reviewer = reviewer
        changed.append("reviewer")
    if due_on is not None and due_on != locked.due_on:
        if locked.is_done:
            raise DomainError("A completed review keeps its due date.", field="due_on")
        locked.due_on = due_on
        duty_clock_reset(locked, due_on=due_on, stop_on=review_stop_on(locked))
        changed.append("due date")
    if "procedure_version" in extra:
        procedure_version = extra.pop("procedure_version")
        if procedure_version != locked.procedure_version:
            locked.procedure_version = procedure_version
            changed.append("procedure version")
    if extra:
        raise DomainError(f"These fields cannot be edited: {', '.join(sorted(extra))}.")
    if changed:
        history_save(locked, user=by, reason="Updated " + ", ".join(changed))
    return locked


@transaction.atomic
def procedure_review_complete(
    *,
    review: ProcedureReview | int,
    by,
    outcome: str,
    changes_made: str = "",
    now: datetime,
    procedure_version: str | None = None,
) -> ProcedureReview:
    locked = ProcedureReview.objects.select_for_update().get(pk=pk_of(review))
    if locked.is_done:
        raise DomainError(f"The {locked.quarter} review was already completed.")
    if by is None:
        raise DomainError("A review is completed by a person.")
    if outcome not in ReviewOutcome.values:
        raise DomainError(f"Unknown outcome {outcome!r}.", field="outcome")
    changes_made = (changes_made or "").strip()
    if outcome == ReviewOutcome.UPDATED and not changes_made:
        raise DomainError("Describe the changes made to the procedures.", field="changes_made")
    locked.completed_at = now
    locked.completed_by = by
    locked.outcome = outcome
    locked.changes_made = changes_made
    if procedure_version is not None:
        locked.procedure_version = procedure_version.strip()
    if locked.reviewer is None:
        locked.reviewer = by
    locked.next_reminder_at = None
    history_save(locked, user=by, reason=f"Review completed: {ReviewOutcome(outcome).label}")
    return locked

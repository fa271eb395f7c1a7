"""Reads and aggregates over preparedness that the admin, the quarterly compliance report
and the command share. Aggregates are computed in SQL."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from incidents.choices import StaffGroup

from . import domain
from .choices import DutyStatus, TrainingTopic, TrainingValidity
from .models import ContactVerification, Drill, ProcedureReview, TrainingRecord

# The groups whose members respond to incidents (everyone but the read-only auditors).
RESPONSE_GROUPS = tuple(group for group in StaffGroup if group != StaffGroup.AUDITOR)

quarter_bounds = domain.quarter_bounds
quarter_of = domain.quarter_of


def responders() -> QuerySet:
    """Active members of any response-role staff group, each once."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=RESPONSE_GROUPS)
        .distinct()
        .order_by("username")
    )


def reviews_in(start: datetime, end: datetime) -> QuerySet[ProcedureReview]:
    """Reviews due or completed in [start, end)."""
    return ProcedureReview.objects.filter(
        Q(due_on__gte=domain.today_utc(start), due_on__lt=domain.today_utc(end))
        | Q(completed_at__gte=start, completed_at__lt=end)
    ).select_related("reviewer", "completed_by")


def drills_in(start: datetime, end: datetime) -> QuerySet[Drill]:
    """Drills scheduled or held in [start, end)."""
    return (
        Drill.objects.filter(
            Q(scheduled_for__gte=start, scheduled_for__lt=end)
            | Q(held_at__gte=start, held_at__lt=end)
        )
        .select_related("facilitator", "incident")
        .annotate(participant_count=Count("participants", distinct=True))
        .order_by("scheduled_for", "id")
    )


def current_training(on: date) -> Q:
    """Records valid on day `on` (completed on or before it, expiring after it)."""
    return Q(completed_on__lte=on, expires_on__gt=on)


def training_coverage(*, on: date) -> list[dict]:
    """Per response-role group: members, members with a current record per topic, members
    current on all four topics, and that as a rate. One query."""
    topics = list(TrainingTopic.values)

    def has_current(topic):
        return Exists(
            TrainingRecord.objects.filter(current_training(on), user=OuterRef("pk"), topic=topic)
        )

    per_topic = {f"t_{topic}": Count("pk", filter=has_current(topic)) for topic in topics}
    all_topics = Q()
    for topic in topics:
        all_topics &= Q(has_current(topic))
    rows = (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=RESPONSE_GROUPS)
        .values("groups__name")
        .annotate(members=Count("pk"), fully=Count("pk", filter=all_topics), **per_topic)
        .order_by()
    )
    by_group = {row["groups__name"]: row for row in rows}
    coverage = []
    for group in RESPONSE_GROUPS:
        row: Mapping[str, Any] = by_group.get(group.value, {})
        members = row.get("members", 0)
        fully = row.get("fully", 0)
        coverage.append(
            {
                "group": group.value,
                "members": members,
                "by_topic": {topic: row.get(f"t_{topic}", 0) for topic in topics},
                "fully_trained": fully,
                "coverage_rate": fully / members if members else None,
            }
        )
    return coverage


def contact_verification_status(quarter: str, *, now: datetime | None = None) -> dict:
    """{"due": verifications opened for the quarter, "verified": confirmed, "overdue": not
    confirmed and past their due day}."""
    domain.parse_quarter(quarter)
    today = domain.today_utc(now or timezone.now())
    overdue_before, _ = domain.status_window(today)
    return ContactVerification.objects.filter(quarter=quarter).aggregate(
        due=Count("pk"),
        verified=Count("pk", filter=Q(verified_at__isnull=False)),
        overdue=Count("pk", filter=Q(verified_at__isnull=True, due_on__lt=overdue_before)),
    )


# --- status filters (admin) ------------------------------------------------------------------
# Per model: the due-day expression and the "done" field. Drills are due on their day.
_DUTY_FIELDS = {
    ProcedureReview: ("due_on", "completed_at"),
    ContactVerification: ("due_on", "verified_at"),
    Drill: ("scheduled_for__date", "held_at"),
}


def filter_duty_status(queryset: QuerySet, status: str, *, today: date) -> QuerySet:
    """The rows in `status` on `today`, by the same boundaries as domain.duty_status."""
    due_field, done_field = _DUTY_FIELDS[queryset.model]
    overdue_before, due_until = domain.status_window(today)
    scheduled_from = due_until + timedelta(days=1)
    if due_field.endswith("__date"):
        # A range on the indexed datetime column rather than a date cast per row.
        column = due_field.removesuffix("__date")
        overdue_before, scheduled_from = (
            datetime.combine(day, time.min, tzinfo=UTC) for day in (overdue_before, scheduled_from)
        )
    else:
        column = due_field
    if status == DutyStatus.DONE:
        return queryset.filter(**{f"{done_field}__isnull": False})
    open_rows = queryset.filter(**{f"{done_field}__isnull": True})
    if status == DutyStatus.OVERDUE:
        return open_rows.filter(**{f"{column}__lt": overdue_before})
    if status == DutyStatus.DUE:
        return open_rows.filter(
            **{f"{column}__gte": overdue_before, f"{column}__lt": scheduled_from}
        )
    if status == DutyStatus.SCHEDULED:
        return open_rows.filter(**{f"{column}__gte": scheduled_from})
    raise ValueError(f"Unknown status {status!r}.")


def filter_training_validity(queryset: QuerySet, validity: str, *, today: date) -> QuerySet:
    warn_from = today + timedelta(days=domain.TRAINING_EXPIRY_WARNING_DAYS)
    if validity == TrainingValidity.EXPIRED:
        return queryset.filter(expires_on__lte=today)
    if validity == TrainingValidity.EXPIRING:
        return queryset.filter(
            completed_on__lte=today, expires_on__gt=today, expires_on__lte=warn_from
        )
    if validity == TrainingValidity.CURRENT:
        return queryset.filter(completed_on__lte=today, expires_on__gt=warn_from)
    if validity == TrainingValidity.NOT_YET:
        return queryset.filter(completed_on__gt=today)
    raise ValueError(f"Unknown validity {validity!r}.")


def superseded_q() -> Q:
    """Records for which the same person has a later record on the same topic."""
    return Q(
        Exists(
            TrainingRecord.objects.filter(
                user=OuterRef("user"),
                topic=OuterRef("topic"),
                completed_on__gt=OuterRef("completed_on"),
            )
        )
    )

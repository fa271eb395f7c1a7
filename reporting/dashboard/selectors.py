"""Reads of the dashboard and the quarterly report. The KPI numbers come from
reporting.kpis.selectors and the preparedness numbers from reporting.preparedness.selectors
(the same functions the API uses); this module composes them and adds the breach and
notification aggregates of the quarterly report."""

from datetime import date, datetime, timedelta

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Coalesce

from incidents.selectors import incidents_visible_to

from ..breach.choices import ObligationStatus
from ..breach.models import BreachAssessment, NotificationObligation
from ..kpis.domain import periods_between
from ..kpis.selectors import kpi_breakdown, kpi_frequency, kpi_incidents, kpi_summary
from ..preparedness.models import ContactVerification, ProcedureReview
from . import domain


def dashboard_incidents(
    user, *, start: datetime, end: datetime, severities=(), categories=(), types=(), services=()
) -> QuerySet:
    """What the dashboard's numbers are about: the incidents `user` may see (need-to-know),
    drills excluded, detected in [start, end), filtered — exactly as the KPI API scopes them."""
    return kpi_incidents(
        incidents_visible_to(user),
        start=start,
        end=end,
        severities=tuple(severities),
        categories=tuple(categories),
        types=tuple(types),
        service_ids=tuple(service.pk for service in services),
    )


def dashboard_data(
    incidents: QuerySet, *, start: datetime, end: datetime, group_by: str, now: datetime
) -> dict:
    """Tiles, chart data and the breakdown table, one aggregate query each. `now` decides
    whether an unacknowledged incident's SLA is still pending."""
    summary = kpi_summary(incidents, now=now)
    by_month = kpi_breakdown(incidents, group_by="month", now=now)
    by_severity = kpi_breakdown(incidents, group_by="severity", now=now)
    # The month and severity breakdowns feed the charts too; reuse them for the table.
    reused = {"month": by_month, "severity": by_severity}
    if group_by in reused:
        breakdown = reused[group_by]
    else:
        breakdown = kpi_breakdown(incidents, group_by=group_by, now=now)
    periods = periods_between(start, end, "month")
    return {
        "summary": summary,
        "tiles": domain.summary_tiles(summary),
        "breakdown": domain.breakdown_table(breakdown),
        "charts": {
            "frequency": domain.frequency_chart(
                kpi_frequency(incidents, period="month", by="severity"), periods
            ),
            "response_trend": domain.response_trend_chart(by_month, periods),
            "sla": domain.sla_chart(by_severity),
        },
    }


# --- breaches and notifications of a quarter --------------------------------------------------
def breaches_in(visible_incidents: QuerySet, *, start: datetime, end: datetime) -> QuerySet:
    """Breach assessments of the quarter: awareness in [start, end) (the record's creation
    when awareness is not yet known), on incidents the viewer may see, drills left out."""
    return (
        BreachAssessment.objects.filter(
            incident__in=visible_incidents.filter(is_drill=False).values("pk")
        )
        .alias(recorded_at=Coalesce("awareness_at", "created_at"))
        .filter(recorded_at__gte=start, recorded_at__lt=end)
    )


def obligations_in(visible_incidents: QuerySet, *, start: datetime, end: datetime) -> QuerySet:
    """Notifications the quarter answers for: those due in [start, end), and those without a
    fixed deadline whose breach was recorded in the quarter."""
    return NotificationObligation.objects.filter(
        assessment__incident__in=visible_incidents.filter(is_drill=False).values("pk")
    ).filter(
        Q(due_at__gte=start, due_at__lt=end)
        | Q(due_at__isnull=True, assessment__created_at__gte=start, assessment__created_at__lt=end)
    )


SUBMITTED = ObligationStatus.SUBMITTED
_ON_TIME = Q(status=SUBMITTED) & (Q(due_at__isnull=True) | Q(submitted_at__lte=F("due_at")))
OBLIGATION_COUNTS = {
    "due": Count("id"),
    "on_time": Count("id", filter=_ON_TIME),
    "late": Count("id", filter=Q(status=SUBMITTED, submitted_at__gt=F("due_at"))),
    "pending": Count("id", filter=Q(status=ObligationStatus.PENDING)),
    "not_required": Count("id", filter=Q(status=ObligationStatus.NOT_REQUIRED)),
}


def obligations_by_stage(obligations: QuerySet, *, now: datetime) -> dict:
    """Per regime stage (one GROUP BY query): due, submitted on time, submitted late, pending
    (and of those, overdue at `now`), not required; plus the totals over the stages."""
    counts = {**OBLIGATION_COUNTS}
    counts["overdue"] = Count("id", filter=Q(status=ObligationStatus.PENDING, due_at__lt=now))
    rows = list(
        obligations.values(
            "stage",
            regime=F("stage__regime__name"),
            stage_name=F("stage__name"),
            stage_order=F("stage__order"),
        )
        .annotate(**counts)
        .order_by("regime", "stage_order", "stage")
    )
    totals = {key: sum(row[key] for row in rows) for key in counts}
    return {"stages": rows, "totals": totals}


def breach_rows(breaches: QuerySet) -> list:
    """The listed breaches, with their obligation counts and regimes (two queries)."""
    return list(
        breaches.select_related("incident")
        .prefetch_related("regimes")
        .annotate(
            obligations_due=Count("obligations"),
            obligations_pending=Count(
                "obligations", filter=Q(obligations__status=ObligationStatus.PENDING)
            ),
            obligations_submitted=Count("obligations", filter=Q(obligations__status=SUBMITTED)),
        )
        .order_by(Coalesce("awareness_at", "created_at"), "pk")
    )


# --- the staff home (reporting.dashboard.home) ---------------------------------------------
def obligations_needing_attention(user, *, now: datetime, within: timedelta, limit: int = 10):
    """Pending regulatory notifications of incidents `user` may see that are overdue or due
    within `within`, earliest first."""
    return (
        NotificationObligation.objects.filter(
            status=ObligationStatus.PENDING,
            due_at__lte=now + within,
            assessment__incident__in=incidents_visible_to(user).values("pk"),
        )
        .select_related("assessment__incident", "stage__regime")
        .order_by("due_at", "pk")[:limit]
    )


def overdue_reviews(*, today: date) -> QuerySet[ProcedureReview]:
    return ProcedureReview.objects.filter(completed_at__isnull=True, due_on__lt=today).order_by(
        "due_on"
    )


def overdue_contact_verifications(user, *, today: date, see_all: bool):
    rows = ContactVerification.objects.filter(verified_at__isnull=True, due_on__lt=today)
    if not see_all:
        rows = rows.filter(user=user)
    return rows.select_related("user").order_by("due_on", "user_id")

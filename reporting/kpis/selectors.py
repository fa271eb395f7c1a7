"""KPI reads shared by the API, the exports, the admin dashboard and the quarterly report.

Every number is computed by the database in one statement per call (docs/kpis.md has the
definitions):

* the incidents (already scoped to what the caller may see) become a derived table `b`
  with one row per incident — or per (incident, service) when grouping by service — and
  the per-incident durations in seconds, SLA outcome and user-hours as columns;
* escalation events, post-mortems, the severity policy and action items are joined to it;
* one GROUP BY computes counts, sums, means and the p50/p90 percentiles.

Percentiles are linear interpolation between the nearest ranks (`domain.percentile_cont`):
PostgreSQL's `percentile_cont`; on SQLite, which has no ordered-set aggregates, the same
formula over ROW_NUMBER()/COUNT() window columns. Results are rounded in `domain` so the two
backends answer identically."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, QuerySet, Value
from django.utils import timezone

from incidents.choices import Category, IncidentType, Severity
from incidents.models import EscalationEvent, Incident, SeverityPolicy
from postmortems.models import ActionItem, ActionItemStatus, PostMortem, PostMortemStatus

from . import domain
from .domain import FREQUENCY_BYS, GROUP_BYS, METRICS, PERIODS
from .expressions import DurationSeconds, PeriodKey, sla_outcome, user_hours

__all__ = [
    "FREQUENCY_BYS",
    "GROUP_BYS",
    "PERIODS",
    "empty_summary",
    "group_label",
    "kpi_breakdown",
    "kpi_frequency",
    "kpi_incidents",
    "kpi_report",
    "kpi_summary",
]

# The per-incident duration columns and what they measure (end, start).
METRIC_SPANS = {
    "mttd": ("detected_at", "started_at"),
    "mtta": ("acknowledged_at", "detected_at"),
    "mttr": ("resolved_at", "detected_at"),
    "time_to_contain": ("contained_at", "detected_at"),
}
CLOSED_ACTION_STATUSES = (ActionItemStatus.DONE, ActionItemStatus.WONT_DO)
SERVICES_THROUGH = Incident.affected_services.through


def kpi_incidents(
    incidents: QuerySet,
    *,
    start: datetime,
    end: datetime,
    severities: Iterable[str] = (),
    categories: Iterable[str] = (),
    types: Iterable[str] = (),
    service_ids: Iterable[int] = (),
) -> QuerySet:
    """The incidents the KPIs are about: `incidents` (already scoped to what the caller may
    see, e.g. incidents_visible_to(user)) minus drills, detected in [start, end), filtered.
    The service filter is an EXISTS, so an incident with two matching services is one row."""
    queryset = incidents.filter(is_drill=False, detected_at__gte=start, detected_at__lt=end)
    if severities := list(severities):
        queryset = queryset.filter(severity__in=severities)
    if categories := list(categories):
        queryset = queryset.filter(category__in=categories)
    if types := list(types):
        queryset = queryset.filter(type__in=types)
    if service_ids := list(service_ids):
        queryset = queryset.filter(
            Exists(
                SERVICES_THROUGH.objects.filter(
                    incident_id=OuterRef("pk"), service_id__in=service_ids
                )
            )
        )
    return queryset


# --- labels --------------------------------------------------------------------------------
_CHOICE_LABELS = {
    "severity": dict(Severity.choices),
    "category": dict(Category.choices),
    "type": dict(IncidentType.choices),
}


def group_label(group_by: str, key, service_name: str | None = None) -> str:
    if group_by in _CHOICE_LABELS:
        return str(_CHOICE_LABELS[group_by].get(key, key))
    if group_by == "service":
        return domain.NO_SERVICE_LABEL if key is None else service_name or str(key)
    if group_by == "month":
        return domain.period_label(key)
    return str(key)


def _group_columns(group_by: str | None) -> dict:
    """Annotations giving each row of `b` its group key (`grp`) and a label source."""
    if group_by is None:
        return {"grp": Value(0), "grp_label": Value("")}
    if group_by in ("severity", "category", "type"):
        return {"grp": F(group_by), "grp_label": Value("")}
    if group_by == "service":
        # A LEFT JOIN through the m2m table: one row per (incident, service); an incident
        # with no service is one row with a NULL key (the "(no service)" group).
        return {"grp": F("affected_services__id"), "grp_label": F("affected_services__name")}
    if group_by == "month":
        return {"grp": PeriodKey("detected_at", period="month"), "grp_label": Value("")}
    raise ValueError(f"unknown group_by {group_by!r}; expected one of {', '.join(GROUP_BYS)}")


def _per_incident_sql(incidents: QuerySet, group_by: str | None, now: datetime):
    """SQL for `b`: the per-incident columns the aggregates read."""
    durations = {name: DurationSeconds(end, start) for name, (end, start) in METRIC_SPANS.items()}
    rows = (
        incidents.order_by()
        .annotate(
            **_group_columns(group_by),
            **durations,
            sla=sla_outcome(now),
            impact_user_hours=user_hours(),
        )
        .values(
            "id",
            "severity",
            "resolved_at",
            "users_affected",
            "grp",
            "grp_label",
            *durations,
            "sla",
            "impact_user_hours",
        )
    )
    return rows.query.sql_with_params()


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _joined_sql(incidents: QuerySet, group_by: str | None, now: datetime):
    """`b` plus escalations fired, whether a post-mortem is required/completed and the
    action items, one row per row of `b`. Escalation events and action items are counted
    per incident in derived tables first, so the joins cannot multiply rows."""
    inner_sql, inner_params = _per_incident_sql(incidents, group_by, now)
    metric_columns = ", ".join(f"b.{name}" for name in METRICS)
    sql = f"""
        SELECT b.grp AS grp, b.grp_label AS grp_label, {metric_columns}, b.sla AS sla,
               b.users_affected AS users_affected, b.impact_user_hours AS user_hours,
               COALESCE(esc.fired, 0) AS escalations,
               CASE WHEN sp.postmortem_required = %s AND b.resolved_at IS NOT NULL
                    THEN 1 ELSE 0 END AS pm_required,
               CASE WHEN sp.postmortem_required = %s AND b.resolved_at IS NOT NULL
                         AND pm.status = %s THEN 1 ELSE 0 END AS pm_completed,
               COALESCE(ai.total, 0) AS ai_total,
               COALESCE(ai.closed, 0) AS ai_closed
        FROM ({inner_sql}) b
        LEFT JOIN (
            SELECT incident_id, COUNT(*) AS fired FROM {_table(EscalationEvent)}
            GROUP BY incident_id
        ) esc ON esc.incident_id = b.id
        LEFT JOIN {_table(SeverityPolicy)} sp ON sp.severity = b.severity
        LEFT JOIN {_table(PostMortem)} pm ON pm.incident_id = b.id
        LEFT JOIN (
            SELECT postmortem_id, COUNT(*) AS total,
                   SUM(CASE WHEN status IN (%s, %s) THEN 1 ELSE 0 END) AS closed
            FROM {_table(ActionItem)} GROUP BY postmortem_id
        ) ai ON ai.postmortem_id = pm.id
    """
    params = (
        True,
        True,
        PostMortemStatus.PUBLISHED.value,
        *inner_params,
        *(status.value for status in CLOSED_ACTION_STATUSES),
    )
    return sql, params


def _percentile_sql(column: str, fraction: float, vendor: str) -> str:
    if vendor == "postgresql":
        return f"percentile_cont({fraction}) WITHIN GROUP (ORDER BY {column})"
    # Rank i (from 0) and count n come from window columns; h = fraction × (n − 1);
    # x[floor h] weighs 1 − (h − floor h) and x[floor h + 1] weighs h − floor h.
    position = f"(({column}_n - 1) * {fraction})"
    low = f"CAST({position} AS INTEGER)"
    return (
        f"SUM(CASE WHEN {column} IS NULL THEN NULL "
        f"WHEN {column}_i = {low} THEN {column} * (1 - ({position} - {low})) "
        f"WHEN {column}_i = {low} + 1 THEN {column} * ({position} - {low}) "
        f"ELSE 0 END)"
    )


def _aggregate_sql(
    incidents: QuerySet, group_by: str | None, now: datetime, *, with_total: bool = False
):
    """Rows of (is_total, grp, label, numbers…). `with_total` (PostgreSQL, one row per
    incident in `b`) adds the overall row in the same scan via GROUPING SETS."""
    vendor = connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        raise NotImplementedError("KPIs support PostgreSQL and SQLite")
    joined_sql, params = _joined_sql(incidents, group_by, now)
    if vendor == "sqlite":
        # Nulls sort last so the values are ranked 0 … n − 1 (SQLite sorts NULL first).
        windows = ", ".join(
            f"ROW_NUMBER() OVER (PARTITION BY grp ORDER BY {m} IS NULL, {m}) - 1 AS {m}_i, "
            f"COUNT({m}) OVER (PARTITION BY grp) AS {m}_n"
            for m in METRICS
        )
        source = f"(SELECT j.*, {windows} FROM ({joined_sql}) j) r"
    else:
        source = f"({joined_sql}) r"
    metric_aggregates = ",\n".join(
        f"COUNT({m}), AVG({m}), "
        + ", ".join(_percentile_sql(m, fraction, vendor) for fraction in domain.PERCENTILES)
        for m in METRICS
    )
    sla_counts = ", ".join(
        f"SUM(CASE WHEN sla = '{outcome}' THEN 1 ELSE 0 END)" for outcome in domain.SLA_OUTCOMES
    )
    if with_total:
        is_total, grouping = "GROUPING(grp)", "GROUPING SETS ((), (grp))"
    else:
        is_total, grouping = ("1" if group_by is None else "0"), "grp"
    sql = f"""
        SELECT {is_total}, grp, MAX(grp_label), COUNT(*),
               {metric_aggregates},
               {sla_counts},
               COALESCE(SUM(users_affected), 0), COALESCE(SUM(user_hours), 0),
               SUM(CASE WHEN user_hours IS NULL THEN 1 ELSE 0 END),
               COALESCE(SUM(escalations), 0),
               COALESCE(SUM(pm_required), 0), COALESCE(SUM(pm_completed), 0),
               COALESCE(SUM(ai_total), 0), COALESCE(SUM(ai_closed), 0)
        FROM {source}
        GROUP BY {grouping}
    """
    return sql, params


def _report_sql(incidents: QuerySet, group_by: str, now: datetime):
    """The overall row and the group rows in one statement. One scan with GROUPING SETS on
    PostgreSQL; by service (several rows per incident, so the total cannot be summed from
    them) and on SQLite (no GROUPING SETS, window partitions differ), a UNION ALL of the
    two aggregates."""
    if connection.vendor == "postgresql" and group_by != "service":
        return _aggregate_sql(incidents, group_by, now, with_total=True)
    total_sql, total_params = _aggregate_sql(incidents, None, now)
    groups_sql, groups_params = _aggregate_sql(incidents, group_by, now)
    sql = f"SELECT * FROM ({total_sql}) t UNION ALL SELECT * FROM ({groups_sql}) g"
    return sql, (*total_params, *groups_params)


def empty_summary() -> dict:
    return _numbers_from_row((0,) + (0, None, None, None) * len(METRICS) + (0,) * 12)


def _numbers_from_row(values) -> dict:
    """The contract's shape from one aggregate row (without grp and label)."""
    values = list(values)
    incidents = int(values.pop(0))
    numbers: dict = {"incidents": incidents}
    for metric in METRICS:
        count, mean, p50, p90 = (values.pop(0) for _ in range(4))
        numbers[metric] = {
            "count": int(count),
            "missing": incidents - int(count),
            "mean_seconds": domain.round_seconds(mean),
            "p50_seconds": domain.round_seconds(p50),
            "p90_seconds": domain.round_seconds(p90),
        }
    met, breached, pending, not_applicable = (int(values.pop(0) or 0) for _ in range(4))
    numbers["sla"] = {
        "met": met,
        "breached": breached,
        "pending": pending,
        "not_applicable": not_applicable,
        "compliance_rate": domain.rate(met, met + breached),
    }
    users, hours, impact_missing = values.pop(0), values.pop(0), values.pop(0)
    numbers["customer_impact"] = {
        "users_affected": int(users or 0),
        "user_hours": domain.round_hours(hours),
        "missing": int(impact_missing or 0),
    }
    numbers["escalations_fired"] = int(values.pop(0) or 0)
    required, completed = int(values.pop(0) or 0), int(values.pop(0) or 0)
    numbers["postmortems"] = {
        "required": required,
        "completed": completed,
        "completion_rate": domain.rate(completed, required),
    }
    total, closed = int(values.pop(0) or 0), int(values.pop(0) or 0)
    numbers["action_items"] = {
        "total": total,
        "closed": closed,
        "closure_rate": domain.rate(closed, total),
    }
    return numbers


def _rows(build, *args) -> list[tuple]:
    try:
        sql, params = build(*args)
    except EmptyResultSet:  # e.g. `.none()` or `__in=[]`: nothing to ask the database
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def kpi_summary(incidents: QuerySet, *, now: datetime | None = None) -> dict:
    """All KPIs over `incidents` (the result of kpi_incidents) in one query. `now` decides
    whether an unacknowledged incident's SLA is still pending or already breached."""
    now = now or timezone.now()
    rows = _rows(_aggregate_sql, incidents, None, now)
    if not rows:
        return empty_summary()
    return _numbers_from_row(rows[0][3:])


def _group_sort_key(item: dict):
    return (item["group"] is None, item["group"])


def kpi_breakdown(incidents: QuerySet, *, group_by: str, now: datetime | None = None) -> list[dict]:
    """[{"group", "label", **the kpi_summary keys}] ordered by group (a missing service
    last). By service, an incident with two services counts once in each."""
    if group_by not in GROUP_BYS:
        raise ValueError(f"unknown group_by {group_by!r}; expected one of {', '.join(GROUP_BYS)}")
    now = now or timezone.now()
    rows = _rows(_aggregate_sql, incidents, group_by, now)
    return _groups_from_rows(rows, group_by)


def _groups_from_rows(rows, group_by: str) -> list[dict]:
    groups = [
        {
            "group": row[1],
            "label": group_label(group_by, row[1], row[2]),
            **_numbers_from_row(row[3:]),
        }
        for row in rows
    ]
    return sorted(groups, key=_group_sort_key)


def kpi_report(
    incidents: QuerySet, *, group_by: str, now: datetime | None = None
) -> tuple[dict, list[dict]]:
    """(kpi_summary, kpi_breakdown) in one statement — what the API and the exports use.
    On PostgreSQL the incidents are read once for both."""
    if group_by not in GROUP_BYS:
        raise ValueError(f"unknown group_by {group_by!r}; expected one of {', '.join(GROUP_BYS)}")
    now = now or timezone.now()
    rows = _rows(_report_sql, incidents, group_by, now)
    totals = [row for row in rows if row[0]]
    summary = _numbers_from_row(totals[0][3:]) if totals else empty_summary()
    return summary, _groups_from_rows([row for row in rows if not row[0]], group_by)


def kpi_frequency(incidents: QuerySet, *, period: str, by: str) -> list[dict]:
    """Incidents per period (UTC) and group: [{"period", "group", "label", "count"}],
    ordered by period then group. By service, an incident with two services counts once
    for each; an incident with none is counted under group None ("(no service)")."""
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r}; expected one of {', '.join(PERIODS)}")
    if by not in FREQUENCY_BYS:
        raise ValueError(f"unknown by {by!r}; expected one of {', '.join(FREQUENCY_BYS)}")
    columns = _group_columns(by)
    rows = (
        incidents.order_by()
        .annotate(period=PeriodKey("detected_at", period=period), **columns)
        .values("period", "grp", "grp_label")
        .annotate(count=Count("id"))
    )
    result = [
        {
            "period": row["period"],
            "group": row["grp"],
            "label": group_label(by, row["grp"], row["grp_label"]),
            "count": row["count"],
        }
        for row in rows
    ]
    return sorted(result, key=lambda item: (item["period"], *_group_sort_key(item)))

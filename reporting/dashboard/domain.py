"""Pure helpers of the KPI dashboard and the quarterly report: date ranges, humanised
numbers and the shaping of selector output into chart data. No ORM, no clock of their own."""

from collections.abc import Iterable
from datetime import date

from ..kpis.domain import period_label

# Seconds per unit, largest first (a humanised duration shows the two largest non-zero units).
_UNITS = (("d", 86_400), ("h", 3_600), ("min", 60), ("s", 1))


def humanize_duration(seconds: float | None) -> str:
    """`5430` -> "1 h 30 min"; None (nothing measured) -> "—"."""
    if seconds is None:
        return "—"
    remaining = round(seconds)
    if remaining <= 0:
        return "0 s"
    parts: list[tuple[int, str]] = []
    for unit, size in _UNITS:
        amount, remaining = divmod(remaining, size)
        if amount or parts:
            parts.append((amount, unit))
        if len(parts) == 2:
            break
    return " ".join(f"{amount} {unit}" for amount, unit in parts if amount)


def percent(rate: float | None) -> str:
    """A 0..1 rate as "87.5 %"; None (nothing to rate) -> "—"."""
    if rate is None:
        return "—"
    return f"{rate * 100:.1f} %"


def default_range(today: date) -> tuple[date, date]:
    """The last 12 months, whole calendar months from the first of the month 11 months ago
    through today, so the monthly charts start on a month boundary."""
    month_index = today.year * 12 + today.month - 1 - 11
    return date(month_index // 12, month_index % 12 + 1, 1), today


def _all_periods(rows: Iterable[dict], periods: list[str], key: str) -> list[str]:
    # Rows bucketed in another time zone may fall in a month just outside the list.
    return sorted(set(periods) | {row[key] for row in rows})


def frequency_chart(rows: list[dict], periods: list[str]) -> dict:
    """kpi_frequency rows -> {"periods", "labels" (human), "datasets": one per group}, every
    period present (months without incidents count 0), groups in key order."""
    labels = _all_periods(rows, periods, "period")
    group_labels: dict[str, str] = {}
    counts: dict[tuple[str, str], int] = {}
    for row in rows:
        group_labels.setdefault(row["group"], row["label"])
        counts[(row["period"], row["group"])] = row["count"]
    return {
        "periods": labels,
        "labels": [period_label(p) for p in labels],
        "datasets": [
            {"key": group, "label": label, "data": [counts.get((p, group), 0) for p in labels]}
            for group, label in sorted(
                group_labels.items(), key=lambda item: (item[0] is None, item[0] or "")
            )
        ],
    }


def _scaled(value: float | None, divisor: float) -> float | None:
    return None if value is None else round(value / divisor, 2)


def response_trend_chart(month_rows: list[dict], periods: list[str]) -> dict:
    """kpi_breakdown(group_by="month") rows -> MTTA (minutes) and MTTR (hours) per month;
    null where nothing was measured, so the line shows a gap rather than a false zero."""
    labels = _all_periods(month_rows, periods, "group")
    by_month = {row["group"]: row for row in month_rows}

    def series(metric: str, divisor: float) -> list[float | None]:
        return [
            _scaled(by_month[p][metric]["mean_seconds"], divisor) if p in by_month else None
            for p in labels
        ]

    return {
        "periods": labels,
        "labels": [period_label(p) for p in labels],
        "datasets": [
            {"key": "mtta", "label": "MTTA mean (minutes)", "data": series("mtta", 60)},
            {"key": "mttr", "label": "MTTR mean (hours)", "data": series("mttr", 3600)},
        ],
    }


def sla_chart(severity_rows: list[dict]) -> dict:
    """kpi_breakdown(group_by="severity") rows -> SLA compliance (%) per severity, with the
    met and breached counts behind each bar."""
    return {
        "labels": [row["label"] for row in severity_rows],
        "datasets": [
            {
                "key": "compliance",
                "label": "SLA compliance (%)",
                "data": [
                    None
                    if row["sla"]["compliance_rate"] is None
                    else round(row["sla"]["compliance_rate"] * 100, 1)
                    for row in severity_rows
                ],
            }
        ],
        "met": [row["sla"]["met"] for row in severity_rows],
        "breached": [row["sla"]["breached"] for row in severity_rows],
    }


DURATION_METRICS = (
    ("mttd", "MTTD", "Mean time to detect: detected − started"),
    ("mtta", "MTTA", "Mean time to acknowledge: acknowledged − detected"),
    ("mttr", "MTTR", "Mean time to resolve: resolved − detected"),
    ("time_to_contain", "Time to contain", "contained − detected"),
)


def summary_tiles(summary: dict) -> list[dict]:
    """kpi_summary -> the dashboard's tiles: title, main value, detail lines, and the count of
    incidents left out for a missing timestamp (shown only when non-zero)."""
    tiles: list[dict] = [
        {"key": "incidents", "title": "Incidents", "value": str(summary["incidents"])}
    ]
    for key, title, help_text in DURATION_METRICS:
        stats = summary[key]
        tiles.append(
            {
                "key": key,
                "title": title,
                "help": help_text,
                "value": humanize_duration(stats["mean_seconds"]),
                "details": [
                    f"p50 {humanize_duration(stats['p50_seconds'])}",
                    f"p90 {humanize_duration(stats['p90_seconds'])}",
                    f"{stats['count']} measured",
                ],
                "missing": stats["missing"],
                "missing_label": "missing a timestamp",
            }
        )
    sla = summary["sla"]
    impact = summary["customer_impact"]
    postmortems = summary["postmortems"]
    actions = summary["action_items"]
    tiles += [
        {
            "key": "sla",
            "title": "SLA compliance",
            "help": "Acknowledged within the severity's response time",
            "value": percent(sla["compliance_rate"]),
            "details": [
                f"{sla['met']} met",
                f"{sla['breached']} breached",
                f"{sla['pending']} pending",
            ],
        },
        {
            "key": "customer_impact",
            "title": "Customer impact",
            "help": "user-hours = users affected × impact duration",
            "value": f"{impact['users_affected']:,} users",
            "details": [f"{impact['user_hours']:,.1f} user-hours"],
            "missing": impact["missing"],
            # Users affected unknown, or not resolved yet (docs/kpis.md).
            "missing_label": "without user-hours (users affected unknown or unresolved)",
        },
        {
            "key": "escalations",
            "title": "Escalations fired",
            "value": str(summary["escalations_fired"]),
        },
        {
            "key": "postmortems",
            "title": "Post-mortem completion",
            "value": percent(postmortems["completion_rate"]),
            "details": [f"{postmortems['completed']} of {postmortems['required']} required"],
        },
        {
            "key": "action_items",
            "title": "Action-item closure",
            "value": percent(actions["closure_rate"]),
            "details": [f"{actions['closed']} of {actions['total']} closed"],
        },
    ]
    return tiles


BREAKDOWN_COLUMNS = (
    "Incidents",
    "MTTD mean",
    "MTTA mean",
    "MTTR mean",
    "Time to contain mean",
    "SLA compliance",
    "SLA met / breached / pending",
    "Users affected",
    "User-hours",
    "Escalations fired",
    "Post-mortems completed",
    "Action items closed",
)


def _duration_cell(stats: dict) -> dict:
    note = f"{stats['missing']} missing" if stats["missing"] else ""
    return {"value": humanize_duration(stats["mean_seconds"]), "note": note}


def _ratio_cell(done: int, total: int, rate: float | None) -> dict:
    return {"value": percent(rate), "note": f"{done} of {total}" if total else ""}


def breakdown_table(rows: list[dict]) -> dict:
    """kpi_breakdown rows -> display cells in BREAKDOWN_COLUMNS order (formatted here since
    templates have no duration filter)."""
    table_rows = []
    for row in rows:
        sla, impact = row["sla"], row["customer_impact"]
        postmortems, actions = row["postmortems"], row["action_items"]
        cells = [
            {"value": str(row["incidents"]), "note": ""},
            *(_duration_cell(row[key]) for key, _, _ in DURATION_METRICS),
            {"value": percent(sla["compliance_rate"]), "note": ""},
            {"value": f"{sla['met']} / {sla['breached']} / {sla['pending']}", "note": ""},
            {
                "value": f"{impact['users_affected']:,}",
                "note": f"{impact['missing']} missing" if impact["missing"] else "",
            },
            {"value": f"{impact['user_hours']:,.1f}", "note": ""},
            {"value": str(row["escalations_fired"]), "note": ""},
            _ratio_cell(
                postmortems["completed"], postmortems["required"], postmortems["completion_rate"]
            ),
            _ratio_cell(actions["closed"], actions["total"], actions["closure_rate"]),
        ]
        table_rows.append({"group": row["group"], "label": row["label"], "cells": cells})
    return {"columns": BREAKDOWN_COLUMNS, "rows": table_rows}


def training_table(rows: list[dict], topics: list[tuple[str, str]]) -> dict:
    """training_coverage rows -> a table with one column per topic (in `topics` order)."""
    return {
        "topics": [label for _, label in topics],
        "rows": [
            {
                "group": row["group"],
                "members": row["members"],
                "by_topic": [row["by_topic"].get(topic, 0) for topic, _ in topics],
                "fully_trained": row["fully_trained"],
                "coverage": percent(row["coverage_rate"]),
            }
            for row in rows
        ],
    }

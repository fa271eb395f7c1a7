"""KPI exports: the numbers (summary + breakdown rows) and the incidents behind them, as
CSV, XLSX or JSON.

The KPI rows are a handful and built in memory. The incident rows can be many: they are
read with `.iterator(chunk_size=…)` (services prefetched once per chunk) and written out as
they come — CSV and JSON as a stream of strings, XLSX through openpyxl's write-only
workbook into a temporary file — so memory stays flat whatever the number of incidents.
Per-incident durations, SLA outcome and user-hours are the same SQL expressions the KPIs
aggregate, so the rows add up to the numbers."""

from __future__ import annotations

import itertools
import json
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO

from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce

from incidents.kernel import streaming
from incidents.kernel.spreadsheets import spreadsheet_text, xlsx_text
from incidents.models import EscalationEvent, Service

from . import domain
from .expressions import DurationSeconds, sla_outcome, user_hours
from .selectors import METRIC_SPANS

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
ROW_KINDS = ("kpis", "incidents")
CHUNK_SIZE = 2000

INCIDENT_COLUMNS = (
    "reference",
    "title",
    "severity",
    "category",
    "type",
    "status",
    "services",
    "started_at",
    "detected_at",
    "acknowledged_at",
    "contained_at",
    "resolved_at",
    "response_due_at",
    "mttd_seconds",
    "mtta_seconds",
    "mttr_seconds",
    "time_to_contain_seconds",
    "sla",
    "users_affected",
    "user_hours",
    "escalations_fired",
)


@dataclass(frozen=True)
class ExportMeta:
    """What the numbers are about; written at the top of the JSON and in file names."""

    start: datetime
    end: datetime
    group_by: str
    security_incidents_included: bool

    def as_dict(self) -> dict:
        return {
            "from": iso(self.start),
            "to": iso(self.end),
            "group_by": self.group_by,
            "security_incidents_included": self.security_incidents_included,
        }

    def filename(self, rows: str, fmt: str) -> str:
        return f"kpis-{rows}-{self.start:%Y%m%d}-{self.end:%Y%m%d}.{fmt}"


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --- KPI rows ------------------------------------------------------------------------------
def flatten(numbers: dict, prefix: str = "") -> dict:
    """{"mttd": {"count": 3}} → {"mttd_count": 3}: one column per number."""
    flat = {}
    for key, value in numbers.items():
        name = f"{prefix}_{key}" if prefix else key
        if isinstance(value, dict):
            flat.update(flatten(value, name))
        else:
            flat[name] = value
    return flat


def kpi_rows(summary: dict, groups: list[dict], *, group_by: str) -> list[dict]:
    """The summary first (group "all"), then one row per group, every number a column."""
    rows = [{"group_by": "all", "group": "all", "label": "All incidents", **flatten(summary)}]
    for group in groups:
        numbers = {k: v for k, v in group.items() if k not in ("group", "label")}
        rows.append(
            {
                "group_by": group_by,
                "group": group["group"],
                "label": group["label"],
                **flatten(numbers),
            }
        )
    return rows


def kpi_columns(summary: dict) -> tuple[str, ...]:
    return ("group_by", "group", "label", *flatten(summary))


# --- incident rows -------------------------------------------------------------------------
def incident_rows_queryset(incidents: QuerySet, *, now: datetime) -> QuerySet:
    fired = (
        EscalationEvent.objects.filter(incident=OuterRef("pk"))
        .order_by()
        .values("incident")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        incidents.order_by("detected_at", "id")
        .annotate(
            **{
                f"{name}_seconds": DurationSeconds(end, start)
                for name, (end, start) in METRIC_SPANS.items()
            },
            sla_outcome=sla_outcome(now),
            impact_user_hours=user_hours(),
            escalations_fired=Coalesce(
                Subquery(fired, output_field=IntegerField()), 0, output_field=IntegerField()
            ),
        )
        .prefetch_related(
            Prefetch("affected_services", queryset=Service.objects.order_by("name").only("name"))
        )
    )


def incident_rows(incidents: QuerySet, *, now: datetime) -> Iterator[dict]:
    """One dict per incident (the INCIDENT_COLUMNS), read in chunks."""
    queryset = incident_rows_queryset(incidents, now=now)
    for incident in queryset.iterator(chunk_size=CHUNK_SIZE):
        yield {
            "reference": incident.reference,
            "title": incident.title,
            "severity": incident.severity,
            "category": incident.category,
            "type": incident.type,
            "status": incident.status,
            "services": [service.name for service in incident.affected_services.all()],
            "started_at": incident.started_at,
            "detected_at": incident.detected_at,
            "acknowledged_at": incident.acknowledged_at,
            "contained_at": incident.contained_at,
            "resolved_at": incident.resolved_at,
            "response_due_at": incident.response_due_at,
            **{
                f"{name}_seconds": domain.round_seconds(getattr(incident, f"{name}_seconds"))
                for name in METRIC_SPANS
            },
            "sla": incident.sla_outcome,
            "users_affected": incident.users_affected,
            "user_hours": (
                None
                if incident.impact_user_hours is None
                else domain.round_hours(incident.impact_user_hours)
            ),
            "escalations_fired": incident.escalations_fired,
        }


# --- writers -------------------------------------------------------------------------------
def _cell(value):
    """A CSV value: ISO 8601 UTC for times, services joined, formulas made inert."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, list):
        value = ", ".join(value)
    return spreadsheet_text(value)


def csv_lines(columns: Iterable[str], rows: Iterable[dict]) -> Iterator[str]:
    columns = tuple(columns)
    cells = (["" if row.get(c) is None else _cell(row.get(c)) for c in columns] for row in rows)
    return streaming.csv_lines(itertools.chain([columns], cells))


def _json_value(value):
    return iso(value) if isinstance(value, datetime) else value


def json_kpis(meta: ExportMeta, summary: dict, groups: list[dict]) -> Iterator[str]:
    """The same body as GET /api/v1/reports/kpis/."""
    yield json.dumps({**meta.as_dict(), "summary": summary, "groups": groups})


def json_incidents(meta: ExportMeta, rows: Iterable[dict]) -> Iterator[str]:
    """{"from", "to", …, "incidents": [...]}, written one incident at a time."""
    head = json.dumps({**meta.as_dict(), "incidents": []})
    yield head[:-2]  # everything up to the list's "]}"
    for n, row in enumerate(rows):
        body = json.dumps({k: _json_value(v) for k, v in row.items()})
        yield body if n == 0 else "," + body
    yield "]}"


def _xlsx_value(value):
    # Excel has no time zones: times are written in UTC (the header says so).
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, list):
        value = ", ".join(value)
    return xlsx_text(value)


def xlsx_file(sheet: str, columns: Iterable[str], rows: Iterable[dict], meta: ExportMeta) -> IO:
    """A write-only workbook (rows go straight to the zip stream) in a temporary file,
    rewound and ready to send. The caller closes it (FileResponse does)."""
    from openpyxl import Workbook

    columns = tuple(columns)
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    worksheet.append([f"{c} (UTC)" if c.endswith("_at") else c for c in columns])
    for row in rows:
        worksheet.append([_xlsx_value(row.get(c)) for c in columns])
    about = workbook.create_sheet("About")
    for key, value in meta.as_dict().items():
        about.append([key, xlsx_text(str(value))])
    # Handed to the caller open (FileResponse closes it), so no `with` here.
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115
    try:
        workbook.save(handle)
    except BaseException:
        handle.close()
        raise
    handle.seek(0)
    return handle

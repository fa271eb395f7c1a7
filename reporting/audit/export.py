"""Streaming export of every history row: who, when, what, before/after, why, request id.

Each history table is read once, ordered by (object, history_date, history_id), through a
server-side iterator; the previous row of the same object is carried along to compute the
field-level diff, so memory stays flat and there is no query per row. A tracked m2m field
(an incident's affected services, a user's groups) is read for a whole chunk of rows at
once and appears in the events as a field holding the sorted member ids."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection
from django.db.models import CharField, DateTimeField, F, Func, QuerySet, Subquery

from incidents.choices import Category
from incidents.kernel import streaming
from incidents.models import Incident

from .tables import ACTIONS, AS_IS, HistoryTable, history_tables, plain

# Rows whose m2m sets are fetched together (one IN query per m2m field per batch).
M2M_BATCH = 2000

CHUNK_SIZE = 5000
CSV_COLUMNS = (
    "at",
    "model",
    "object_id",
    "history_id",
    "action",
    "user",
    "incident",
    "change_reason",
    "request_id",
    "changes",
)


@dataclass
class AuditFilter:
    since: datetime | None = None
    until: datetime | None = None
    models: list[str] = field(default_factory=list)  # tracked labels: "incidents.incident"
    object_id: str | None = None
    user: str | None = None  # username
    incident: str | None = None  # reference
    incidents: list[str] = field(default_factory=list)  # references (admin action)
    # Incidents whose rows must not be shown (need-to-know); a queryset of ids, or None.
    hidden_incidents: QuerySet | None = None


def tables_for(filters: AuditFilter) -> list[HistoryTable]:
    tables = list(history_tables())
    if filters.models:
        wanted = {label.lower() for label in filters.models}
        tables = [t for t in tables if t.tracked_label in wanted or t.label in wanted]
    if filters.incident or filters.incidents:
        tables = [t for t in tables if t.incident_path is not None]
    return tables


def _incident_ref_lookup(table: HistoryTable) -> str | None:
    if table.incident_path is None:
        return None
    return "reference" if table.incident_path == "" else f"{table.incident_path}__reference"


def _incident_id_lookup(table: HistoryTable) -> str:
    return table.object_field if table.incident_path == "" else f"{table.incident_path}_id"


def _rows_in_range(table: HistoryTable, filters: AuditFilter) -> QuerySet:
    """History rows matching every filter except the lower time bound."""
    query = table.model.objects.all()
    if filters.until:
        query = query.filter(history_date__lt=filters.until)
    if filters.user:
        query = query.filter(history_user__username=filters.user)
    if filters.object_id:
        query = query.filter(**{table.object_field: filters.object_id})
    if filters.incident:
        if table.incident_path == "":
            query = query.filter(reference=filters.incident)
        else:
            query = query.filter(**{f"{table.incident_path}__reference": filters.incident})
    if filters.incidents:
        lookup = "reference__in" if table.incident_path == "" else f"{table.incident_path}_id__in"
        wanted = (
            filters.incidents
            if table.incident_path == ""
            else Incident.objects.filter(reference__in=filters.incidents).values("pk")
        )
        query = query.filter(**{lookup: wanted})
    if filters.hidden_incidents is not None and table.incident_path is not None:
        query = query.exclude(**{f"{_incident_id_lookup(table)}__in": filters.hidden_incidents})
    return query


def table_queryset(table: HistoryTable, filters: AuditFilter) -> QuerySet:
    """Rows to read for `table`: with `since`, also the earlier rows of the same objects,
    so the first row in range is diffed against its real predecessor."""
    query = _rows_in_range(table, filters)
    if filters.since:
        in_range = query.filter(history_date__gte=filters.since).values(table.object_field)
        query = query.filter(**{f"{table.object_field}__in": Subquery(in_range)})
    return query.order_by(table.object_field, "history_date", "history_id")


def count_events(filters: AuditFilter) -> int:
    total = 0
    for table in tables_for(filters):
        query = _rows_in_range(table, filters)
        if filters.since:
            query = query.filter(history_date__gte=filters.since)
        total += query.count()
    return total


def iter_events(filters: AuditFilter, *, chunk_size: int = CHUNK_SIZE) -> Iterator[dict]:
    """One dict per history row, table by table, each object's rows in time order."""
    for table in tables_for(filters):
        yield from _table_events(table, filters, chunk_size)


def _m2m_sets(table: HistoryTable, history_ids: list[int]) -> list[dict[int, list]]:
    """For each m2m field of `table`: history_id → sorted member ids, for these rows."""
    result = []
    for m2m in table.m2m:
        members: dict[int, list] = defaultdict(list)
        rows = m2m.model.objects.filter(history_id__in=history_ids).values_list(
            "history_id", m2m.member_attname
        )
        for history_id, member in rows:
            members[history_id].append(member)
        for ids in members.values():
            ids.sort()
        result.append(members)
    return result


def _batches(rows: Iterator[tuple], size: int) -> Iterator[list[tuple]]:
    batch: list[tuple] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class _UtcText(Func):
    """A timestamp as PostgreSQL's text in `plain()`'s canonical form: parsing it into a
    datetime and formatting it again was half of the export's time."""

    template = "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
    output_field = CharField()


def _selected(table: HistoryTable, names: list[str]) -> list:
    """Column names for values_list(); on PostgreSQL timestamps come as canonical text."""
    if connection.vendor != "postgresql":
        return names
    timestamps = {
        field.attname
        for field in table.model._meta.concrete_fields
        if isinstance(field, DateTimeField)
    }
    return [_UtcText(F(name)) if name in timestamps else name for name in names]


def _table_events(table: HistoryTable, filters: AuditFilter, chunk_size: int) -> Iterator[dict]:
    extras = ["history_user__username"]
    ref_lookup = _incident_ref_lookup(table)
    if ref_lookup:
        extras.append(ref_lookup)
    names = [*table.fields, "history_id", "history_date", "history_type"]
    names += ["history_change_reason", "request_id", *extras]
    fields = (*table.fields, *(m2m.field for m2m in table.m2m))
    n, n_plain = len(fields), len(table.fields)
    index = {name: i for i, name in enumerate(names)}
    i_obj = index[table.object_field]
    i_hid, i_date, i_type = index["history_id"], index["history_date"], index["history_type"]
    i_reason, i_req = index["history_change_reason"], index["request_id"]
    i_user = index["history_user__username"]
    i_ref = index[ref_lookup] if ref_lookup else None
    # `at` may be text (PostgreSQL) or a datetime: compare `since` in the same form.
    since = filters.since
    since_text = plain(since) if since is not None else None
    previous_obj = object()
    previous: tuple | None = None
    rows = table_queryset(table, filters).values_list(*_selected(table, names))
    rows = rows.iterator(chunk_size=chunk_size)
    # Tables without m2m fields stream row by row; with them, a batch shares its m2m reads.
    batches = _batches(rows, M2M_BATCH) if table.m2m else ([row] for row in rows)
    for batch in batches:
        m2m_sets = _m2m_sets(table, [row[i_hid] for row in batch]) if table.m2m else ()
        for row in batch:
            # Most values are already plain; skip the call for them (the hot loop).
            values = tuple(v if type(v) in AS_IS else plain(v) for v in row[:n_plain])
            if m2m_sets:
                values += tuple(members.get(row[i_hid], []) for members in m2m_sets)
            obj = row[i_obj]
            before = previous if obj == previous_obj else None
            previous_obj, previous = obj, values
            at = row[i_date]
            if since is not None and (at < since_text if isinstance(at, str) else at < since):
                continue
            if before is None:
                changes = {fields[i]: [None, values[i]] for i in range(n)}
            else:
                changes = {
                    fields[i]: [before[i], values[i]] for i in range(n) if before[i] != values[i]
                }
            yield {
                "at": plain(at),
                "model": table.tracked_label,
                "object_id": str(obj),
                "history_id": row[i_hid],
                "action": ACTIONS.get(row[i_type], row[i_type]),
                "user": row[i_user] or "",
                "incident": (row[i_ref] or "") if i_ref is not None else "",
                "change_reason": row[i_reason] or "",
                "request_id": row[i_req] or "",
                "changes": changes,
            }


def csv_lines(events: Iterable[dict], *, header: bool = True) -> Iterator[str]:
    def rows() -> Iterator[list]:
        if header:
            yield list(CSV_COLUMNS)
        for event in events:
            yield [
                event["at"],
                event["model"],
                event["object_id"],
                event["history_id"],
                event["action"],
                event["user"],
                event["incident"],
                event["change_reason"],
                event["request_id"],
                json.dumps(event["changes"], sort_keys=True, ensure_ascii=False, default=str),
            ]

    return streaming.csv_lines(rows())


def jsonl_lines(events: Iterable[dict]) -> Iterator[str]:
    for event in events:
        yield json.dumps(event, sort_keys=True, ensure_ascii=False, default=str) + "\n"


FORMATS = {
    "csv": ("text/csv; charset=utf-8", csv_lines),
    "jsonl": ("application/x-ndjson", jsonl_lines),
}


def export_lines(filters: AuditFilter, fmt: str) -> Iterator[str]:
    return FORMATS[fmt][1](iter_events(filters))


WITHHELD_HEADER = "X-Withheld-Count"


def withheld_notice_text(count: int) -> str:
    plural = "" if count == 1 else "s"
    return f"Rows of {count} security incident{plural} are not included: need-to-know."


def with_withheld_notice(lines: Iterator[str], fmt: str, count: int) -> Iterator[str]:
    """A CSV meant for people ends with a notice row when rows were withheld, so the file
    itself never has a silent gap (JSON Lines stays events only; the header says it)."""
    yield from lines
    if count and fmt == "csv":
        yield from streaming.csv_lines([[f"# {withheld_notice_text(count)}"]])


def hidden_security_incidents(*, sees_all_security: bool, visible: QuerySet | None = None):
    """Ids of security incidents the reader may not see (need-to-know), as a subquery."""
    if sees_all_security:
        return None
    hidden = Incident.objects.filter(category=Category.SECURITY)
    if visible is not None:
        hidden = hidden.exclude(pk__in=visible.values("pk"))
    return hidden.values("pk")

"""The incident's change history as the API shows it: consecutive historical records
turned into the fields that changed, with their values before and after."""

from __future__ import annotations

from collections import defaultdict
from itertools import pairwise

from django.apps import apps

from ..models import Incident, Service

# Fields shown in the history; timestamps the database sets itself are left out.
HISTORY_FIELDS = tuple(
    field.name
    for field in Incident._meta.concrete_fields
    if field.name not in {"id", "created_at", "updated_at"}
)
# diff_against compares editable fields only; these are compared here.
HISTORY_NON_EDITABLE = tuple(
    name for name in HISTORY_FIELDS if not Incident._meta.get_field(name).editable
)
HISTORY_EDITABLE = tuple(name for name in HISTORY_FIELDS if name not in HISTORY_NON_EDITABLE)
HISTORY_ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


def json_value(value):
    if hasattr(value, "isoformat"):
        return value.isoformat().replace("+00:00", "Z")
    return value


def history_rows(records: list) -> list[dict]:
    """Consecutive historical records → the changes between them (records[0] may be None:
    the one before the page, if any)."""
    # The affected services at each point in history: two queries for the whole page.
    m2m_history = apps.get_model("incidents", "HistoricalIncident_affected_services")
    ids_by_record: dict[int, set[int]] = defaultdict(set)
    for history_id, service_id in m2m_history.objects.filter(
        history_id__in=[record.history_id for record in records if record is not None]
    ).values_list("history_id", "service_id"):
        ids_by_record[history_id].add(service_id)
    all_ids = set().union(*ids_by_record.values()) if ids_by_record else set()
    names = dict(Service.objects.filter(pk__in=all_ids).values_list("pk", "name"))

    def services_of(record) -> list[str]:
        return sorted(names.get(pk, f"#{pk}") for pk in ids_by_record[record.history_id])

    rows = []
    for old, new in pairwise(records):
        changes = []
        if old is None:
            for name in HISTORY_FIELDS:
                value = getattr(new, name)
                if value not in (None, "", False):
                    changes.append({"field": name, "before": None, "after": json_value(value)})
            if services_of(new):
                changes.append(
                    {"field": "affected_services", "before": None, "after": services_of(new)}
                )
        else:
            delta = new.diff_against(old, included_fields=HISTORY_EDITABLE)  # m2m: below
            changes = [
                {
                    "field": change.field,
                    "before": json_value(change.old),
                    "after": json_value(change.new),
                }
                for change in delta.changes
            ]
            changes += [
                {
                    "field": name,
                    "before": json_value(getattr(old, name)),
                    "after": json_value(getattr(new, name)),
                }
                for name in HISTORY_NON_EDITABLE
                if getattr(old, name) != getattr(new, name)
            ]
            before, after = services_of(old), services_of(new)
            if before != after:
                changes.append({"field": "affected_services", "before": before, "after": after})
            changes.sort(key=lambda change: change["field"])
        rows.append(
            {
                "at": json_value(new.history_date),
                "user": new.history_user.get_username() if new.history_user else None,
                "action": HISTORY_ACTIONS.get(new.history_type, new.history_type),
                "reason": new.history_change_reason,
                "request_id": new.request_id,
                "version": new.version,
                "changes": changes,
            }
        )
    return rows

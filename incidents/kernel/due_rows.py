"""Claiming rows whose clock is due (`due_at`-style columns swept by beat).

Several workers may sweep at once: each due row is locked with SKIP LOCKED on PostgreSQL,
so one worker acts on it and the others pass it by. SQLite has no row locks; its writes
are serialised, which gives the same outcome for the local stack."""

from datetime import datetime
from typing import Any

from django.db import connections
from django.db.models import QuerySet


def due_row_ids(queryset: QuerySet, *, due_field: str, now: datetime, limit: int) -> list:
    """Primary keys of up to `limit` rows with `due_field` at or before `now`, oldest due
    first. Read without locks; claim each one with `claim_row`."""
    return list(
        queryset.filter(**{f"{due_field}__lte": now})
        .order_by(due_field, "pk")
        .values_list("pk", flat=True)[:limit]
    )


def claim_row(queryset: QuerySet):
    """The first row of `queryset`, locked until the surrounding transaction ends, or None
    when nothing matches or another transaction holds it. Call inside `transaction.atomic`
    and repeat the "still due" condition in `queryset`: it may have changed since the ids
    were read. Only the queryset's own table is locked (rows joined by select_related are
    not), so a nullable join never blocks the lock."""
    features = connections[queryset.db].features
    if features.has_select_for_update_skip_locked:
        options: dict[str, Any] = {"skip_locked": True}
        if features.has_select_for_update_of:
            options["of"] = ("self",)
        queryset = queryset.select_for_update(**options)
    else:
        queryset = queryset.select_for_update()
    return queryset.first()

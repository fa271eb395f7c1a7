"""Bulk seeding, writing: a batch of planned incidents inserted with bulk inserts (history
rows included) and the counts of what was written."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.apps import apps
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from ..choices import (
    ResponseRole,
)
from ..models import Incident, RoleAssignment, TimelineEntry
from .bulk_lifecycle import IncidentPlan, Pool
from .bulk_plan import assign_references


@dataclass
class SeedStats:
    incidents: int = 0
    incident_history: int = 0
    timeline_entries: int = 0
    role_assignments: int = 0
    seconds: float = 0.0


@contextmanager
def keep_given_timestamps(model) -> Iterator[None]:
    """bulk_create fills auto_now/auto_now_add with the wall clock; seeded rows keep theirs
    (created when detected, updated at their last change). Flips the fields' flags for the
    duration, so only for single-threaded use such as this command."""
    fields = [f for f in model._meta.concrete_fields if getattr(f, "auto_now", False)] + [
        f for f in model._meta.concrete_fields if getattr(f, "auto_now_add", False)
    ]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    try:
        for f in fields:
            f.auto_now = f.auto_now_add = False
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def insert_batch(plans: list[IncidentPlan], *, pool: Pool, stats: SeedStats, rows: int):
    HistoricalIncident = Incident.history.model
    HistoricalServices = apps.get_model("incidents", "HistoricalIncident_affected_services")
    Through = Incident.affected_services.through

    assign_references([plan.state for plan in plans])
    incidents = [Incident(**plan.state) for plan in plans]
    with keep_given_timestamps(Incident):
        Incident.objects.bulk_create(incidents, batch_size=rows)

    through_rows = []
    for incident, plan in zip(incidents, plans, strict=True):
        through_rows.extend(
            Through(incident_id=incident.pk, service_id=s) for s in plan.service_ids
        )
    Through.objects.bulk_create(through_rows, batch_size=rows)
    through_by_incident: dict[int, list] = {}
    for row in through_rows:
        through_by_incident.setdefault(row.incident_id, []).append(row)

    # Incident history: one row per save the services would have made, with the state at
    # that moment; the affected-services snapshot rides along as simple-history does it.
    history = []
    for incident, plan in zip(incidents, plans, strict=True):
        for index, snap in enumerate(plan.snapshots):
            snap.state["reference"] = incident.reference
            history.append(
                HistoricalIncident(
                    id=incident.pk,
                    history_date=snap.at,
                    history_type="+" if index == 0 else "~",
                    history_user_id=snap.user_id,
                    history_change_reason=snap.reason,
                    **snap.state,
                )
            )
    HistoricalIncident.objects.bulk_create(history, batch_size=rows)
    snapshots = (snap for plan in plans for snap in plan.snapshots)
    m2m_history = [
        HistoricalServices(
            history_id=record.history_id,
            id=row.pk,
            incident_id=row.incident_id,
            service_id=row.service_id,
        )
        for record, snap in zip(history, snapshots, strict=True)
        if snap.with_services
        for row in through_by_incident.get(record.id, ())
    ]
    HistoricalServices.objects.bulk_create(m2m_history, batch_size=rows)

    # Role assignments as the services write them: first holders (history "+"), then the
    # hand-overs relieve them (history "~") before their successors are assigned.
    first, successors = [], []
    for incident, plan in zip(incidents, plans, strict=True):
        for role in plan.roles:
            assignment = RoleAssignment(
                incident_id=incident.pk,
                role=role.role,
                user_id=role.user_id,
                assigned_at=role.assigned_at,
                assigned_by_id=role.assigned_by_id,
            )
            assignment._history_date = role.assigned_at
            assignment._history_user = pool.users.get(role.assigned_by_id)
            assignment._change_reason = f"{ResponseRole(role.role).label} assigned"
            (successors if role.successor else first).append((assignment, role))
    created = bulk_create_with_history(
        [a for a, _ in first], RoleAssignment, batch_size=rows, default_change_reason="Assigned"
    )
    relieved = []
    for assignment, (_, role) in zip(created, first, strict=True):
        if role.relieved_at is not None:
            assignment.relieved_at = role.relieved_at
            assignment._history_date = role.relieved_at
            assignment._history_user = pool.users.get(role.relieved_by_id)
            assignment._change_reason = role.relieved_reason
            relieved.append(assignment)
    if relieved:
        bulk_update_with_history(
            relieved,
            RoleAssignment,
            fields=["relieved_at"],
            batch_size=rows,
            default_change_reason="Handed over",
        )
    if successors:
        bulk_create_with_history(
            [a for a, _ in successors],
            RoleAssignment,
            batch_size=rows,
            default_change_reason="Assigned",
        )

    entries = []
    for incident, plan in zip(incidents, plans, strict=True):
        for at, kind, user_id, text in plan.timeline:
            entry = TimelineEntry(
                incident_id=incident.pk, at=at, kind=kind, author_id=user_id, text=text
            )
            entry._history_date = at
            entry._history_user = pool.users.get(user_id)
            entry._change_reason = f"Timeline: {kind}"
            entries.append(entry)
    bulk_create_with_history(
        entries, TimelineEntry, batch_size=rows, default_user=None, default_change_reason="Timeline"
    )

    stats.incidents += len(incidents)
    stats.incident_history += len(history)
    stats.timeline_entries += len(entries)
    stats.role_assignments += len(first) + len(successors)


@contextmanager
def collect_once_per_batch() -> Iterator[None]:
    """The cyclic GC, triggered over and over by the many short-lived model objects of a
    batch, costs about a third of the run; pause it and collect once per batch instead."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
            gc.collect()

"""Bulk data for benchmarks: many incidents over two years, inserted in batches."""

from __future__ import annotations

import gc
import math
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, reset_queries, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from .. import domain, services
from ..choices import (
    AUTOMATED_SOURCES,
    TYPES_BY_CATEGORY,
    Category,
    DetectionSource,
    IncidentType,
    ResponseRole,
    Severity,
    StaffGroup,
    Status,
    TimelineKind,
)
from ..models import Incident, RoleAssignment, SeverityPolicy, TimelineEntry
from .common import ensure_demo_data_allowed, ensure_services, ensure_user
from .vocabulary import (
    ACK_MINUTES,
    BENCH_STAFF,
    CANCEL_REASONS,
    CATEGORY_WEIGHTS,
    CLOSE_MINUTES,
    CONTAIN_MINUTES,
    FILL,
    FIRST_NAMES,
    INVESTIGATE_MINUTES,
    LAST_NAMES,
    NOTES,
    RESOLUTIONS,
    RESOLVE_MINUTES,
    SERVICES_BY_TYPE,
    SEVERITY_RANGE,
    SEVERITY_WEIGHTS,
    SOURCE_WEIGHTS,
    TARGETS_OLD,
    TARGETS_RECENT,
    TARGETS_TODAY,
    TITLES,
    TRIAGE_MINUTES,
    USERS_AFFECTED_MEDIAN,
)

IC, TL, CL, SL = (
    ResponseRole.INCIDENT_COMMANDER,
    ResponseRole.TECHNICAL_LEAD,
    ResponseRole.COMMUNICATIONS_LEAD,
    ResponseRole.SECURITY_LEAD,
)

DEFAULT_BATCH_SIZE = 1000  # incidents per transaction
ROWS_PER_INSERT = 500  # rows per INSERT statement (SQLite lowers it to fit its 999 variables)
SPAN = timedelta(days=730)  # detections spread over the two years before `now`
ALERTS_BOT = "alerts-bot"  # opens the incidents that come from automated sources


@dataclass
class SeedStats:
    incidents: int = 0
    incident_history: int = 0
    timeline_entries: int = 0
    role_assignments: int = 0
    seconds: float = 0.0


@dataclass
class _Snapshot:
    at: datetime
    user_id: int | None
    reason: str
    state: dict
    with_services: bool


@dataclass
class _RolePlan:
    role: str
    user_id: int
    assigned_at: datetime
    assigned_by_id: int | None
    relieved_at: datetime | None = None
    relieved_by_id: int | None = None
    relieved_reason: str = ""
    successor: bool = False


@dataclass
class _IncidentPlan:
    state: dict  # final field values
    service_ids: list[int]
    snapshots: list[_Snapshot] = field(default_factory=list)
    roles: list[_RolePlan] = field(default_factory=list)
    timeline: list[tuple[datetime, str, int | None, str]] = field(default_factory=list)


class _Pool:
    """Users and services that bulk incidents refer to."""

    def __init__(self):
        groups: dict[str, list] = {}
        names = [f"{first}.{last}" for last in LAST_NAMES for first in FIRST_NAMES]
        index = 0
        for group, count in BENCH_STAFF:
            for _ in range(count):
                username = names[index]
                index += 1
                first, last = username.split(".")
                user = ensure_user(
                    username, first_name=first.title(), last_name=last.title(), group=group
                )
                groups.setdefault(group, []).append(user)
        self.bot = ensure_user(ALERTS_BOT, first_name="Alerts", last_name="Bot", is_staff=False)
        self.users = {user.pk: user for users in groups.values() for user in users}
        self.users[self.bot.pk] = self.bot
        self.usernames = {pk: user.get_username() for pk, user in self.users.items()}
        self.ids = {group: [user.pk for user in users] for group, users in groups.items()}
        self.services = {name: s.pk for name, s in ensure_services().items()}
        self.response_minutes = dict(
            SeverityPolicy.objects.values_list("severity", "response_minutes")
        )
        missing = set(Severity.values) - set(self.response_minutes)
        if missing:
            raise ImproperlyConfigured(f"No severity policy for {sorted(missing)}; migrate first.")

    def pick(self, rng: random.Random, group: str) -> int:
        return rng.choice(self.ids[group])


def _weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _duration(rng: random.Random, median_minutes: float, sigma: float = 1.0) -> timedelta:
    minutes = rng.lognormvariate(math.log(median_minutes), sigma)
    return timedelta(seconds=max(30, round(minutes * 60)))


def _title(rng: random.Random, incident_type: str, service: str) -> str:
    template = rng.choice(TITLES[incident_type])
    values = {key: rng.choice(options) for key, options in FILL.items()}
    return template.format(service=service, **values)


def _pick_services(rng: random.Random, incident_type: str) -> list[str]:
    candidates = SERVICES_BY_TYPE[incident_type]
    count = min(len(candidates), _weighted(rng, {1: 55, 2: 30, 3: 15}))
    names = [candidates[0]] if rng.random() < 0.6 else []
    for name in rng.sample(candidates, len(candidates)):
        if len(names) >= count:
            break
        if name not in names:
            names.append(name)
    return names


def _opening_state(
    rng: random.Random,
    pool: _Pool,
    *,
    detected_at: datetime,
    category: str,
    incident_type: str,
    severity: str,
    reported: str,
    source: str,
    service_names: list[str],
) -> dict:
    """Field values of a just-opened incident (severity as first reported)."""
    started_at = None
    if rng.random() < 0.7:
        started_at = detected_at - _duration(rng, 8 if source in AUTOMATED_SOURCES else 90)
    personal_data_odds = {
        "data_breach": 0.85,
        "unauthorized_access": 0.4,
        "insider_threat": 0.5,
        "data_corruption": 0.1,
    }.get(incident_type, 0.0)
    users_affected = None
    if rng.random() < 0.75:
        median = USERS_AFFECTED_MEDIAN[severity]
        users_affected = max(1, round(rng.lognormvariate(math.log(median), 1.2)))
    title = _title(rng, incident_type, service_names[0])
    is_drill = rng.random() < (0.04 if category == Category.SECURITY else 0.005)
    if is_drill:
        title = f"DRILL: {title}"
    return {
        "title": title,
        "summary": (
            f"{title}. Detected via {DetectionSource(source).label.lower()}; "
            f"affected: {', '.join(service_names)}."
        ),
        "severity": reported,
        "type": incident_type,
        "category": category,
        "status": Status.DETECTED,
        "detection_source": source,
        "is_drill": is_drill,
        "started_at": started_at,
        "detected_at": detected_at,
        "acknowledged_at": None,
        "triaged_at": None,
        "contained_at": None,
        "resolved_at": None,
        "closed_at": None,
        "cancelled_at": None,
        "response_due_at": domain.response_due_at(detected_at, pool.response_minutes[reported]),
        "sla_breached_at": None,
        "users_affected": users_affected,
        "customer_impact": (
            f"Customers using {service_names[0]} affected." if severity in ("P0", "P1") else ""
        ),
        "business_impact": "Revenue and enquiries at risk." if severity == "P0" else "",
        "data_integrity_impact": (
            "Listing data needs reconciliation." if incident_type == "data_corruption" else ""
        ),
        "security_implications": (
            "Under assessment by the security lead." if category == Category.SECURITY else ""
        ),
        "personal_data_involved": rng.random() < personal_data_odds,
        "resolution_summary": "",
        "cancel_reason": "",
        "version": 1,
        "created_at": detected_at,
        "updated_at": detected_at,
    }


FORWARD = ("triaged", "investigating", "contained", "resolved", "closed")
STEP_MINUTES = {
    "triaged": TRIAGE_MINUTES,
    "investigating": INVESTIGATE_MINUTES,
    "contained": CONTAIN_MINUTES,
    "resolved": RESOLVE_MINUTES,
    "closed": CLOSE_MINUTES,
}


def _lifecycle(
    rng: random.Random, *, detected_at: datetime, now: datetime, severity: str, category: str
) -> tuple[datetime | None, list[tuple[datetime, str, dict]]]:
    """When it is acknowledged and the dated status moves it makes (some may lie after
    `now`). The end state wanted depends on the incident's age."""
    age = now - detected_at
    if age > timedelta(days=14):
        target = _weighted(rng, TARGETS_OLD)
    elif age > timedelta(days=1):
        target = _weighted(rng, TARGETS_RECENT)
    else:
        target = _weighted(rng, TARGETS_TODAY)

    if target == Status.CANCELLED:
        path = list(FORWARD[: _weighted(rng, {0: 45, 1: 35, 2: 20})])
    else:
        path = list(FORWARD[: FORWARD.index(target) + 1]) if target in FORWARD else []
    # Forward moves may skip states.
    skip_containment = 0.3 if category == Category.APPLICATION else 0.1
    if "contained" in path and path[-1] != "contained" and rng.random() < skip_containment:
        path.remove("contained")
    if "triaged" in path and path[-1] != "triaged" and rng.random() < 0.05:
        path.remove("triaged")

    # False alarms are sometimes cancelled before anybody acknowledges them.
    acknowledged = not (target == Status.CANCELLED and not path and rng.random() < 0.5)
    ack_at = detected_at + _duration(rng, ACK_MINUTES[severity]) if acknowledged else None
    t = ack_at or detected_at
    steps: list[tuple[datetime, str, dict]] = []
    for status in FORWARD:
        t = t + _duration(rng, STEP_MINUTES[status][severity])
        if status in path:
            steps.append((t, status, {}))
    if "resolved" in path and rng.random() < 0.02:
        # Recurrence: resolved → investigating → resolved again, later steps shifted.
        resolved = next(at for at, status, _ in steps if status == "resolved")
        later = [(at, status, kw) for at, status, kw in steps if at > resolved]
        steps = [(at, status, kw) for at, status, kw in steps if at <= resolved]
        reopen_at = resolved + _duration(rng, 18 * 60)
        steps.append((reopen_at, "investigating", {"reason": "Recurrence: the problem is back."}))
        resolved_again = reopen_at + _duration(rng, 240)
        steps.append((resolved_again, "resolved", {}))
        steps.extend((at + (resolved_again - resolved), st, kw) for at, st, kw in later)
    if target == Status.CANCELLED:
        last = steps[-1][0] if steps else (ack_at or detected_at)
        steps.append((last + _duration(rng, 30), "cancelled", {}))
    return ack_at, steps


def _plan_incident(rng: random.Random, pool: _Pool, detected_at: datetime, now: datetime):
    """One incident's life up to `now`: every save the services would make (for history),
    its role assignments and its timeline. Status moves are validated by `domain`."""
    category = _weighted(rng, CATEGORY_WEIGHTS)
    incident_type = rng.choice(TYPES_BY_CATEGORY[category])
    severity = _weighted(rng, SEVERITY_WEIGHTS)
    most, least = SEVERITY_RANGE.get(incident_type, (Severity.P0, Severity.P3))
    severity = min(max(severity, most), least)  # "P0" < "P1" < …: clamp to what fits the type
    # Some are reported one level off and re-assessed during triage.
    reported = severity
    if rng.random() < 0.08:
        levels = Severity.values
        index = levels.index(severity) + rng.choice((-1, 1))
        reported = levels[min(max(index, 0), len(levels) - 1)]
    source = _weighted(rng, SOURCE_WEIGHTS[category])
    service_names = _pick_services(rng, incident_type)
    state = _opening_state(
        rng,
        pool,
        detected_at=detected_at,
        category=category,
        incident_type=incident_type,
        severity=severity,
        reported=reported,
        source=source,
        service_names=service_names,
    )
    plan = _IncidentPlan(state=state, service_ids=[pool.services[n] for n in service_names])

    # People.
    responder = pool.pick(rng, StaffGroup.RESPONDER)
    commander = pool.pick(rng, StaffGroup.INCIDENT_COMMANDER)
    tech_lead = pool.pick(rng, StaffGroup.TECHNICAL_LEAD)
    security_lead = pool.pick(rng, StaffGroup.SECURITY_LEAD)
    creator = pool.bot.pk if source in AUTOMATED_SOURCES else rng.choice((responder, tech_lead))
    acker = commander if severity in ("P0", "P1") else responder
    lead = security_lead if category == Category.SECURITY else tech_lead
    actor_for = {
        "triaged": commander if severity in ("P0", "P1") else responder,
        "investigating": lead,
        "contained": lead,
        "resolved": lead,
        "closed": commander,
        "cancelled": acker,
    }

    def snapshot(at, user_id, reason, *, with_services=True, bump=True):
        if bump:  # every service save bumps the optimistic-lock version
            state["version"] += 1
        state["updated_at"] = at
        plan.snapshots.append(_Snapshot(at, user_id, reason, dict(state), with_services))

    def timeline(at, kind, user_id, text):
        plan.timeline.append((at, kind, user_id, text))

    # Opening, as incident_create writes it: the row, then the affected services.
    snapshot(detected_at, creator, "Incident opened", with_services=False, bump=False)
    snapshot(detected_at, creator, "Affected services set", bump=False)
    source_label = DetectionSource(source).label
    timeline(
        detected_at,
        TimelineKind.CREATED,
        creator,
        f"{reported} {IncidentType(incident_type).label} detected via {source_label}: "
        f"{state['title']}",
    )

    ack_at, steps = _lifecycle(
        rng, detected_at=detected_at, now=now, severity=severity, category=category
    )
    happened = []
    for step in steps:
        if step[0] > now:
            break
        happened.append(step)
    # Roles change only while the incident is open.
    final_at = next((at for at, status, _ in happened if status in domain.FINAL_STATUSES), None)

    def can_assign(at: datetime) -> bool:
        return at <= now and (final_at is None or at < final_at)

    # The escalation dispatcher marks a response deadline that passed unacknowledged.
    due = state["response_due_at"]
    first_move = ack_at if ack_at is not None else (happened[0][0] if happened else None)
    if due <= now and (first_move is None or first_move > due):
        state["sla_breached_at"] = due
        snapshot(due, None, "Response SLA breached", bump=False)
        text = f"Response SLA breached: not acknowledged by {due:%H:%M} UTC"
        timeline(due, TimelineKind.ESCALATION, None, text)

    if ack_at is not None and ack_at <= now:
        state["acknowledged_at"] = ack_at
        sla = domain.sla_state(
            response_due_at=state["response_due_at"], acknowledged_at=ack_at, now=ack_at
        )
        text = f"Acknowledged by {pool.usernames[acker]} (response SLA {sla.label})"
        snapshot(ack_at, acker, text)
        timeline(ack_at, TimelineKind.ACKNOWLEDGED, acker, text)
        wanted = []
        if severity != "P3" or rng.random() < 0.7:
            wanted.append((IC, commander, acker))
        if severity != "P3" or rng.random() < 0.5:
            wanted.append((TL, tech_lead, commander))
        if category == Category.SECURITY:
            wanted.append((SL, security_lead, commander))
        if severity == "P0" or (severity == "P1" and rng.random() < 0.6):
            wanted.append((CL, pool.pick(rng, StaffGroup.COMMUNICATIONS_LEAD), commander))
        for minutes, (role, user_id, by) in enumerate(wanted, start=1):
            assign_at = ack_at + timedelta(minutes=minutes)
            if not can_assign(assign_at):
                break
            plan.roles.append(_RolePlan(role, user_id, assign_at, by))
            label = ResponseRole(role).label
            timeline(
                assign_at, TimelineKind.ROLE_ASSIGNED, by, f"{pool.usernames[user_id]} is {label}"
            )

        if reported != severity:
            until = happened[0][0] if happened else now
            change_at = (ack_at + (until - ack_at) / 2).replace(microsecond=0)
            text = f"Severity {reported} → {severity}: Re-assessed during triage"
            state["severity"] = severity
            state["response_due_at"] = domain.response_due_at(
                detected_at, pool.response_minutes[severity]
            )
            snapshot(change_at, commander, text)
            timeline(change_at, TimelineKind.SEVERITY_CHANGE, commander, text)

    for at, to_status, kwargs in happened:
        if to_status == Status.RESOLVED:
            kwargs = {"resolution_summary": rng.choice(RESOLUTIONS[category])}
        elif to_status == Status.CANCELLED:
            kwargs = {"cancel_reason": rng.choice(CANCEL_REASONS)}
        transition = domain.plan_transition(
            from_status=state["status"],
            to_status=to_status,
            now=at,
            stamps={name: state[name] for name in services.STAMP_FIELDS},
            **kwargs,
        )
        state.update(transition.changes)
        actor = actor_for[to_status]
        snapshot(at, actor, transition.summary)
        timeline(at, TimelineKind.STATUS_CHANGE, actor, transition.summary)

    # A hand-over on long P0/P1 incidents, and a note or two.
    end = plan.snapshots[-1].at
    first_ic = next((r for r in plan.roles if r.role == IC), None)
    active_until = state["resolved_at"] or end  # hand-overs happen while people fight it
    if (
        first_ic is not None
        and severity in ("P0", "P1")
        and active_until - first_ic.assigned_at > timedelta(hours=8)
        and rng.random() < 0.4
    ):
        middle = first_ic.assigned_at + (active_until - first_ic.assigned_at) / 2
        handover = middle.replace(microsecond=0)
        old = first_ic.user_id
        new = rng.choice([u for u in pool.ids[StaffGroup.INCIDENT_COMMANDER] if u != old])
        first_ic.relieved_at = handover
        first_ic.relieved_by_id = old
        first_ic.relieved_reason = f"Handed over to {pool.usernames[new]}"
        plan.roles.append(_RolePlan(IC, new, handover, old, successor=True))
        relieved = f"{pool.usernames[old]} relieved as Incident Commander"
        timeline(handover, TimelineKind.ROLE_RELIEVED, old, relieved)
        assigned = f"{pool.usernames[new]} is Incident Commander"
        timeline(handover, TimelineKind.ROLE_ASSIGNED, old, assigned)
    if ack_at is not None and ack_at <= now:
        for _ in range(_weighted(rng, {0: 40, 1: 40, 2: 20})):
            at = (ack_at + (end - ack_at) * rng.random()).replace(microsecond=0)
            author = rng.choice((lead, commander, responder))
            timeline(at, TimelineKind.NOTE, author, rng.choice(NOTES))
    plan.timeline.sort(key=lambda entry: entry[0])
    return plan


def _detection_times(rng: random.Random, count: int, *, now: datetime) -> Iterator[datetime]:
    """`count` detection times over the two years before `now`, in order.

    One per equal slot with jitter, plus the odd alert storm (several incidents opened in
    the same second) so reference suffixes get exercised."""
    start = now - SPAN
    slot = (SPAN - timedelta(minutes=5)).total_seconds() / count
    previous = None
    for index in range(count):
        if previous is not None and rng.random() < 0.003:
            yield previous
            continue
        at = start + timedelta(seconds=slot * (index + rng.random()))
        at = at.replace(microsecond=0)
        if previous is not None and at < previous:
            at = previous
        previous = at
        yield at


def _assign_references(states: list[dict]) -> None:
    """`INC-YYYYMMDD-HHMMSS`, `-2`, `-3` … on same-second collisions, never reusing one in
    the database. A suffixed reference only exists where its base exists, so one exact
    lookup per batch finds the rare clash and a prefix lookup lists that base's suffixes."""
    bases = [domain.format_reference(s["detected_at"].astimezone(UTC)) for s in states]
    unique_bases = sorted(set(bases))
    taken_bases: set[str] = set()
    for offset in range(0, len(unique_bases), 500):
        chunk = unique_bases[offset : offset + 500]
        taken_bases.update(
            Incident.objects.filter(reference__in=chunk).values_list("reference", flat=True)
        )
    taken: set[str] = set(taken_bases)
    for base in taken_bases:
        taken.update(
            Incident.objects.filter(reference__startswith=base).values_list("reference", flat=True)
        )
    for state, base in zip(states, bases, strict=True):
        sequence = 1
        reference = base
        while reference in taken:
            sequence += 1
            reference = domain.format_reference(state["detected_at"].astimezone(UTC), sequence)
        taken.add(reference)
        state["reference"] = reference


@contextmanager
def _keep_given_timestamps(model) -> Iterator[None]:
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


def _insert_batch(plans: list[_IncidentPlan], *, pool: _Pool, stats: SeedStats, rows: int):
    HistoricalIncident = Incident.history.model
    HistoricalServices = apps.get_model("incidents", "HistoricalIncident_affected_services")
    Through = Incident.affected_services.through

    _assign_references([plan.state for plan in plans])
    incidents = [Incident(**plan.state) for plan in plans]
    with _keep_given_timestamps(Incident):
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
def _collect_once_per_batch() -> Iterator[None]:
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


def seed_bulk(
    *,
    incidents: int,
    now: datetime | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[int], object] | None = None,
    seed: int | None = None,
) -> SeedStats:
    """Add `incidents` realistic incidents detected over the two years before `now`.

    Each batch of `batch_size` incidents (with their affected services, role assignments,
    timeline entries and history rows) is planned in memory, inserted with bulk inserts and
    committed in its own transaction, so memory stays flat however many are asked for.
    `progress(n)` is called after each committed batch; `seed` makes the content repeatable.
    Staff users for the roles (no usable password), an `alerts-bot` user and the service
    catalogue are created when missing. Checklist items are not seeded.
    """
    ensure_demo_data_allowed()
    if not connection.features.can_return_rows_from_bulk_insert:
        raise ImproperlyConfigured(
            "Bulk seeding needs a database that returns ids from bulk inserts "
            "(PostgreSQL, or SQLite 3.35 or newer)."
        )
    if incidents < 1:
        raise ValueError("Seed at least one incident.")
    if batch_size < 1:
        raise ValueError("The batch size must be at least 1.")
    started = time.monotonic()
    now = (now or timezone.now()).astimezone(UTC).replace(microsecond=0)
    rng = random.Random(seed)
    stats = SeedStats()
    with transaction.atomic():
        pool = _Pool()
    times = _detection_times(rng, incidents, now=now)
    remaining = incidents
    while remaining:
        size = min(batch_size, remaining)
        with _collect_once_per_batch():
            plans = [_plan_incident(rng, pool, next(times), now) for _ in range(size)]
            with transaction.atomic():
                _insert_batch(plans, pool=pool, stats=stats, rows=ROWS_PER_INSERT)
            del plans
            reset_queries()  # under DEBUG every query is kept; don't let the log grow
        remaining -= size
        if progress is not None:
            progress(size)
    stats.seconds = time.monotonic() - started
    return stats

"""Bulk seeding, planning: one incident's whole story in memory, detection times spread
over two years, and references."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

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
from ..models import Incident
from .bulk_lifecycle import (
    SPAN,
    IncidentPlan,
    Pool,
    RolePlan,
    Snapshot,
    lifecycle,
    opening_state,
    pick_services,
    weighted,
)
from .vocabulary import (
    CANCEL_REASONS,
    CATEGORY_WEIGHTS,
    NOTES,
    RESOLUTIONS,
    SEVERITY_RANGE,
    SEVERITY_WEIGHTS,
    SOURCE_WEIGHTS,
)

IC, TL, CL, SL = (
    ResponseRole.INCIDENT_COMMANDER,
    ResponseRole.TECHNICAL_LEAD,
    ResponseRole.COMMUNICATIONS_LEAD,
    ResponseRole.SECURITY_LEAD,
)


def plan_incident(rng: random.Random, pool: Pool, detected_at: datetime, now: datetime):
    """One incident's life up to `now`: every save the services would make (for history),
    its role assignments and its timeline. Status moves are validated by `domain`."""
    category = weighted(rng, CATEGORY_WEIGHTS)
    incident_type = rng.choice(TYPES_BY_CATEGORY[category])
    severity = weighted(rng, SEVERITY_WEIGHTS)
    most, least = SEVERITY_RANGE.get(incident_type, (Severity.P0, Severity.P3))
    severity = min(max(severity, most), least)  # "P0" < "P1" < …: clamp to what fits the type
    # Some are reported one level off and re-assessed during triage.
    reported = severity
    if rng.random() < 0.08:
        levels = Severity.values
        index = levels.index(severity) + rng.choice((-1, 1))
        reported = levels[min(max(index, 0), len(levels) - 1)]
    source = weighted(rng, SOURCE_WEIGHTS[category])
    service_names = pick_services(rng, incident_type)
    state = opening_state(
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
    plan = IncidentPlan(state=state, service_ids=[pool.services[n] for n in service_names])

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
        plan.snapshots.append(Snapshot(at, user_id, reason, dict(state), with_services))

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

    ack_at, steps = lifecycle(
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
            plan.roles.append(RolePlan(role, user_id, assign_at, by))
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
        plan.roles.append(RolePlan(IC, new, handover, old, successor=True))
        relieved = f"{pool.usernames[old]} relieved as Incident Commander"
        timeline(handover, TimelineKind.ROLE_RELIEVED, old, relieved)
        assigned = f"{pool.usernames[new]} is Incident Commander"
        timeline(handover, TimelineKind.ROLE_ASSIGNED, old, assigned)
    if ack_at is not None and ack_at <= now:
        for _ in range(weighted(rng, {0: 40, 1: 40, 2: 20})):
            at = (ack_at + (end - ack_at) * rng.random()).replace(microsecond=0)
            author = rng.choice((lead, commander, responder))
            timeline(at, TimelineKind.NOTE, author, rng.choice(NOTES))
    plan.timeline.sort(key=lambda entry: entry[0])
    return plan


def detection_times(rng: random.Random, count: int, *, now: datetime) -> Iterator[datetime]:
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


def assign_references(states: list[dict]) -> None:
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

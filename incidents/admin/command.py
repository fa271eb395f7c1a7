"""What the incident command page shows, read once per page: the header band (SLA, the four
roles, the next escalation) and the sections a responder scans (checklist by phase,
timeline, communications, deliveries). Human labels only: no codes, no field names."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .. import domain
from ..choices import (
    Channel,
    DeliveryStatus,
    Phase,
    ResponseRole,
    Status,
    TimelineKind,
)
from ..escalation import rules
from ..escalation.messages import position_labels
from ..escalation.targets import resolve_targets
from ..kernel.durations import format_duration, format_moment
from ..models import (
    CommChannel,
    Communication,
    Delivery,
    EscalationEvent,
    Incident,
    IncidentEscalationStep,
    RoleAssignment,
    TimelineEntry,
)

DELIVERY_LIMIT = 50


@dataclass
class Sla:
    code: str
    text: str


def sla_for(incident: Incident, now: datetime) -> Sla:
    """The response SLA as the band shows it: a countdown, an overdue clock or the result."""
    state = domain.sla_state(
        response_due_at=incident.response_due_at,
        acknowledged_at=incident.acknowledged_at,
        now=now,
        status=incident.status,
    )
    if state.code == "pending":
        return Sla("pending", f"Respond within {state.label.removesuffix(' left')}")
    if state.code == "overdue":
        return Sla("overdue", f"Response SLA breached: {state.label}")
    if state.code == "breached":
        return Sla("breached", f"Response SLA {state.label}")
    if state.code == "met":
        return Sla("met", "Response SLA met")
    return Sla("none", "No response SLA")


@dataclass
class RoleSlot:
    code: str
    label: str
    holder: str
    is_me: bool


def role_slots(incident: Incident, user) -> list[RoleSlot]:
    current = {
        assignment.role: assignment.user
        for assignment in RoleAssignment.objects.filter(
            incident=incident, relieved_at__isnull=True
        ).select_related("user")
    }
    slots = []
    for code, label in ResponseRole.choices:
        holder = current.get(code)
        slots.append(
            RoleSlot(
                code=code,
                label=str(label),
                holder=holder.get_username() if holder else "",
                is_me=holder is not None and holder.pk == user.pk,
            )
        )
    return slots


@dataclass
class NextEscalation:
    level: int
    who: str
    positions: str
    at: str
    relative: str


def next_escalation(incident: Incident, now: datetime) -> NextEscalation | None:
    """The lowest level that has not fired and whose stop condition is not met."""
    if incident.status in rules.CLOSED_FOR_PAGING:
        return None
    steps = list(IncidentEscalationStep.objects.filter(incident=incident))
    fired = set(EscalationEvent.objects.filter(incident=incident).values_list("level", flat=True))
    state = rules.IncidentState(
        status=incident.status,
        detected_at=incident.detected_at,
        response_due_at=incident.response_due_at,
        acknowledged_at=incident.acknowledged_at,
        contained_at=incident.contained_at,
        sla_breached_at=incident.sla_breached_at,
    )
    step_states = [
        rules.StepState(level=s.level, due_at=s.due_at, stop_condition=s.stop_condition)
        for s in steps
    ]
    upcoming = rules.next_unfired_step(step_states, state, fired_levels=fired)
    if upcoming is None:
        return None
    step = next(s for s in steps if s.level == upcoming.level)
    people = resolve_targets(incident, list(step.positions), now)
    delta = step.due_at - now
    relative = (
        f"in {format_duration(delta)}"
        if delta.total_seconds() > 0
        else f"due {format_duration(-delta)} ago"
    )
    return NextEscalation(
        level=step.level,
        who=", ".join(person.get_username() for person in people) or "nobody on record",
        positions=position_labels(step.positions),
        at=format_moment(step.due_at),
        relative=relative,
    )


def current_phases(status: str) -> tuple[str, ...]:
    if status == Status.RESOLVED:
        return domain.PHASES_ON_ENTRY[Status.CONTAINED]
    return tuple(domain.PHASES_ON_ENTRY.get(status, ()))


@dataclass
class PhaseGroup:
    code: str
    label: str
    current: bool
    forms: list = field(default_factory=list)
    open_steps: int = 0


def checklist_groups(inline_admin_formset, status: str) -> list[PhaseGroup]:
    """The checklist inline's rows grouped by phase, the current phase first."""
    current = current_phases(status)
    groups: dict[str, PhaseGroup] = {}
    for inline_form in inline_admin_formset:
        item = inline_form.original
        if item is None:
            continue
        group = groups.get(item.phase)
        if group is None:
            group = groups[item.phase] = PhaseGroup(
                code=item.phase,
                label=str(Phase(item.phase).label),
                current=item.phase in current,
            )
        group.forms.append(inline_form)
        if not item.is_done:
            group.open_steps += 1
    rank = {code: index for index, code in enumerate(Phase.values)}
    return sorted(groups.values(), key=lambda g: (not g.current, rank.get(g.code, 99)))


@dataclass
class TimelineRow:
    at: str
    kind: str
    author: str
    text: str
    is_note: bool


def timeline_rows(incident: Incident) -> list[TimelineRow]:
    entries = (
        TimelineEntry.objects.filter(incident=incident)
        .select_related("author")
        .order_by("-at", "-id")
    )
    return [
        TimelineRow(
            at=format_moment(entry.at),
            kind=entry.get_kind_display(),
            author=entry.author.get_username() if entry.author else "system",
            text=entry.text,
            is_note=entry.kind == TimelineKind.NOTE,
        )
        for entry in entries
    ]


def communication_rows(incident: Incident) -> list[dict]:
    channels = dict(CommChannel.choices)
    return [
        {
            "at": format_moment(c.sent_at),
            "kind": c.get_kind_display(),
            "audience": c.get_audience_display(),
            "channels": ", ".join(str(channels.get(code, code)) for code in c.channels or ()),
            "subject": c.subject,
            "by": c.sent_by.get_username() if c.sent_by else "system",
        }
        for c in Communication.objects.filter(incident=incident)
        .select_related("sent_by")
        .order_by("-sent_at", "-id")
    ]


def delivery_rows(incident: Incident) -> tuple[list[dict], int]:
    queryset = Delivery.objects.filter(incident=incident).select_related("recipient")
    total = queryset.count()
    channels = dict(Channel.choices)
    rows = [
        {
            "at": format_moment(d.sent_at or d.created_at),
            "channel": str(channels.get(d.channel, d.channel)),
            "to": d.recipient.get_username() if d.recipient else d.target,
            "subject": d.subject,
            "state": d.get_status_display(),
            "failed": d.status == DeliveryStatus.FAILED,
            "note": (
                f"{d.attempts} attempt(s): {d.last_error}"
                if d.last_error and d.status != DeliveryStatus.SENT
                else ""
            ),
        }
        for d in queryset.order_by("-created_at", "-id")[:DELIVERY_LIMIT]
    ]
    return rows, total

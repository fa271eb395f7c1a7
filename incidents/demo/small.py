"""The small demo dataset: a dozen HarborList incidents played through the services."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from simple_history.signals import pre_create_historical_record

from .. import domain, services
from ..choices import Status
from ..communications.services import clock_restart
from ..escalation.services import escalations_settle
from ..models import ChecklistItem, ContactPoint, Incident, OnCallShift, PositionHolder
from .common import DEMO_USERS, ensure_demo_data_allowed, ensure_services, ensure_user
from .public_side import PUBLIC_ACTIONS, play_public_step
from .registry import run_before_close, run_clock_settlers, run_demo_loaders
from .scenarios import DEMO_SCENARIOS

DEMO_CLOSE_REASON = "Remaining steps were tracked outside Harbormaster (demo data)."


def _write(stdout, message: str) -> None:
    if stdout is not None:
        stdout.write(message + ("" if message.endswith("\n") else "\n"))


# The services stamp history rows with the wall clock (right for real use: that is when
# the row changed). A demo replays weeks of work in a second, so while it plays, history
# rows take the scenario's time instead, and the admin history matches the timeline.
_scenario_time: ContextVar[datetime | None] = ContextVar("demo_scenario_time", default=None)


def _date_history_row(sender, history_instance, **kwargs):
    at = _scenario_time.get()
    if at is not None:
        history_instance.history_date = at


@contextmanager
def _history_dated(at: datetime) -> Iterator[None]:
    token = _scenario_time.set(at)
    try:
        yield
    finally:
        _scenario_time.reset(token)


@contextmanager
def _dating_history_rows() -> Iterator[None]:
    pre_create_historical_record.connect(_date_history_row, dispatch_uid="demo-history-date")
    try:
        yield
    finally:
        pre_create_historical_record.disconnect(dispatch_uid="demo-history-date")


def _tick(incident: Incident, which: str, count: int | None, *, user, when: datetime) -> None:
    items = ChecklistItem.objects.filter(incident=incident, done_at__isnull=True)
    if which in {phase for phase, _label in ChecklistItem._meta.get_field("phase").choices}:
        items = items.filter(phase=which)
    else:
        items = items.filter(section=which)
    items = list(items.order_by("order", "id"))
    if count is not None:
        items = items[:count]
    if not items:
        raise ValueError(f"Demo scenario ticks {which!r} on {incident.reference}: no open items.")
    for offset, item in enumerate(items):
        at = when + timedelta(seconds=20 * offset)
        with _history_dated(at):
            services.checklist_item_set_done(item=item, done=True, user=user, now=at)


def _play_scenario(scenario: dict, *, now: datetime, users: dict, catalogue: dict) -> Incident:
    detected_at = now - scenario["ago"]
    started = scenario.get("started_minutes_before")
    with _history_dated(detected_at):
        incident = _create(scenario, detected_at, started, users, catalogue)
    for minutes, actor, action, *args in scenario["steps"]:
        when = detected_at + timedelta(minutes=minutes)
        if when > now:
            raise ValueError(f"Demo scenario {scenario['title']!r} has a step in the future.")
        if action == "tick":
            _tick(incident, args[0], args[1], user=users[actor], when=when)
        else:
            with _history_dated(when):
                _step(incident, action, args, user=users[actor], users=users, when=when)
    incident.refresh_from_db()
    return incident


def _create(scenario, detected_at, started, users, catalogue) -> Incident:
    return services.incident_create(
        title=scenario["title"],
        severity=scenario["severity"],
        type=scenario["type"],
        detection_source=scenario["detection_source"],
        user=users[scenario["by"]],
        detected_at=detected_at,
        started_at=detected_at - timedelta(minutes=started) if started else None,
        summary=scenario.get("summary", ""),
        is_drill=scenario.get("is_drill", False),
        affected_services=[catalogue[name] for name in scenario.get("services", ())],
        now=detected_at,
        **scenario.get("details", {}),
    )


def _step(incident: Incident, action: str, args: list, *, user, users: dict, when) -> None:
    if action == "ack":
        services.incident_acknowledge(incident=incident, user=user, now=when)
    elif action == "role":
        role, assignee = args
        services.incident_assign_role(
            incident=incident, role=role, assignee=users[assignee], user=user, now=when
        )
    elif action == "status":
        to_status, kwargs = args
        if to_status == Status.CLOSED:  # e.g. the policy's post-mortem is published first
            run_before_close(incident, user=user, now=when)
            # Closing with open work needs a reason; the demo's closed incidents say so.
            kwargs = {"reason": DEMO_CLOSE_REASON, **kwargs}
        services.incident_transition(
            incident=incident, to_status=to_status, user=user, now=when, **kwargs
        )
    elif action == "note":
        services.incident_add_note(incident=incident, text=args[0], user=user, now=when)
    elif action == "severity":
        new, reason = args
        services.incident_change_severity(
            incident=incident, severity=new, user=user, reason=reason, now=when
        )
    elif action in PUBLIC_ACTIONS:  # the public wording and external messages
        play_public_step(incident, action, args, user=user, when=when)
    else:  # pragma: no cover - a typo in the scenarios above
        raise ValueError(f"Unknown demo action {action!r}")


@transaction.atomic
def load_demo_dataset(*, password: str, now: datetime | None = None, stdout=None) -> list[str]:
    """Create the demo catalogue, users and incidents; return the demo usernames.

    Every demo user gets `password` (set again on a repeated call, so the password shown is
    the one that works). Services and users are get-or-create; incidents are added only when
    the database has none, so calling this twice is harmless.
    """
    ensure_demo_data_allowed()
    if not password:
        raise ValueError("The demo users need a password.")
    now = (now or timezone.now()).replace(microsecond=0)

    users = {
        spec.username: ensure_user(
            spec.username,
            first_name=spec.first_name,
            last_name=spec.last_name,
            group=spec.group,
            password=password,
        )
        for spec in DEMO_USERS
    }
    catalogue = ensure_services(users)
    ensure_rota(users, now=now)
    _write(stdout, f"Demo users ({len(users)}) and services ({len(catalogue)}) ready.")
    for message in run_demo_loaders(users, now=now):
        _write(stdout, message)

    if Incident.objects.exists():
        _write(stdout, "Incidents already exist; no demo incidents added.")
        return list(users)
    played = []
    with _dating_history_rows():
        for scenario in DEMO_SCENARIOS:
            incident = _play_scenario(scenario, now=now, users=users, catalogue=catalogue)
            played.append(incident)
            _write(
                stdout,
                f"  {incident.reference}  {incident.severity}  {incident.status:<13} "
                f"{incident.title}",
            )
    _write(stdout, f"{len(DEMO_SCENARIOS)} demo incidents created.")
    with _dating_history_rows(), _history_dated(now):
        _write(stdout, settle_clocks(played, now=now))
    return list(users)


SETTLED_REASON = "demo data, loaded with its past already played"


def settle_clocks(incidents: list[Incident], *, now: datetime) -> str:
    """The scenarios replay weeks in a second, so every clock they started is already
    past: escalation levels, response SLAs, status-update cadences, reminders. Mark what
    is due as handled without sending anything (through the services, in history), so
    the first run of the beat sweeps pages nobody about a past that never happened live.
    Clocks that come due later (a level 30 minutes from now) still fire."""
    escalated = escalations_settle(
        incident_ids=[incident.pk for incident in incidents], now=now, reason=SETTLED_REASON
    )
    cadences = 0
    for incident in incidents:
        if incident.status in domain.OPEN_STATUSES:
            clock_restart(incident, user=None, now=now)
            cadences += 1
    others = [text for text in run_clock_settlers(now=now) if text]
    return "; ".join(
        [
            f"Clocks settled without sending: {escalated.levels_fired} escalation level(s) "
            f"and {escalated.sla_breaches} response-SLA breach(es) marked as handled, "
            f"{cadences} status-update cadence(s) started from now",
            *others,
        ]
    )


# Who the escalation matrix pages in the demo: a position for each lead, and an on-call
# rota that covers the scenarios' past and the coming week without gaps.
DEMO_POSITIONS = {
    "technical_lead": ["tomas.techlead"],
    "team_lead": ["priya.techlead"],
    "incident_commander": ["ines.commander"],
    "assigned_engineer": ["li.responder"],
    "cto": ["omar.commander"],
    "ceo": ["ines.commander"],
}


def ensure_rota(users: dict, *, now: datetime) -> None:
    for position, usernames in DEMO_POSITIONS.items():
        holder, _ = PositionHolder.objects.get_or_create(position=position)
        holder.users.add(*(users[name] for name in usernames))
    if not OnCallShift.objects.exists():
        handover = now + timedelta(days=3)
        OnCallShift.objects.create(
            user=users["rita.responder"],
            starts_at=now - timedelta(days=60),
            ends_at=handover,
            note="Primary (demo)",
        )
        OnCallShift.objects.create(
            user=users["li.responder"],
            starts_at=handover,
            ends_at=now + timedelta(days=10),
            note="Primary (demo)",
        )
    for user in users.values():
        ContactPoint.objects.get_or_create(user=user, defaults={"chat_handle": user.username})

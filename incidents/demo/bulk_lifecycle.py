"""Bulk seeding, the building blocks: the in-memory plan of an incident (snapshots, roles),
the pool of users and services, random draws, and an incident's lifecycle."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ImproperlyConfigured

from .. import domain
from ..choices import (
    AUTOMATED_SOURCES,
    Category,
    DetectionSource,
    Severity,
    Status,
)
from ..models import SeverityPolicy
from .common import ensure_services, ensure_user
from .vocabulary import (
    ACK_MINUTES,
    BENCH_STAFF,
    CLOSE_MINUTES,
    CONTAIN_MINUTES,
    FILL,
    FIRST_NAMES,
    INVESTIGATE_MINUTES,
    LAST_NAMES,
    RESOLVE_MINUTES,
    SERVICES_BY_TYPE,
    TARGETS_OLD,
    TARGETS_RECENT,
    TARGETS_TODAY,
    TITLES,
    TRIAGE_MINUTES,
    USERS_AFFECTED_MEDIAN,
)

SPAN = timedelta(days=730)  # detections spread over the two years before `now`
ALERTS_BOT = "alerts-bot"  # opens the incidents that come from automated sources


@dataclass
class Snapshot:
    at: datetime
    user_id: int | None
    reason: str
    state: dict
    with_services: bool


@dataclass
class RolePlan:
    role: str
    user_id: int
    assigned_at: datetime
    assigned_by_id: int | None
    relieved_at: datetime | None = None
    relieved_by_id: int | None = None
    relieved_reason: str = ""
    successor: bool = False


@dataclass
class IncidentPlan:
    state: dict  # final field values
    service_ids: list[int]
    snapshots: list[Snapshot] = field(default_factory=list)
    roles: list[RolePlan] = field(default_factory=list)
    timeline: list[tuple[datetime, str, int | None, str]] = field(default_factory=list)


class Pool:
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


def weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def random_duration(rng: random.Random, median_minutes: float, sigma: float = 1.0) -> timedelta:
    minutes = rng.lognormvariate(math.log(median_minutes), sigma)
    return timedelta(seconds=max(30, round(minutes * 60)))


def title_for(rng: random.Random, incident_type: str, service: str) -> str:
    template = rng.choice(TITLES[incident_type])
    values = {key: rng.choice(options) for key, options in FILL.items()}
    return template.format(service=service, **values)


def pick_services(rng: random.Random, incident_type: str) -> list[str]:
    candidates = SERVICES_BY_TYPE[incident_type]
    count = min(len(candidates), weighted(rng, {1: 55, 2: 30, 3: 15}))
    names = [candidates[0]] if rng.random() < 0.6 else []
    for name in rng.sample(candidates, len(candidates)):
        if len(names) >= count:
            break
        if name not in names:
            names.append(name)
    return names


def opening_state(
    rng: random.Random,
    pool: Pool,
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
        started_at = detected_at - random_duration(rng, 8 if source in AUTOMATED_SOURCES else 90)
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
    title = title_for(rng, incident_type, service_names[0])
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


def lifecycle(
    rng: random.Random, *, detected_at: datetime, now: datetime, severity: str, category: str
) -> tuple[datetime | None, list[tuple[datetime, str, dict]]]:
    """When it is acknowledged and the dated status moves it makes (some may lie after
    `now`). The end state wanted depends on the incident's age."""
    age = now - detected_at
    if age > timedelta(days=14):
        target = weighted(rng, TARGETS_OLD)
    elif age > timedelta(days=1):
        target = weighted(rng, TARGETS_RECENT)
    else:
        target = weighted(rng, TARGETS_TODAY)

    if target == Status.CANCELLED:
        path = list(FORWARD[: weighted(rng, {0: 45, 1: 35, 2: 20})])
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
    ack_at = detected_at + random_duration(rng, ACK_MINUTES[severity]) if acknowledged else None
    t = ack_at or detected_at
    steps: list[tuple[datetime, str, dict]] = []
    for status in FORWARD:
        t = t + random_duration(rng, STEP_MINUTES[status][severity])
        if status in path:
            steps.append((t, status, {}))
    if "resolved" in path and rng.random() < 0.02:
        # Recurrence: resolved → investigating → resolved again, later steps shifted.
        resolved = next(at for at, status, _ in steps if status == "resolved")
        later = [(at, status, kw) for at, status, kw in steps if at > resolved]
        steps = [(at, status, kw) for at, status, kw in steps if at <= resolved]
        reopen_at = resolved + random_duration(rng, 18 * 60)
        steps.append((reopen_at, "investigating", {"reason": "Recurrence: the problem is back."}))
        resolved_again = reopen_at + random_duration(rng, 240)
        steps.append((resolved_again, "resolved", {}))
        steps.extend((at + (resolved_again - resolved), st, kw) for at, st, kw in later)
    if target == Status.CANCELLED:
        last = steps[-1][0] if steps else (ack_at or detected_at)
        steps.append((last + random_duration(rng, 30), "cancelled", {}))
    return ack_at, steps

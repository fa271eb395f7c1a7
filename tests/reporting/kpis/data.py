"""A hand-computed KPI data set shared by kpis/test_selectors.py and kpis/test_api.py (no tests
here; the name keeps it with the KPI test files).

Window [2026-03-01, 2026-05-01), now = 2026-05-01T00:00Z. Six incidents count (A–F); a
drill (G) and two incidents outside the window (H before, I at the exclusive end) do not.

    ref sev type          services  started  detected  ack      contained  resolved  users
    A   P1  outage        s1, s2    09:50    10:00     +600     +2400      +7200     100
    B   P2  software_bug  s1        —        08:00     +1800    —          +21600    —
    C   P1  data_breach   s2        −21600   06:00     +5400    +10800     +86400    5000
    D   P0  outage        —         −300     12:00     — (breached, sla_breached_at)  2000
    E   P3  ui_issue      —         —        20:00     — (due 24 h later: pending)    —
    F   P2  perf_degr.    —         −3600    10:00     — cancelled before deadline    —

The expected numbers, worked out by hand, are in EXPECTED_SUMMARY below."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from incidents.choices import IncidentType, Severity, Status
from incidents.models import EscalationEvent, Incident
from postmortems.models import ActionItem, ActionItemStatus, PostMortem, PostMortemStatus
from tests.incidents.builders import IncidentFactory, ServiceFactory, UserFactory

START = datetime(2026, 3, 1, tzinfo=UTC)
END = datetime(2026, 5, 1, tzinfo=UTC)
NOW = END


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@dataclass
class KpiWorld:
    incidents: dict
    services: dict
    owner: object


def _incident(ref, *, severity, type, detected_at, services=(), **fields) -> Incident:
    due = {"P0": 15, "P1": 60, "P2": 240, "P3": 1440}[severity]
    incident = IncidentFactory(
        reference=f"INC-KPI-{ref}",
        title=f"Incident {ref}",
        severity=severity,
        type=type,
        detected_at=detected_at,
        response_due_at=detected_at + timedelta(minutes=due),
        **fields,
    )
    incident.affected_services.set(services)
    return incident


def _escalations(incident: Incident, count: int) -> None:
    for level in range(1, count + 1):
        EscalationEvent.objects.create(
            incident=incident,
            level=level,
            fired_at=incident.detected_at + timedelta(minutes=level),
            due_at=incident.detected_at + timedelta(minutes=level),
            reason="scheduled",
        )


def _postmortem(incident: Incident, *, published: bool, owner, actions: list[str]) -> PostMortem:
    postmortem = PostMortem.objects.create(
        incident=incident,
        owner=owner,
        status=PostMortemStatus.PUBLISHED if published else PostMortemStatus.DRAFT,
        approved_by=owner if published else None,
        published_at=incident.resolved_at + timedelta(days=2) if published else None,
        due_at=incident.resolved_at + timedelta(days=7),
        occurred_at=incident.started_at or incident.detected_at,
        created_at=incident.resolved_at,
    )
    for n, status in enumerate(actions):
        ActionItem.objects.create(
            postmortem=postmortem,
            description=f"Action {n}",
            owner=owner,
            due_date=date(2026, 6, 1),
            status=status,
            created_at=incident.resolved_at,
        )
    return postmortem


def build_world() -> KpiWorld:
    owner = UserFactory(username="kpi-owner")
    s1 = ServiceFactory(name="checkout")
    s2 = ServiceFactory(name="search")
    a = _incident(
        "A",
        severity=Severity.P1,
        type=IncidentType.SERVICE_OUTAGE,
        services=[s1, s2],
        started_at=at(2026, 3, 2, 9, 50),
        detected_at=at(2026, 3, 2, 10, 0),
        acknowledged_at=at(2026, 3, 2, 10, 10),
        contained_at=at(2026, 3, 2, 10, 40),
        resolved_at=at(2026, 3, 2, 12, 0),
        status=Status.CLOSED,
        resolution_summary="Rolled back.",
        users_affected=100,
    )
    b = _incident(
        "B",
        severity=Severity.P2,
        type=IncidentType.SOFTWARE_BUG,
        services=[s1],
        detected_at=at(2026, 3, 15, 8, 0),
        acknowledged_at=at(2026, 3, 15, 8, 30),
        resolved_at=at(2026, 3, 15, 14, 0),
        status=Status.RESOLVED,
        resolution_summary="Patched.",
    )
    c = _incident(
        "C",
        severity=Severity.P1,
        type=IncidentType.DATA_BREACH,
        services=[s2],
        started_at=at(2026, 4, 1, 0, 0),
        detected_at=at(2026, 4, 1, 6, 0),
        acknowledged_at=at(2026, 4, 1, 7, 30),
        contained_at=at(2026, 4, 1, 9, 0),
        resolved_at=at(2026, 4, 2, 6, 0),
        status=Status.RESOLVED,
        resolution_summary="Keys rotated.",
        users_affected=5000,
    )
    d = _incident(
        "D",
        severity=Severity.P0,
        type=IncidentType.SERVICE_OUTAGE,
        started_at=at(2026, 4, 20, 11, 55),
        detected_at=at(2026, 4, 20, 12, 0),
        sla_breached_at=at(2026, 4, 20, 12, 15),
        users_affected=2000,
    )
    e = _incident(
        "E",
        severity=Severity.P3,
        type=IncidentType.UI_ISSUE,
        detected_at=at(2026, 4, 30, 20, 0),
    )
    f = _incident(
        "F",
        severity=Severity.P2,
        type=IncidentType.PERFORMANCE_DEGRADATION,
        started_at=at(2026, 3, 20, 9, 0),
        detected_at=at(2026, 3, 20, 10, 0),
        cancelled_at=at(2026, 3, 20, 10, 20),
        status=Status.CANCELLED,
        cancel_reason="False alarm.",
    )
    # Not counted: a drill, one just before the window, one at its (exclusive) end.
    g = _incident(
        "G",
        severity=Severity.P1,
        type=IncidentType.SERVICE_OUTAGE,
        services=[s1],
        is_drill=True,
        started_at=at(2026, 4, 10, 9, 0),
        detected_at=at(2026, 4, 10, 10, 0),
        acknowledged_at=at(2026, 4, 10, 12, 0),
        resolved_at=at(2026, 4, 10, 13, 0),
        status=Status.RESOLVED,
        resolution_summary="Drill over.",
        users_affected=999,
    )
    h = _incident(
        "H",
        severity=Severity.P1,
        type=IncidentType.SERVICE_OUTAGE,
        detected_at=START - timedelta(seconds=1),
    )
    i = _incident("I", severity=Severity.P1, type=IncidentType.SERVICE_OUTAGE, detected_at=END)
    _escalations(a, 2)
    _escalations(c, 3)
    _escalations(d, 1)
    _escalations(g, 2)
    _escalations(h, 1)
    _postmortem(
        a,
        published=True,
        owner=owner,
        actions=[ActionItemStatus.DONE, ActionItemStatus.WONT_DO, ActionItemStatus.OPEN],
    )
    _postmortem(c, published=False, owner=owner, actions=[ActionItemStatus.IN_PROGRESS])
    _postmortem(g, published=True, owner=owner, actions=[ActionItemStatus.DONE])
    return KpiWorld(
        incidents={"A": a, "B": b, "C": c, "D": d, "E": e, "F": f, "G": g, "H": h, "I": i},
        services={"checkout": s1, "search": s2},
        owner=owner,
    )


def metric(count, missing, mean, p50, p90) -> dict:
    return {
        "count": count,
        "missing": missing,
        "mean_seconds": mean,
        "p50_seconds": p50,
        "p90_seconds": p90,
    }


EXPECTED_SUMMARY = {
    "incidents": 6,
    # MTTD over A 600, C 21600, D 300, F 3600 → sorted 300, 600, 3600, 21600.
    # p50: h = 0.5 × 3 = 1.5 → 600 + 0.5 × 3000; p90: h = 2.7 → 3600 + 0.7 × 18000.
    "mttd": metric(4, 2, 6525.0, 2100.0, 16200.0),
    # MTTA over A 600, B 1800, C 5400: p90 h = 1.8 → 1800 + 0.8 × 3600.
    "mtta": metric(3, 3, 2600.0, 1800.0, 4680.0),
    # MTTR over A 7200, B 21600, C 86400: p90 → 21600 + 0.8 × 64800.
    "mttr": metric(3, 3, 38400.0, 21600.0, 73440.0),
    # Contain over A 2400, C 10800: p50 h = 0.5 → 6600; p90 h = 0.9 → 2400 + 0.9 × 8400.
    "time_to_contain": metric(2, 4, 6600.0, 6600.0, 9960.0),
    # A, B met; C late, D recorded breach; E not yet due; F cancelled before anyone acked.
    "sla": {"met": 2, "breached": 2, "pending": 1, "not_applicable": 1, "compliance_rate": 0.5},
    # Users: 100 + 5000 + 2000. User-hours: A 100 × 2h10m (from started_at) = 216.667,
    # C 5000 × 30 h = 150000. Missing: B, E (no users), D, E, F (not resolved) → 4.
    "customer_impact": {"users_affected": 7100, "user_hours": 150216.667, "missing": 4},
    "escalations_fired": 6,
    # Resolved P0/P1 (policy requires one): A (published) and C (draft).
    "postmortems": {"required": 2, "completed": 1, "completion_rate": 0.5},
    # A: done, won't do, open; C: in progress.
    "action_items": {"total": 4, "closed": 2, "closure_rate": 0.5},
}

# P1 holds A and C; MTTD 600, 21600 → p90 = 600 + 0.9 × 21000.
EXPECTED_P1 = {
    "group": "P1",
    "label": "P1 — High",
    "incidents": 2,
    "mttd": metric(2, 0, 11100.0, 11100.0, 19500.0),
    "mtta": metric(2, 0, 3000.0, 3000.0, 4920.0),
    "mttr": metric(2, 0, 46800.0, 46800.0, 78480.0),
    "time_to_contain": metric(2, 0, 6600.0, 6600.0, 9960.0),
    "sla": {"met": 1, "breached": 1, "pending": 0, "not_applicable": 0, "compliance_rate": 0.5},
    "customer_impact": {"users_affected": 5100, "user_hours": 150216.667, "missing": 0},
    "escalations_fired": 5,
    "postmortems": {"required": 2, "completed": 1, "completion_rate": 0.5},
    "action_items": {"total": 4, "closed": 2, "closure_rate": 0.5},
}

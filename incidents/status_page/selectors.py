"""What the public may see, and nothing else (docs/communications.md, "Status page").

An incident is customer-facing when it affects a customer-facing service or has been
published externally (an external communication on the status page). Shown per incident
(a card): its public title once published (else a neutral heading), its public summary once
published, the status its latest published message told customers, when it began and was
resolved, the customer-facing services it affects (by display name), and the text of its
external status-page communications. Never its internal title, summary, notes or impact
fields. A security incident appears only through its published messages and public wording
(no services, no severity) — and not at all until one is published. Drills never appear."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Prefetch, Q

from .. import domain
from ..choices import Category, Severity, Status
from ..communications.domain import PUBLIC_STATUS, public_status_for
from ..models import Audience, CommChannel, Communication, Incident, Service

RECENT = timedelta(days=7)
RESOLVED = PUBLIC_STATUS[Status.RESOLVED]


@dataclass
class PublicUpdate:
    at: datetime
    subject: str
    body: str
    status: str


@dataclass
class PublicIncident:
    id: str
    heading: str
    status: str
    resolved: bool
    began_at: datetime
    resolved_at: datetime | None
    services: list[str]
    updates: list[PublicUpdate] = field(default_factory=list)
    summary: str = ""

    @property
    def last_change(self) -> datetime:
        return max([u.at for u in self.updates] + [self.resolved_at or self.began_at])


@dataclass
class PublicService:
    name: str
    status: str


def public_communications():
    # JSON containment is not portable to SQLite for lists of strings: filter in Python.
    return Communication.objects.filter(audience=Audience.EXTERNAL).order_by("-sent_at", "-id")


def _public_updates(incident) -> list[PublicUpdate]:
    return [
        PublicUpdate(
            at=c.sent_at,
            subject=c.subject,
            body=c.body,
            # Sent before the status was recorded: what its template said.
            status=c.public_status or public_status_for(kind=c.kind, status=incident.status),
        )
        for c in incident.public_comms
        if CommChannel.STATUS_PAGE in (c.channels or [])
    ]


def status_page(now: datetime, *, recent: timedelta = RECENT) -> dict:
    external = Communication.objects.filter(incident=OuterRef("pk"), audience=Audience.EXTERNAL)
    cutoff = now - recent
    candidates = (
        Incident.objects.filter(is_drill=False)
        .exclude(status=Status.CANCELLED)
        .filter(
            Q(status__in=domain.OPEN_STATUSES)
            | Q(status__in=[Status.RESOLVED, Status.CLOSED], resolved_at__gte=cutoff)
        )
        .alias(_external=Exists(external))
        .filter(
            Q(_external=True)
            | (~Q(category=Category.SECURITY) & Q(affected_services__customer_facing=True))
        )
        .distinct()
        .prefetch_related(
            Prefetch(
                "affected_services",
                queryset=Service.objects.filter(customer_facing=True),
                to_attr="public_services",
            ),
            Prefetch("communications", queryset=public_communications(), to_attr="public_comms"),
        )
        .order_by("-detected_at", "-id")
    )
    current: list[PublicIncident] = []
    resolved_lately: list[PublicIncident] = []
    affected: dict[int, str] = {}
    for incident in candidates:
        updates = _public_updates(incident)  # newest first
        security = incident.category == Category.SECURITY
        if security and not updates:
            continue  # only what was published
        services = [] if security else [s.public_name for s in incident.public_services]
        if not services and not updates:
            continue  # e.g. external by email only: nothing was published here
        published = bool(updates)
        if published and incident.public_title.strip():
            heading = incident.public_title.strip()
        elif services:
            heading = "Service disruption: " + ", ".join(services)
        else:
            heading = updates[0].subject
        # The card says what its latest message told customers; without one, the
        # incident's own (public) status.
        if published:
            status = updates[0].status
        else:
            status = PUBLIC_STATUS.get(incident.status, "Investigating")
        resolved = status == RESOLVED
        item = PublicIncident(
            id=incident.reference,
            heading=heading,
            status=status,
            resolved=resolved,
            began_at=incident.started_at or incident.detected_at,
            resolved_at=(incident.resolved_at or updates[0].at)
            if resolved and published
            else (incident.resolved_at if resolved else None),
            services=services,
            updates=updates,
            summary=incident.public_summary.strip() if published else "",
        )
        (resolved_lately if resolved else current).append(item)
        if not resolved and not security:
            level = "Major outage" if incident.severity == Severity.P0 else "Degraded performance"
            for service in incident.public_services:
                if affected.get(service.pk) != "Major outage":
                    affected[service.pk] = level
    service_states = sorted(
        (
            PublicService(name=s.public_name, status=affected.get(s.pk, "Operational"))
            for s in Service.objects.filter(customer_facing=True)
        ),
        key=lambda service: service.name.lower(),
    )
    return {
        "generated_at": now,
        "overall": "All systems operational" if not current else "Some systems are affected",
        "current": current,
        "recent": resolved_lately,
        "services": service_states,
    }


def as_json(page: dict) -> dict:
    def when(value):
        return value.isoformat().replace("+00:00", "Z") if value else None

    def incident(item: PublicIncident):
        return {
            "id": item.id,
            "heading": item.heading,
            "summary": item.summary,
            "status": item.status,
            "resolved": item.resolved,
            "began_at": when(item.began_at),
            "resolved_at": when(item.resolved_at),
            "services": item.services,
            "updates": [
                {"at": when(u.at), "status": u.status, "subject": u.subject, "body": u.body}
                for u in item.updates
            ],
        }

    return {
        "generated_at": when(page["generated_at"]),
        "overall": page["overall"],
        "services": [{"name": s.name, "status": s.status} for s in page["services"]],
        "current": [incident(i) for i in page["current"]],
        "recent": [incident(i) for i in page["recent"]],
    }

"""Every write of the communications area: sending, and the update-cadence sweep."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from .. import domain as incident_domain
from ..choices import Channel, ResponseRole, StaffGroup, Status, TimelineKind
from ..kernel.due_rows import claim_row, due_row_ids
from ..kernel.durations import format_duration
from ..kernel.errors import DomainError
from ..kernel.history import history_save
from ..models import (
    Audience,
    CommChannel,
    Communication,
    CommunicationCadence,
    CommunicationTemplate,
    Incident,
    StatusUpdateClock,
    TimelineEntry,
)
from ..outbox.services import delivery_enqueue, notification_send, notify_people
from ..paging.links import communicate_url
from ..selectors import role_holder_or_group
from . import domain


def public_wording(incident: Incident) -> dict[str, str]:
    return {name: getattr(incident, name) for name in domain.PUBLIC_FIELDS}


def public_wording_missing(*, template: CommunicationTemplate, incident: Incident) -> list[str]:
    """What an external message from `template` still needs of the public wording."""
    return domain.public_wording_missing(
        template_texts=[template.subject, template.body], public=public_wording(incident)
    )


def render_for_incident(
    *,
    template: CommunicationTemplate,
    incident: Incident,
    fields: dict | None = None,
    audience: str = Audience.INTERNAL,
) -> domain.Rendered:
    """The message exactly as it will be sent to `audience` (the preview is this too).
    External: only the public wording, never the internal fields."""
    values = domain.incident_values(
        reference=incident.reference,
        severity=incident.severity,
        title=incident.title,
        summary=incident.summary,
        customer_impact=incident.customer_impact,
        business_impact=incident.business_impact,
        status_label=incident.get_status_display(),
        resolution_summary=incident.resolution_summary,
        started_at=incident.started_at,
        detected_at=incident.detected_at,
        resolved_at=incident.resolved_at,
        sender_fields=fields,
        external=audience == Audience.EXTERNAL,
        public=public_wording(incident),
        public_status=domain.public_status_for(kind=template.kind, status=incident.status),
    )
    return domain.render(subject=template.subject, body=template.body, values=values)


def parse_recipients(raw: str) -> list[str]:
    addresses = [a.strip() for a in raw.replace(",", "\n").splitlines() if a.strip()]
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            raise DomainError(
                f"{address!r} is not an email address.", field="email_recipients"
            ) from None
    return list(dict.fromkeys(addresses))


def _interval(severity: str) -> int | None:
    cadence = CommunicationCadence.objects.filter(severity=severity).first()
    return cadence.interval_minutes if cadence else None


def _clock_for(incident: Incident) -> StatusUpdateClock:
    clock, _ = StatusUpdateClock.objects.get_or_create(incident=incident)
    return clock


@transaction.atomic
def communication_send(
    *,
    incident: Incident | int,
    template: CommunicationTemplate,
    audience: str,
    channels: list[str],
    user,
    fields: dict | None = None,
    email_recipients: str = "",
    now: datetime | None = None,
) -> Communication:
    """Render, refuse if a placeholder is missing, record, and queue the deliveries."""
    now = now or timezone.now()
    pk = incident.pk if isinstance(incident, Incident) else incident
    locked = Incident.objects.select_for_update().get(pk=pk)
    if audience not in Audience.values:
        raise DomainError(f"Unknown audience {audience!r}.", field="audience")
    channels = [c for c in CommChannel.values if c in set(channels)]
    if not channels:
        raise DomainError("Choose at least one channel.", field="channels")
    if CommChannel.STATUS_PAGE in channels and audience != Audience.EXTERNAL:
        raise DomainError(
            "Only external communications go on the public status page.", field="channels"
        )
    recipients = parse_recipients(email_recipients)
    if CommChannel.EMAIL in channels and not recipients:
        raise DomainError("Add at least one email address.", field="email_recipients")
    if CommChannel.CHAT in channels and not settings.HARBORMASTER_CHAT_WEBHOOK_URL:
        raise DomainError(
            "No chat webhook is configured (HARBORMASTER_CHAT_WEBHOOK_URL).", field="channels"
        )
    external = audience == Audience.EXTERNAL
    if external:
        missing_public = public_wording_missing(template=template, incident=locked)
        if missing_public:
            raise domain.PublicWordingMissing(missing_public)
    rendered = render_for_incident(
        template=template, incident=locked, fields=fields, audience=audience
    )
    if rendered.missing:
        raise domain.PlaceholdersMissing(list(rendered.missing))
    communication = Communication(
        incident=locked,
        template=template,
        kind=template.kind,
        audience=audience,
        channels=channels,
        email_recipients="\n".join(recipients) if CommChannel.EMAIL in channels else "",
        fields={k: v for k, v in (fields or {}).items() if v},
        subject=rendered.subject,
        body=rendered.body,
        public_status=(
            domain.public_status_for(kind=template.kind, status=locked.status) if external else ""
        ),
        sent_by=user,
        sent_at=now,
    )
    history_save(communication, user=user, reason=f"{template.name} sent ({audience})")
    if CommChannel.EMAIL in channels:
        for address in recipients:
            delivery_enqueue(
                key=f"communication:{communication.pk}:email:{address.lower()}",
                channel=Channel.EMAIL,
                target=address,
                subject=rendered.subject,
                body=rendered.body,
                incident=locked,
                now=now,
            )
    if CommChannel.CHAT in channels:
        notification_send(
            key=f"communication:{communication.pk}",
            subject=rendered.subject,
            body=rendered.body,
            incident=locked,
            now=now,
            chat=True,
        )
    labels = ", ".join(CommChannel(c).label.lower() for c in channels)
    entry = TimelineEntry(
        incident=locked,
        kind=TimelineKind.COMMUNICATION,
        at=now,
        author=user,
        text=f"{Audience(audience).label.split(' ')[0]} communication sent via {labels}: "
        f"{rendered.subject}",
    )
    history_save(entry, user=user, reason="Communication sent")
    # Any send restarts the update clock.
    clock = _clock_for(locked)
    clock.due_at = (
        domain.next_update_due(sent_at=now, interval_minutes=_interval(locked.severity))
        if locked.status in incident_domain.OPEN_STATUSES
        else None
    )
    history_save(clock, user=user, reason="Communication sent")
    return communication


# --- cadence: reminders to the communications lead --------------------------------------
def communications_lead_recipients(incident: Incident) -> list:
    return role_holder_or_group(
        incident, ResponseRole.COMMUNICATIONS_LEAD, StaffGroup.COMMUNICATIONS_LEAD
    )


def _open_incidents_without_clock():
    return Incident.objects.filter(status__in=incident_domain.OPEN_STATUSES).exclude(
        update_clock__isnull=False
    )


def status_updates_sweep(*, now: datetime | None = None, limit: int = 200) -> dict[str, int]:
    """Beat: start clocks for open incidents, remind once per overdue period."""
    now = now or timezone.now()
    intervals = dict(
        CommunicationCadence.objects.filter(interval_minutes__isnull=False).values_list(
            "severity", "interval_minutes"
        )
    )
    counts = {"started": 0, "reminded": 0, "stopped": 0}
    with transaction.atomic():
        for incident in _open_incidents_without_clock().filter(severity__in=intervals)[:limit]:
            clock = StatusUpdateClock(
                incident=incident,
                due_at=domain.next_update_due(
                    sent_at=incident.detected_at, interval_minutes=intervals[incident.severity]
                ),
            )
            history_save(clock, user=None, reason="Update cadence started")
            counts["started"] += 1
    due_ids = due_row_ids(StatusUpdateClock.objects.all(), due_field="due_at", now=now, limit=limit)
    for clock_id in due_ids:
        with transaction.atomic():
            clock = claim_row(
                StatusUpdateClock.objects.filter(pk=clock_id, due_at__lte=now).select_related(
                    "incident"
                )
            )
            if clock is None:
                continue
            incident = clock.incident
            interval = intervals.get(incident.severity)
            if incident.status not in incident_domain.OPEN_STATUSES or not interval:
                clock.due_at = None
                history_save(clock, user=None, reason="Update cadence stopped")
                counts["stopped"] += 1
                continue
            due = clock.due_at
            late = format_duration(now - due)
            notify_people(
                people=communications_lead_recipients(incident),
                key=f"update-reminder:{incident.pk}:{due.isoformat()}",
                subject=f"Status update overdue: {incident.reference} ({incident.severity})",
                body=(
                    f"A status update for {incident.reference} — {incident.title} was due at "
                    f"{due:%Y-%m-%d %H:%M} UTC ({late} ago). {incident.severity} incidents "
                    f"get an update every {interval} minutes.\n\n" + communicate_url(incident.pk)
                ),
                incident=incident,
                now=now,
            )
            clock.last_reminded_for = due
            # The next overdue period: remind again one interval later if still silent.
            clock.due_at = domain.next_update_due(sent_at=max(due, now), interval_minutes=interval)
            history_save(clock, user=None, reason="Overdue update reminded")
            counts["reminded"] += 1
    return counts


def clock_restart(incident: Incident, *, user, now: datetime) -> None:
    """Reopened (recurrence): the cadence starts again from now."""
    interval = _interval(incident.severity)
    clock = _clock_for(incident)
    clock.due_at = domain.next_update_due(sent_at=now, interval_minutes=interval)
    history_save(clock, user=user, reason="Update cadence restarted")


def clock_follow_status(incident: Incident, *, from_status: str, to_status: str, user, now) -> None:
    """The update clock follows the incident's status: it stops when the incident is no
    longer open and starts again from now when a resolved incident reopens."""
    if to_status not in incident_domain.OPEN_STATUSES:
        clock_stop(incident, user=user)
    elif from_status == Status.RESOLVED:
        clock_restart(incident, user=user, now=now)


def clock_stop(incident: Incident, *, user) -> None:
    clock = StatusUpdateClock.objects.filter(incident=incident).first()
    if clock is not None and clock.due_at is not None:
        clock.due_at = None
        history_save(clock, user=user, reason="Incident no longer open")

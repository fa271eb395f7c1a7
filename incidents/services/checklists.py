"""Response checklists on an incident: opened from the templates of each phase, steps
ticked by people."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction

from ..choices import Phase, TimelineKind
from ..kernel.errors import DomainError
from ..kernel.history import history_save
from ..models import ChecklistItem, ChecklistTemplate, Incident
from .common import lock_incident, now_or_current, timeline_write


def checklists_open(incident: Incident, phases: Iterable[str], *, user, now) -> int:
    """Copy the templates of `phases` onto the incident (idempotent per template item)."""
    phases = list(phases)
    if not phases:
        return 0
    templates = ChecklistTemplate.objects.filter(phase__in=phases, active=True).prefetch_related(
        "items"
    )
    existing = set(
        ChecklistItem.objects.filter(incident=incident).values_list("template_item_id", flat=True)
    )
    phase_rank = {phase: index for index, phase in enumerate(Phase.values)}
    created = 0
    for template in sorted(templates, key=lambda t: (phase_rank[t.phase], t.order)):
        if not template.applies_to(category=incident.category, incident_type=incident.type):
            continue
        for item in template.items.all():
            if item.pk in existing:
                continue
            checklist_item = ChecklistItem(
                incident=incident,
                template_item=item,
                phase=template.phase,
                section=template.name,
                order=phase_rank[template.phase] * 10_000 + template.order * 100 + item.order,
                text=item.text,
            )
            history_save(
                checklist_item, user=user, reason=f"{template.get_phase_display()} checklist"
            )
            created += 1
    if created:
        labels = ", ".join(Phase(p).label.lower() for p in phases)
        timeline_write(
            incident,
            kind=TimelineKind.CHECKLIST,
            text=f"Checklist opened for {labels} ({created} steps).",
            user=user,
            at=now,
        )
    return created


@transaction.atomic
def checklist_item_set_done(
    *, item: ChecklistItem | int, done: bool, user, now: datetime | None = None
) -> ChecklistItem:
    now = now_or_current(now)
    pk = item.pk if isinstance(item, ChecklistItem) else item
    incident_id = ChecklistItem.objects.values_list("incident_id", flat=True).get(pk=pk)
    locked = lock_incident(incident_id)
    item = ChecklistItem.objects.select_for_update().get(pk=pk)
    if done == item.is_done:
        return item
    if done and user is None:
        raise DomainError("A checklist step is ticked by a person.")
    item.done_at = now if done else None
    item.done_by = user if done else None
    verb = "Done" if done else "Reopened"
    history_save(item, user=user, reason=f"{verb}: {item.text}")
    timeline_write(
        locked, kind=TimelineKind.CHECKLIST, text=f"{verb}: {item.text}", user=user, at=now
    )
    return item

"""Every write of the post-incident area. One transaction each; history user and reason on
every save; timeline entries on the incident for what the responders should see."""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from incidents.choices import ResponseRole, StaffGroup, TimelineKind
from incidents.kernel.due_rows import claim_row, due_row_ids
from incidents.kernel.errors import DomainError
from incidents.kernel.history import history_save
from incidents.models import Incident, SeverityPolicy, TimelineEntry
from incidents.outbox.services import notify_people
from incidents.selectors import active_role_holder, group_members

from . import domain
from .models import (
    OPEN_ACTION_STATUSES,
    ActionItem,
    PostIncidentTask,
    PostMortem,
    PostMortemStatus,
)

EDITABLE_FIELDS = (
    "owner",
    "due_at",
    "review_meeting_at",
    "occurred_at",
    "impact",
    "root_cause",
    "timeline",
    "went_well",
    "could_improve",
    "lessons_learned",
)


def _timeline(incident, *, text: str, user, at) -> None:
    entry = TimelineEntry(
        incident=incident, kind=TimelineKind.POST_INCIDENT, text=text, author=user, at=at
    )
    history_save(entry, user=user, reason="Timeline: post-incident")


def postmortem_required(incident: Incident) -> bool:
    return SeverityPolicy.objects.filter(
        severity=incident.severity, postmortem_required=True
    ).exists()


def timeline_events(incident: Incident) -> list[tuple[datetime, str]]:
    """The incident's timeline, its key timestamps and its history's reasons."""
    events = []
    for label, at in (
        ("Problem started", incident.started_at),
        ("Detected", incident.detected_at),
        ("Acknowledged", incident.acknowledged_at),
        ("Contained", incident.contained_at),
        ("Resolved", incident.resolved_at),
    ):
        if at:
            events.append((at, label))
    timeline_texts = set()
    for entry in incident.timeline.select_related("author").order_by("at", "id"):
        who = f" ({entry.author.get_username()})" if entry.author else ""
        events.append((entry.at, f"{entry.text}{who}"))
        timeline_texts.add(entry.text)
    for record in incident.history.exclude(history_change_reason__isnull=True).order_by(
        "history_date"
    ):
        reason = record.history_change_reason or ""
        if reason and reason not in timeline_texts and not reason.startswith("Updated "):
            events.append((record.history_date, f"[history] {reason}"))
            timeline_texts.add(reason)
    return events


def post_incident_open(*, incident: Incident, user, now: datetime) -> PostMortem | None:
    """On resolution (inside the transition's transaction): both checklists and, when the
    policy requires one, the post-mortem. Idempotent: a reopened and re-resolved incident
    keeps what it has."""
    owner = active_role_holder(incident, ResponseRole.INCIDENT_COMMANDER)
    created = 0
    existing = set(PostIncidentTask.objects.filter(incident=incident).values_list("stage", "order"))
    for stage, order, text, due_at in domain.checklist_plan(now):
        if (stage, order) in existing:
            continue
        task = PostIncidentTask(
            incident=incident,
            stage=stage,
            order=order,
            text=text,
            owner=owner,
            created_at=now,
            due_at=due_at,
            next_reminder_at=domain.first_reminder_at(created_at=now, due_at=due_at),
        )
        history_save(task, user=user, reason="Post-incident checklist")
        created += 1
    if created:
        _timeline(
            incident,
            text=f"Post-incident checklists opened ({created} steps: immediate within 24 h, "
            "review within 7 days).",
            user=user,
            at=now,
        )
    if not postmortem_required(incident):
        return None
    postmortem = PostMortem.objects.filter(incident=incident).first()
    if postmortem is not None:
        return postmortem
    postmortem = PostMortem(
        incident=incident,
        owner=owner,
        due_at=now + domain.POSTMORTEM_DUE_WITHIN,
        review_meeting_at=domain.review_meeting_at(now),
        occurred_at=incident.started_at or incident.detected_at,
        impact="\n".join(
            part for part in (incident.customer_impact, incident.business_impact) if part
        ),
        timeline=domain.timeline_draft(timeline_events(incident)),
        created_at=now,
    )
    history_save(
        postmortem, user=user, reason="Post-mortem opened (required by the severity policy)"
    )
    _timeline(
        incident,
        text=f"Post-mortem opened: due {postmortem.due_at:%Y-%m-%d}, review meeting "
        f"{postmortem.review_meeting_at:%Y-%m-%d %H:%M} UTC.",
        user=user,
        at=now,
    )
    return postmortem


def closing_check(*, incident: Incident) -> None:
    if not postmortem_required(incident):
        return
    postmortem = PostMortem.objects.filter(incident=incident).first()
    if postmortem is None or postmortem.status != PostMortemStatus.PUBLISHED:
        state = "none exists" if postmortem is None else f"it is {postmortem.get_status_display()}"
        raise DomainError(
            f"{incident.severity} incidents need a published post-mortem before closing "
            f"({state}). Publish the post-mortem first."
        )


def _lock(postmortem: PostMortem | int) -> PostMortem:
    pk = postmortem.pk if isinstance(postmortem, PostMortem) else postmortem
    return PostMortem.objects.select_for_update().select_related("incident").get(pk=pk)


@transaction.atomic
def postmortem_update(*, postmortem: PostMortem | int, user, reason: str = "", **fields):
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise DomainError(f"These fields cannot be edited: {', '.join(sorted(unknown))}.")
    locked = _lock(postmortem)
    if locked.status == PostMortemStatus.PUBLISHED:
        raise DomainError("A published post-mortem cannot be edited.")
    changed = [name for name, value in fields.items() if getattr(locked, name) != value]
    for name in changed:
        setattr(locked, name, fields[name])
    if changed:
        history_save(locked, user=user, reason=reason or "Updated " + ", ".join(changed))
    return locked


@transaction.atomic
def postmortem_submit(*, postmortem: PostMortem | int, user, now: datetime | None = None):
    now = now or timezone.now()
    locked = _lock(postmortem)
    if locked.status != PostMortemStatus.DRAFT:
        raise DomainError(f"Only a draft can be submitted (this one is {locked.status}).")
    missing = domain.missing_for_review({n: getattr(locked, n) for n in domain.REQUIRED_TO_SUBMIT})
    if missing:
        raise DomainError("Fill in before review: " + ", ".join(missing) + ".")
    locked.status = PostMortemStatus.IN_REVIEW
    locked.submitted_at = now
    locked.submitted_by = user
    history_save(locked, user=user, reason="Submitted for review")
    _timeline(locked.incident, text="Post-mortem submitted for review.", user=user, at=now)
    return locked


@transaction.atomic
def postmortem_return(*, postmortem: PostMortem | int, user, reason: str = ""):
    locked = _lock(postmortem)
    if locked.status != PostMortemStatus.IN_REVIEW:
        raise DomainError("Only a post-mortem in review can go back to draft.")
    locked.status = PostMortemStatus.DRAFT
    history_save(locked, user=user, reason=reason or "Returned to draft")
    return locked


@transaction.atomic
def postmortem_publish(
    *,
    postmortem: PostMortem | int,
    approver,
    now: datetime | None = None,
    override_reason: str = "",
):
    """Approve and publish. Four eyes: whoever submitted it cannot approve it; a superuser
    may, with `override_reason`, kept in history and on the incident's timeline."""
    now = now or timezone.now()
    locked = _lock(postmortem)
    if locked.status != PostMortemStatus.IN_REVIEW:
        raise DomainError(f"Only a post-mortem in review can be published ({locked.status}).")
    if approver is None or not approver.has_perm("postmortems.approve_postmortem"):
        raise DomainError("Publishing needs someone allowed to approve post-mortems.")
    refusal = domain.four_eyes_refusal(
        author_ids={locked.submitted_by_id} if locked.submitted_by_id else set(),
        approver_id=approver.pk,
        is_superuser=approver.is_superuser,
        override_reason=override_reason,
    )
    if refusal:
        raise DomainError(refusal)
    own = locked.submitted_by_id == approver.pk
    locked.status = PostMortemStatus.PUBLISHED
    locked.approved_by = approver
    locked.published_at = now
    name = approver.get_username()
    override = f"; four-eyes override: {override_reason.strip()}" if own else ""
    history_save(locked, user=approver, reason=f"Approved and published by {name}{override}")
    _timeline(
        locked.incident,
        text=f"Post-mortem published (approved by {name}{override}).",
        user=approver,
        at=now,
    )
    return locked


@transaction.atomic
def action_item_add(
    *,
    postmortem: PostMortem | int,
    description: str,
    owner,
    due_date: date,
    user,
    ticket_url: str = "",
    now: datetime | None = None,
) -> ActionItem:
    now = now or timezone.now()
    locked = _lock(postmortem)
    if not (description or "").strip():
        raise DomainError("Describe the action.", field="description")
    if owner is None:
        raise DomainError("An action item needs an owner.", field="owner")
    item = ActionItem(
        postmortem=locked,
        description=description.strip(),
        owner=owner,
        due_date=due_date,
        ticket_url=ticket_url,
        created_at=now,
        next_reminder_at=domain.action_item_first_reminder(due_date),
    )
    history_save(item, user=user, reason="Action item added")
    return item


@transaction.atomic
def action_item_update(
    *, item: ActionItem | int, user, now: datetime | None = None, **fields
) -> ActionItem:
    now = now or timezone.now()
    pk = item.pk if isinstance(item, ActionItem) else item
    locked = ActionItem.objects.select_for_update().get(pk=pk)
    allowed = {"description", "owner", "due_date", "status", "ticket_url"}
    unknown = set(fields) - allowed
    if unknown:
        raise DomainError(f"These fields cannot be edited: {', '.join(sorted(unknown))}.")
    changed = [name for name, value in fields.items() if getattr(locked, name) != value]
    if not changed:
        return locked
    for name in changed:
        setattr(locked, name, fields[name])
    if "due_date" in changed:  # a new date restarts the reminders
        locked.reminders_sent = 0
        locked.next_reminder_at = domain.action_item_first_reminder(locked.due_date)
    if locked.status in OPEN_ACTION_STATUSES:
        locked.completed_at = None
    else:
        locked.completed_at = locked.completed_at or now
        locked.next_reminder_at = None
    history_save(locked, user=user, reason="Updated " + ", ".join(changed))
    return locked


@transaction.atomic
def task_set_done(*, task: PostIncidentTask | int, done: bool, user, now=None):
    now = now or timezone.now()
    pk = task.pk if isinstance(task, PostIncidentTask) else task
    locked = PostIncidentTask.objects.select_for_update().get(pk=pk)
    if done == locked.is_done:
        return locked
    if done and user is None:
        raise DomainError("A checklist step is ticked by a person.")
    locked.done_at = now if done else None
    locked.done_by = user if done else None
    if done:
        locked.next_reminder_at = None
    elif locked.reminders_sent < 2:
        locked.next_reminder_at = (
            domain.first_reminder_at(created_at=locked.created_at, due_at=locked.due_at)
            if locked.reminders_sent == 0
            else locked.due_at
        )
    verb = "Done" if done else "Reopened"
    history_save(locked, user=user, reason=f"{verb}: {locked.text}")
    _timeline(locked.incident, text=f"{verb}: {locked.text}", user=user, at=now)
    return locked


# --- reminders ----------------------------------------------------------------------------
def _due_rows(model, now, limit):
    return due_row_ids(model.objects.all(), due_field="next_reminder_at", now=now, limit=limit)


def _claim(model, pk, now):
    return claim_row(model.objects.filter(pk=pk, next_reminder_at__lte=now))


def _remind_task(task: PostIncidentTask, now) -> bool:
    incident = task.incident
    if task.is_done:
        task.next_reminder_at = None
        history_save(task, user=None, reason="Reminder dropped: done")
        return False
    kind = domain.reminder_kind(reminders_sent=task.reminders_sent, due_at=task.due_at, now=now)
    people = [task.owner] if task.owner and task.owner.is_active else []
    people = people or group_members(StaffGroup.INCIDENT_COMMANDER)
    label = "overdue" if kind == domain.OVERDUE else "due"
    notify_people(
        people=people,
        key=f"post-incident-task:{task.pk}:{kind}",
        subject=f"Post-incident step {label}: {incident.reference} — {task.text}",
        body=f"'{task.text}' ({task.get_stage_display()}) for {incident.reference} — "
        f"{incident.title} is {label}: due {task.due_at:%Y-%m-%d %H:%M} UTC.",
        incident=incident,
        now=now,
    )
    task.reminders_sent = 2 if kind == domain.OVERDUE else 1
    task.next_reminder_at = domain.after_reminder(
        reminders_sent=task.reminders_sent, due_at=task.due_at
    )
    history_save(task, user=None, reason=f"Reminder sent: {label}")
    return True


def _remind_action(item: ActionItem, now) -> bool:
    incident = item.postmortem.incident
    if not item.is_open:
        item.next_reminder_at = None
        history_save(item, user=None, reason="Reminder dropped: closed")
        return False
    deadline = domain.action_item_deadline(item.due_date)
    kind = domain.reminder_kind(reminders_sent=item.reminders_sent, due_at=deadline, now=now)
    label = "overdue" if kind == domain.OVERDUE else "due today"
    notify_people(
        people=[item.owner] if item.owner.is_active else [],
        key=f"action-item:{item.pk}:{item.due_date.isoformat()}:{kind}",
        subject=f"Action item {label}: {item.description}",
        body=f"Action item from the {incident.reference} post-mortem is {label} "
        f"(due {item.due_date.isoformat()}): {item.description}"
        + (f"\nTicket: {item.ticket_url}" if item.ticket_url else ""),
        incident=incident,
        now=now,
    )
    item.reminders_sent = 2 if kind == domain.OVERDUE else 1
    item.next_reminder_at = domain.after_reminder(
        reminders_sent=item.reminders_sent, due_at=deadline
    )
    history_save(item, user=None, reason=f"Reminder sent: {label}")
    return True


def reminders_sweep(*, now: datetime | None = None, limit: int = 200) -> dict[str, int]:
    """Beat: checklist steps and action items that are due or overdue, each reminder once."""
    now = now or timezone.now()
    counts = {"tasks": 0, "action_items": 0}
    for pk in _due_rows(PostIncidentTask, now, limit):
        with transaction.atomic():
            task = _claim(PostIncidentTask, pk, now)
            if task is not None and _remind_task(task, now):
                counts["tasks"] += 1
    for pk in _due_rows(ActionItem, now, limit):
        with transaction.atomic():
            item = _claim(ActionItem, pk, now)
            if item is not None and _remind_action(item, now):
                counts["action_items"] += 1
    return counts


DEMO_SETTLED_REASON = "Demo data: settled without sending"


def reminders_settle(
    *, now: datetime, reason: str = DEMO_SETTLED_REASON, limit: int = 10_000
) -> dict[str, int]:
    """Demo load: checklist steps and action items whose reminder is already past are
    recorded as reminded without sending anything, their clocks moved on exactly as the
    sweep would (history says why), so the first beat run pages nobody about them."""
    counts = {"tasks": 0, "action_items": 0}
    for pk in _due_rows(PostIncidentTask, now, limit):
        with transaction.atomic():
            task = _claim(PostIncidentTask, pk, now)
            if task is None:
                continue
            if task.is_done:
                task.next_reminder_at = None
            else:
                kind = domain.reminder_kind(
                    reminders_sent=task.reminders_sent, due_at=task.due_at, now=now
                )
                task.reminders_sent = 2 if kind == domain.OVERDUE else 1
                task.next_reminder_at = domain.after_reminder(
                    reminders_sent=task.reminders_sent, due_at=task.due_at
                )
                counts["tasks"] += 1
            history_save(task, user=None, reason=reason)
    for pk in _due_rows(ActionItem, now, limit):
        with transaction.atomic():
            item = _claim(ActionItem, pk, now)
            if item is None:
                continue
            if not item.is_open:
                item.next_reminder_at = None
            else:
                deadline = domain.action_item_deadline(item.due_date)
                kind = domain.reminder_kind(
                    reminders_sent=item.reminders_sent, due_at=deadline, now=now
                )
                item.reminders_sent = 2 if kind == domain.OVERDUE else 1
                item.next_reminder_at = domain.after_reminder(
                    reminders_sent=item.reminders_sent, due_at=deadline
                )
                counts["action_items"] += 1
            history_save(item, user=None, reason=reason)
    return counts


def demo_reminders_settle(*, now: datetime) -> str:
    """The demo's clock settler (incidents.demo.registry.register_clock_settler)."""
    counts = reminders_settle(now=now)
    return (
        f"{counts['tasks']} post-incident step reminder(s) and {counts['action_items']} "
        "action item reminder(s) marked as sent"
    )

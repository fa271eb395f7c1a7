"""Pure post-incident rules: checklists, deadlines, reminder clocks, the Markdown export.
No ORM, no clock of its own: `now` is passed in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from incidents.kernel.durations import format_duration

# The spec's "Post-Incident Activities", in order.
IMMEDIATE_STEPS = (
    "Verify complete resolution",
    "Monitor for recurrence",
    "Update stakeholders",
    "Document incident details",
    "Schedule post-mortem",
)
REVIEW_STEPS = (
    "Conduct post-mortem meeting",
    "Analyze response effectiveness",
    "Identify improvement opportunities",
    "Create action items",
    "Update procedures",
)
IMMEDIATE_WITHIN = timedelta(hours=24)
REVIEW_WITHIN = timedelta(days=7)
POSTMORTEM_DUE_WITHIN = REVIEW_WITHIN
REVIEW_MEETING_HOUR_UTC = 14
REVIEW_MEETING_AFTER_DAYS = 3

# reminders_sent → what the next reminder is
DUE, OVERDUE = "due", "overdue"


def checklist_plan(resolved_at: datetime) -> list[tuple[str, int, str, datetime]]:
    """(stage, order, text, due_at) for both checklists."""
    plan = [
        ("immediate", i, t, resolved_at + IMMEDIATE_WITHIN)
        for i, t in enumerate(IMMEDIATE_STEPS, 1)
    ]
    plan += [("review", i, t, resolved_at + REVIEW_WITHIN) for i, t in enumerate(REVIEW_STEPS, 1)]
    return plan


def due_soon_at(*, created_at: datetime, due_at: datetime) -> datetime:
    """The 'due' reminder: a quarter of the allowed time before the deadline, at most a day."""
    lead = min((due_at - created_at) / 4, timedelta(days=1))
    return due_at - max(lead, timedelta(0))


def first_reminder_at(*, created_at: datetime, due_at: datetime) -> datetime:
    return due_soon_at(created_at=created_at, due_at=due_at)


def after_reminder(*, reminders_sent: int, due_at: datetime) -> datetime | None:
    """Clock after the `reminders_sent`-th reminder went out: overdue next, then nothing."""
    return due_at if reminders_sent == 1 else None


def reminder_kind(*, reminders_sent: int, due_at: datetime, now: datetime) -> str:
    """Which reminder to send now. A row first looked at after its deadline gets only the
    overdue one."""
    return OVERDUE if reminders_sent >= 1 or now >= due_at else DUE


def action_item_deadline(due_date: date) -> datetime:
    """An action item is due at the end of its due date (UTC)."""
    return datetime.combine(due_date + timedelta(days=1), time.min, tzinfo=UTC)


def action_item_first_reminder(due_date: date) -> datetime:
    """'Due' reminder at the start of the due date (UTC)."""
    return datetime.combine(due_date, time.min, tzinfo=UTC)


def review_meeting_at(resolved_at: datetime) -> datetime:
    day = (resolved_at.astimezone(UTC) + timedelta(days=REVIEW_MEETING_AFTER_DAYS)).date()
    while day.weekday() >= 5:  # not at the weekend
        day += timedelta(days=1)
    return datetime.combine(day, time(REVIEW_MEETING_HOUR_UTC), tzinfo=UTC)


def timeline_draft(events: list[tuple[datetime, str]]) -> str:
    """One Markdown bullet per event, oldest first, duplicates (same minute and text) once."""
    seen = set()
    lines = []
    for at, text in sorted(events, key=lambda e: e[0]):
        stamp = at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        key = (stamp, text.strip())
        if key in seen or not text.strip():
            continue
        seen.add(key)
        lines.append(f"- {stamp} — {text.strip()}")
    return "\n".join(lines)


@dataclass(frozen=True)
class ActionLine:
    description: str
    owner: str
    due_date: date
    done: bool
    ticket_url: str = ""


@dataclass(frozen=True)
class PostMortemDoc:
    reference: str
    title: str
    status: str
    occurred_at: datetime
    duration: timedelta | None
    impact: str
    root_cause: str
    timeline: str
    went_well: str
    could_improve: str
    lessons_learned: str
    actions: list[ActionLine] = field(default_factory=list)
    approved_by: str = ""
    published_at: datetime | None = None


def _bullets(text: str, empty: str) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if not lines:
        return f"- {empty}"
    return "\n".join(line if line.startswith(("- ", "* ")) else f"- {line}" for line in lines)


def _inline(text: str, empty: str = "—") -> str:
    return " ".join((text or "").split()) or empty


def to_markdown(doc: PostMortemDoc) -> str:
    """The spec's Post-Mortem Template, section by section."""
    stamp = doc.occurred_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    actions = (
        "\n".join(
            f"- [{'x' if a.done else ' '}] {a.description} — owner: {a.owner}, "
            f"due {a.due_date.isoformat()}" + (f" ({a.ticket_url})" if a.ticket_url else "")
            for a in doc.actions
        )
        or "- [ ] (no action items yet)"
    )
    header = f"<!-- {doc.reference}: {doc.title} — {doc.status}"
    if doc.approved_by:
        header += f", approved by {doc.approved_by}"
    header += " -->"
    return (
        f"{header}\n"
        "## Incident Post-Mortem\n\n"
        "### Incident Summary\n"
        f"- **Date/Time:** {stamp}\n"
        f"- **Duration:** {format_duration(doc.duration, unknown='ongoing')}\n"
        f"- **Impact:** {_inline(doc.impact)}\n"
        f"- **Root Cause:** {_inline(doc.root_cause)}\n\n"
        "### Timeline\n"
        f"{_bullets(doc.timeline, 'No timeline recorded')}\n\n"
        "### What Went Well\n"
        f"{_bullets(doc.went_well, '—')}\n\n"
        "### What Could Be Improved\n"
        f"{_bullets(doc.could_improve, '—')}\n\n"
        "### Action Items\n"
        f"{actions}\n\n"
        "### Lessons Learned\n"
        f"{_bullets(doc.lessons_learned, '—')}\n"
    )


REQUIRED_TO_SUBMIT = ("impact", "root_cause", "timeline", "lessons_learned")


def missing_for_review(values: dict[str, str]) -> list[str]:
    return [name for name in REQUIRED_TO_SUBMIT if not (values.get(name) or "").strip()]


def four_eyes_refusal(
    *, author_ids: set[int], approver_id: int, is_superuser: bool, override_reason: str
) -> str | None:
    """Four eyes: the approver is not an author (the person who submitted it). A superuser
    may approve their own post-mortem only with a reason. None when the approval may go on."""
    if approver_id not in author_ids:
        return None
    if not is_superuser:
        return (
            "You submitted this post-mortem: someone else must approve and publish it "
            "(four-eyes review)."
        )
    if not (override_reason or "").strip():
        return (
            "You submitted this post-mortem: approving it yourself needs a reason "
            "(four-eyes override)."
        )
    return None

"""Reads shared by the admin, the API and the exports."""

from __future__ import annotations

from incidents.kernel.durations import format_duration

from . import domain
from .models import ActionItemStatus, PostMortem


def postmortem_doc(postmortem: PostMortem) -> domain.PostMortemDoc:
    incident = postmortem.incident
    actions = [
        domain.ActionLine(
            description=item.description,
            owner=item.owner.get_username(),
            due_date=item.due_date,
            done=item.status == ActionItemStatus.DONE,
            ticket_url=item.ticket_url,
        )
        for item in postmortem.actions.select_related("owner").order_by("due_date", "id")
    ]
    return domain.PostMortemDoc(
        reference=incident.reference,
        title=incident.title,
        status=postmortem.get_status_display(),
        occurred_at=postmortem.occurred_at,
        duration=postmortem.duration,
        impact=postmortem.impact,
        root_cause=postmortem.root_cause,
        timeline=postmortem.timeline,
        went_well=postmortem.went_well,
        could_improve=postmortem.could_improve,
        lessons_learned=postmortem.lessons_learned,
        actions=actions,
        approved_by=postmortem.approved_by.get_username() if postmortem.approved_by else "",
        published_at=postmortem.published_at,
    )


def postmortem_markdown(postmortem: PostMortem) -> str:
    return domain.to_markdown(postmortem_doc(postmortem))


def _when(value):
    return value.isoformat().replace("+00:00", "Z") if value else None


def postmortem_json(postmortem: PostMortem) -> dict:
    doc = postmortem_doc(postmortem)
    return {
        "incident": doc.reference,
        "status": postmortem.status,
        "owner": postmortem.owner.get_username() if postmortem.owner else None,
        "due_at": _when(postmortem.due_at),
        "review_meeting_at": _when(postmortem.review_meeting_at),
        "summary": {
            "occurred_at": _when(doc.occurred_at),
            "duration_seconds": int(doc.duration.total_seconds()) if doc.duration else None,
            "duration": format_duration(doc.duration, unknown="ongoing"),
            "impact": doc.impact,
            "root_cause": doc.root_cause,
        },
        "timeline": doc.timeline,
        "went_well": doc.went_well,
        "could_improve": doc.could_improve,
        "action_items": [
            {
                "description": item.description,
                "owner": item.owner.get_username(),
                "due_date": item.due_date.isoformat(),
                "status": item.status,
                "ticket_url": item.ticket_url,
            }
            for item in postmortem.actions.select_related("owner").order_by("due_date", "id")
        ],
        "lessons_learned": doc.lessons_learned,
        "approved_by": doc.approved_by or None,
        "published_at": _when(doc.published_at),
    }

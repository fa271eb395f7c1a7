"""For the demo data (incidents/demo): scenarios that close a P0/P1 incident publish its
post-mortem first, as the rule requires."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from incidents.choices import StaffGroup

from . import services
from .models import PostMortem, PostMortemStatus


def publish_for_demo(incident, *, user, now, approver=None) -> None:
    postmortem = PostMortem.objects.filter(incident=incident).first()
    if postmortem is None or postmortem.status == PostMortemStatus.PUBLISHED:
        return
    services.postmortem_update(
        postmortem=postmortem,
        user=user,
        root_cause=postmortem.root_cause or incident.resolution_summary or "See the timeline.",
        impact=postmortem.impact or incident.summary or incident.title,
        lessons_learned=postmortem.lessons_learned or "Reviewed in the post-mortem meeting.",
        timeline=postmortem.timeline or "- See the incident timeline.",
    )
    services.postmortem_submit(postmortem=postmortem, user=user, now=now)
    # Four eyes: the approver is someone other than the person who submitted it.
    if (
        approver is None
        or approver == user
        or not approver.has_perm("postmortems.approve_postmortem")
    ):
        approver = (
            get_user_model()
            .objects.filter(groups__name=StaffGroup.INCIDENT_COMMANDER, is_active=True)
            .exclude(pk=getattr(user, "pk", None))
            .order_by("username")
            .first()
        )
    services.postmortem_publish(postmortem=postmortem, approver=approver, now=now)

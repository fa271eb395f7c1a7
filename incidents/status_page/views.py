"""/status/ and /status/feed.atom: public, no login, read-only."""

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from .selectors import status_page


@require_safe
@cache_control(public=True, max_age=30)
def status_view(request):
    return render(request, "status_page/status.html", {"page": status_page(timezone.now())})


def _card_text(incident) -> str:
    """The card as plain text: status, services, public summary, then its published
    updates newest first."""
    lines = [f"Status: {incident.status}"]
    if incident.services:
        lines.append("Affected: " + ", ".join(incident.services))
    if incident.summary:
        lines += ["", incident.summary]
    for update in incident.updates:
        lines += ["", f"{update.at:%Y-%m-%d %H:%M} UTC — {update.status}", update.body]
    if not incident.updates:
        lines += ["", "We are aware of the problem and are working on it."]
    return "\n".join(lines)


@require_safe
@cache_control(public=True, max_age=60)
def status_feed(request):
    page = status_page(timezone.now())
    feed = Atom1Feed(
        title="HarborList status",
        link=request.build_absolute_uri("/status/"),
        description="Incidents and their public updates",
        feed_url=request.build_absolute_uri(request.path),
        language="en",
    )
    # One entry per card (every card on the page, with or without a published update),
    # updated whenever the card changes; its content is what the card says.
    for incident in page["current"] + page["recent"]:
        feed.add_item(
            title=f"[{incident.status}] {incident.heading}",
            link=request.build_absolute_uri(f"/status/#{incident.id}"),
            description=_card_text(incident),
            unique_id=f"tag:harborlist-status,{incident.id}",
            pubdate=incident.began_at,
            updateddate=incident.last_change,
        )
    response = HttpResponse(content_type="application/atom+xml; charset=utf-8")
    feed.write(response, "utf-8")
    return response

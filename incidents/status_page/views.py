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
    for incident in page["current"] + page["recent"]:
        for number, update in enumerate(reversed(incident.updates), 1):
            feed.add_item(
                title=f"[{incident.status}] {update.subject}",
                link=request.build_absolute_uri(f"/status/#{incident.id}"),
                description=update.body,
                unique_id=f"tag:harborlist-status,{incident.id}:{number}",
                pubdate=update.at,
                updateddate=update.at,
            )
    response = HttpResponse(content_type="application/atom+xml; charset=utf-8")
    feed.write(response, "utf-8")
    return response

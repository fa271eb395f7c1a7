"""The page an acknowledge link opens.

GET shows the incident's reference and title and one button; POST (CSRF) acknowledges
through `incidents.services.incident_acknowledge` and goes to the incident's page. Only
the person the link was sent to may use it: logged out, it goes through the admin login
and comes back; anyone else, or a tampered or expired link, gets a page that says so."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from ..choices import TimelineKind
from ..domain import can_acknowledge
from ..kernel.errors import DomainError
from ..models import Incident, TimelineEntry
from ..services import incident_acknowledge
from .tokens import AckTokenExpired, AckTokenInvalid, ack_token_read

TEMPLATE = "paging/acknowledge.html"


def _page(request, *, status: int = 200, **context) -> TemplateResponse:
    return TemplateResponse(
        request,
        TEMPLATE,
        {**admin.site.each_context(request), "title": "Acknowledge the page", **context},
        status=status,
    )


def _refused(request, status: int, heading: str, text: str) -> TemplateResponse:
    return _page(request, status=status, refused=True, heading=heading, text=text)


@require_http_methods(["GET", "POST"])
def acknowledge(request, token: str):
    try:
        ack = ack_token_read(token)
    except AckTokenExpired:
        return _refused(
            request,
            400,
            "This link has expired",
            "Acknowledge links are valid for 24 hours. Open the incident from the admin "
            "to acknowledge it.",
        )
    except AckTokenInvalid:
        return _refused(
            request,
            400,
            "This link is not valid",
            "The acknowledge link is incomplete or was changed. Open the incident from "
            "the admin to acknowledge it.",
        )
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), login_url=reverse("admin:login"))
    if request.user.pk != ack.user_id or not request.user.is_active:
        return _refused(
            request,
            403,
            "This link was sent to someone else",
            f"You are logged in as {request.user.get_username()}, but this acknowledge "
            "link belongs to the person who was paged. Log out and log in as them, or "
            "open the incident from the admin.",
        )
    incident = Incident.objects.filter(pk=ack.incident_id).first()
    if incident is None:
        return _refused(request, 404, "The incident no longer exists", "It may have been deleted.")
    incident_link = reverse("admin:incidents_incident_change", args=[incident.pk])
    context = {"incident": incident, "incident_link": incident_link}
    if incident.acknowledged_at is not None:
        return _page(request, acknowledged_by=_acknowledged_by(incident), **context)
    try:
        can_acknowledge(incident.status, incident.acknowledged_at)
        if request.method == "POST":
            incident_acknowledge(incident=incident, user=request.user)
            messages.success(request, f"{incident.reference} acknowledged.")
            return redirect(incident_link)
    except DomainError as error:  # e.g. resolved meanwhile, or acknowledged a moment ago
        incident.refresh_from_db()
        return _page(request, status=409, problem=str(error), **context)
    return _page(request, **context)


def _acknowledged_by(incident: Incident) -> str:
    entry = (
        TimelineEntry.objects.filter(incident=incident, kind=TimelineKind.ACKNOWLEDGED)
        .select_related("author")
        .order_by("-at", "-id")
        .first()
    )
    return entry.author.get_username() if entry and entry.author else ""

"""The demo's customer-facing side: the services' display names and the scenario steps
of the communications lead — writing an incident's public wording and sending a message.

Both go through the normal services (incident_update, communication_send), so an external
demo message is refused exactly as a real one would be without its public wording. The
demo publishes on the status page only: no e-mail or chat delivery is queued, so a first
start sends nothing."""

from __future__ import annotations

from datetime import datetime

from .. import services
from ..communications.services import communication_send
from ..models import Audience, CommChannel, CommunicationTemplate, Incident

# How customers know the demo services (Service.display_name) on /status/.
SERVICE_DISPLAY_NAMES = {
    "web-app": "Website",
    "api": "HarborList API",
    "payments": "Payments and checkout",
    "search": "Listing search",
    "auth": "Sign-in",
    "listings-db": "Listings",
    "mobile-app": "iOS and Android apps",
    "notifications": "E-mail and app notifications",
    "dealer-feeds": "Dealer inventory imports",
    "media-cdn": "Listing photos and videos",
}

# Scenario steps (incidents.demo.scenarios):
#   ("public", {"public_title": ..., ...})           the public wording, written or revised
#   ("publish", template kind, {sender fields})       an external message on the status page
PUBLIC_ACTIONS = ("public", "publish")


def play_public_step(incident: Incident, action: str, args: list, *, user, when: datetime) -> None:
    if action == "public":
        services.incident_update(
            incident=incident, user=user, reason="Public wording updated", now=when, **args[0]
        )
    elif action == "publish":
        kind, fields = args
        communication_send(
            incident=incident,
            template=CommunicationTemplate.objects.get(kind=kind),
            audience=Audience.EXTERNAL,
            channels=[CommChannel.STATUS_PAGE],
            fields=fields,
            user=user,
            now=when,
        )
    else:  # pragma: no cover - a typo in the scenarios
        raise ValueError(f"Unknown demo action {action!r}")

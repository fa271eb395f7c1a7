"""Absolute links for messages that leave the site (e-mail, chat, webhook), built from
settings.HARBORMASTER_BASE_URL (`manage.py runstack` sets it to its own address)."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from .tokens import ack_token_make

# The line of a page that carries the person's acknowledge link (the console e-mail
# backend, incidents.outbox.console_mail, finds it by this prefix).
ACK_PREFIX = "Acknowledge: "


def absolute_url(path: str) -> str:
    return settings.HARBORMASTER_BASE_URL.rstrip("/") + path


def incident_url(incident_id: int) -> str:
    """The incident's page in the admin."""
    return absolute_url(reverse("admin:incidents_incident_change", args=[incident_id]))


def communicate_url(incident_id: int) -> str:
    """The incident's "Communicate" page in the admin (status updates)."""
    return absolute_url(reverse("admin:incidents_incident_communicate", args=[incident_id]))


def acknowledge_url(*, incident_id: int, user_id: int) -> str:
    """The one-click acknowledge link for the person `user_id` paged for the incident."""
    token = ack_token_make(incident_id=incident_id, user_id=user_id)
    return absolute_url(reverse("paging:acknowledge", args=[token]))

"""Builders for the post-mortems app, shared by the whole suite (a pytest plugin listed in
tests/conftest.py). For tests elsewhere that close a P0/P1 incident: publish its
post-mortem first."""

from django.contrib.auth.models import Permission
from django.utils import timezone

from postmortems.demo import publish_for_demo
from tests.incidents.builders import UserFactory


def publish_postmortem(incident, *, user=None, now=None) -> None:
    approver = UserFactory(username="pm.approver")
    approver.user_permissions.add(Permission.objects.get(codename="approve_postmortem"))
    approver = type(approver).objects.get(pk=approver.pk)  # fresh permission cache
    publish_for_demo(incident, user=user, now=now or timezone.now(), approver=approver)

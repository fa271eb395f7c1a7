"""API keys: `create_api_key`, the admin, what is stored, last use, revocation."""

import hashlib
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from incidents.domain import DomainError
from incidents.models import ApiKey
from incidents.services.api_keys import api_key_authenticate, api_key_update
from tests.incidents.builders import UserFactory

from .conftest import LIST_URL

pytestmark = pytest.mark.django_db

KEY_FORMAT = re.compile(r"^hm_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$")
KEY_IN_MESSAGE = re.compile(r"<code>(hm_[^<]+)</code>")


def run_command(*args) -> list[str]:
    out = StringIO()
    call_command("create_api_key", *args, stdout=out)
    return out.getvalue().rstrip("\n").split("\n")


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_command_prints_the_key_alone_on_the_last_line_and_stores_only_its_hash():
    lines = run_command("cloudwatch-prod", "--scopes", "ingest,incidents:read")
    raw = lines[-1]
    assert KEY_FORMAT.match(raw), lines
    assert all(raw not in line for line in lines[:-1])
    api_key = ApiKey.objects.get()
    assert api_key.name == "cloudwatch-prod"
    assert api_key.scopes == ["incidents:read", "ingest"]
    assert api_key.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw.split("_")[1] == api_key.prefix
    stored = [str(getattr(api_key, f.attname)) for f in ApiKey._meta.concrete_fields]
    assert not any(raw in value or raw.split("_", 2)[2] in value for value in stored)
    assert api_key.history.count() == 1


def test_the_printed_key_works_and_records_its_last_use():
    raw = run_command("chatops", "--scopes", "incidents:read")[-1]
    assert ApiKey.objects.get().last_used_at is None
    assert bearer(raw).get(LIST_URL).status_code == 200
    api_key = ApiKey.objects.get()
    assert api_key.last_used_at is not None
    # Telemetry only: no history row for being used.
    assert api_key.history.count() == 1


def test_revoked_in_the_admin_then_401(client):
    raw = run_command("chatops", "--scopes", "incidents:read")[-1]
    assert bearer(raw).get(LIST_URL).status_code == 200
    admin = UserFactory(username="root", is_superuser=True)
    client.force_login(admin)
    api_key = ApiKey.objects.get()
    response = client.post(
        reverse("admin:incidents_apikey_changelist"),
        {"action": "revoke_selected", "_selected_action": [api_key.pk]},
    )
    assert response.status_code == 302
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    assert api_key.history.latest().history_user == admin
    assert api_key.history.latest().history_change_reason == "API key revoked"
    response = bearer(raw).get(LIST_URL)
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid API key (unknown or revoked).", "errors": {}}


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["x", "--scopes", "incidents:admin"], "Unknown scope 'incidents:admin'. Valid scopes:"),
        (["x", "--scopes", "read,write"], "Unknown scopes 'read', 'write'"),
        (["x", "--scopes", ","], "Give at least one scope"),
        (["  ", "--scopes", "ingest"], "Give the key a name"),
        (["x", "--scopes", "ingest", "--created-by", "ghost"], "No user 'ghost'"),
    ],
)
def test_command_errors_are_clear(args, says):
    with pytest.raises(CommandError, match=re.escape(says)):
        run_command(*args)
    assert not ApiKey.objects.exists()


def test_command_requires_scopes():
    with pytest.raises(CommandError, match="--scopes"):
        run_command("x")


def test_command_records_the_creator():
    creator = UserFactory(username="ops")
    run_command("x", "--scopes", "ingest", "--created-by", "ops")
    assert ApiKey.objects.get().created_by == creator


def test_admin_creates_a_key_and_shows_it_once(client):
    admin = UserFactory(username="root", is_superuser=True)
    client.force_login(admin)
    response = client.post(
        reverse("admin:incidents_apikey_add"),
        {"name": "alertmanager", "scopes": ["ingest", "incidents:read"]},
        follow=True,
    )
    assert response.status_code == 200
    api_key = ApiKey.objects.get()
    messages = [str(m) for m in response.context["messages"]]
    (raw,) = [m.group(1) for m in map(KEY_IN_MESSAGE.search, messages) if m]
    assert api_key.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert api_key.created_by == admin and api_key.scopes == ["incidents:read", "ingest"]
    assert bearer(raw).get(LIST_URL).status_code == 200
    # Shown once: the next page has neither the key (it is not stored) nor its hash.
    page = client.get(reverse("admin:incidents_apikey_change", args=[api_key.pk]))
    assert raw not in page.content.decode() and api_key.key_hash not in page.content.decode()


def test_admin_changes_scopes_with_history(client):
    admin = UserFactory(username="root", is_superuser=True)
    client.force_login(admin)
    raw = run_command("x", "--scopes", "incidents:read")[-1]
    api_key = ApiKey.objects.get()
    response = client.post(
        reverse("admin:incidents_apikey_change", args=[api_key.pk]),
        {"name": "x", "scopes": ["incidents:read", "incidents:write"]},
    )
    assert response.status_code == 302
    api_key.refresh_from_db()
    assert api_key.scopes == ["incidents:read", "incidents:write"]
    assert api_key.history.latest().history_user == admin
    created = bearer(raw).post(
        LIST_URL,
        {"title": "t", "severity": "P3", "type": "ui_issue", "detection_source": "apm"},
        format="json",
    )
    assert created.status_code == 201


def test_nobody_deletes_keys_and_auditors_only_view_them(client):
    run_command("x", "--scopes", "ingest")
    api_key = ApiKey.objects.get()
    auditor = UserFactory(username="aud", groups=["Auditor"])
    client.force_login(auditor)
    assert client.get(reverse("admin:incidents_apikey_changelist")).status_code == 200
    assert client.get(reverse("admin:incidents_apikey_add")).status_code == 403
    root = UserFactory(username="root", is_superuser=True)
    client.force_login(root)
    delete = reverse("admin:incidents_apikey_delete", args=[api_key.pk])
    assert client.get(delete).status_code == 403


def test_revoked_keys_cannot_be_changed():
    raw = run_command("x", "--scopes", "ingest")[-1]
    api_key = ApiKey.objects.get()
    api_key.revoked_at = timezone.now()
    api_key.save()
    with pytest.raises(DomainError):
        api_key_update(api_key=api_key, scopes=["incidents:read"])
    assert api_key_authenticate(raw) is None


def test_service_account_names_the_integration():
    run_command("Cloud Watch (prod)", "--scopes", "ingest")
    api_key = ApiKey.objects.get()
    assert api_key.user.username == f"api.cloud-watch-prod.{api_key.prefix}"
    assert not api_key.user.is_staff

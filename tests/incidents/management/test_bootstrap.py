"""`manage.py bootstrap`: superuser + demo data, idempotent."""

import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

from incidents.management.commands import bootstrap as bootstrap_command
from incidents.models import Incident
from tests.incidents.builders import IncidentFactory

PRINTED_PASSWORD = re.compile(r'Created superuser "(?P<user>[^"]+)" with password: (?P<pw>\S+)')


def bootstrap(*args: str) -> str:
    out = StringIO()
    call_command("bootstrap", *args, stdout=out, stderr=out)
    return out.getvalue()


@pytest.fixture
def fake_demo(monkeypatch):
    """Stands in for the demo loader that bootstrap calls and records how it was called."""
    calls = []

    def load_demo_dataset(*, password, stdout=None):
        calls.append({"password": password, "stdout": stdout})
        IncidentFactory()
        return ["demo.commander", "demo.auditor"]

    monkeypatch.setattr(bootstrap_command, "load_demo_dataset", load_demo_dataset)
    return calls


# --- bootstrap: the superuser -----------------------------------------------------------
@pytest.mark.django_db
def test_bootstrap_creates_admin_and_prints_its_password_once(fake_demo):
    first = bootstrap("--no-demo")
    match = PRINTED_PASSWORD.search(first)
    assert match, first
    assert match["user"] == "admin"
    password = match["pw"]
    assert len(password) >= 12

    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.is_active
    assert admin.check_password(password)

    second = bootstrap("--no-demo")
    assert password not in second
    assert 'Superuser "admin" already exists' in second
    assert "manage.py changepassword admin" in second
    assert get_user_model().objects.count() == 1
    admin.refresh_from_db()
    assert admin.check_password(password), "a second run must not change the password"


@pytest.mark.django_db
def test_bootstrap_writes_a_history_row_with_a_reason():
    bootstrap("--no-demo")
    admin = get_user_model().objects.get(username="admin")
    record = admin.history.get()
    assert record.history_type == "+"
    assert record.history_change_reason == "Created by manage.py bootstrap"


@pytest.mark.django_db
def test_bootstrap_uses_the_django_superuser_environment(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "harbor.ops")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-env-password-9431")
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "ops@harborlist.example")

    out = bootstrap("--no-demo")
    assert "a-long-env-password-9431" not in out, "a password from the environment is not echoed"
    assert 'Created superuser "harbor.ops"' in out

    user = get_user_model().objects.get()
    assert user.username == "harbor.ops"
    assert user.email == "ops@harborlist.example"
    assert user.is_superuser and user.is_staff
    assert user.check_password("a-long-env-password-9431")

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "another-password-entirely")
    again = bootstrap("--no-demo")
    assert "already exists" in again
    user.refresh_from_db()
    assert user.check_password("a-long-env-password-9431"), "an existing user is left alone"
    assert get_user_model().objects.count() == 1


@pytest.mark.django_db
def test_bootstrap_generates_a_password_for_an_env_username_without_one(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "chief")
    match = PRINTED_PASSWORD.search(bootstrap("--no-demo"))
    assert match and match["user"] == "chief"
    assert get_user_model().objects.get(username="chief").check_password(match["pw"])


# --- bootstrap: demo data ---------------------------------------------------------------
@pytest.mark.django_db
def test_bootstrap_loads_demo_data_once_into_an_empty_database(fake_demo):
    out = bootstrap()
    password = PRINTED_PASSWORD.search(out)["pw"]
    assert len(fake_demo) == 1
    assert fake_demo[0]["password"] == password, "demo users share the admin's password"
    assert fake_demo[0]["stdout"] is not None
    assert "Demo users: demo.commander, demo.auditor" in out

    again = bootstrap()
    assert len(fake_demo) == 1, "demo data is loaded only while there are no incidents"
    assert "already has incidents" in again
    assert Incident.objects.count() == 1


@pytest.mark.django_db
def test_bootstrap_never_loads_demo_data_into_a_database_with_incidents(fake_demo):
    IncidentFactory()
    bootstrap()
    assert fake_demo == []


@pytest.mark.django_db
def test_bootstrap_never_loads_demo_data_when_not_allowed(fake_demo, settings):
    settings.HARBORMASTER_ALLOW_DEMO_DATA = False
    out = bootstrap()
    assert fake_demo == []
    assert "not loaded" in out
    assert Incident.objects.count() == 0


@pytest.mark.django_db
def test_bootstrap_never_loads_demo_data_under_production_settings(fake_demo, settings):
    settings.HARBORMASTER_ALLOW_DEMO_DATA = True  # even if someone turned it on
    # Last: each override_settings layer shadows SETTINGS_MODULE of the ones below it.
    settings.SETTINGS_MODULE = "config.settings.production"
    bootstrap()
    assert fake_demo == []


@pytest.mark.django_db
def test_bootstrap_prints_a_fresh_demo_password_when_the_admin_already_existed(fake_demo):
    get_user_model().objects.create_superuser("admin", password="known-only-to-its-owner")
    out = bootstrap()
    assert len(fake_demo) == 1
    demo_password = fake_demo[0]["password"]
    assert demo_password and demo_password != "known-only-to-its-owner"
    assert f"Demo users' password (shown only this once): {demo_password}" in out


@pytest.mark.django_db
def test_bootstrap_with_the_real_demo_loader(django_user_model):
    out = bootstrap()
    password = PRINTED_PASSWORD.search(out)["pw"]
    assert Incident.objects.count() >= 10
    assert set(Incident.objects.values_list("status", flat=True)) >= {
        "detected",
        "investigating",
        "resolved",
        "closed",
    }
    usernames = re.search(r"^Demo users: (.+)$", out, re.MULTILINE)[1].split(", ")
    assert len(usernames) >= 6
    for username in usernames:
        assert authenticate(username=username, password=password) is not None, username

    count = Incident.objects.count()
    bootstrap()
    assert Incident.objects.count() == count

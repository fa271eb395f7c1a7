"""Fixtures of the management command tests."""

import pytest

SUPERUSER_ENV = ("DJANGO_SUPERUSER_USERNAME", "DJANGO_SUPERUSER_PASSWORD", "DJANGO_SUPERUSER_EMAIL")


@pytest.fixture(autouse=True)
def no_superuser_env(monkeypatch):
    for name in SUPERUSER_ENV:
        monkeypatch.delenv(name, raising=False)

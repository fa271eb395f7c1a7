import os

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def pytest_collection_modifyitems(config, items):
    """Tests that need PostgreSQL or Redis run when those are configured; under CI=true
    they must never skip, so a missing service fails them instead."""
    has_postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql"))
    has_redis = os.environ.get("CELERY_BROKER_URL", "").startswith(("redis", "rediss"))
    for item in items:
        if item.get_closest_marker("postgres") and not has_postgres:
            if IN_CI:
                raise pytest.UsageError("CI=true but DATABASE_URL is not a PostgreSQL URL")
            item.add_marker(pytest.mark.skip(reason="set DATABASE_URL to a PostgreSQL URL"))
        if item.get_closest_marker("redis") and not has_redis:
            if IN_CI:
                raise pytest.UsageError("CI=true but CELERY_BROKER_URL is not a Redis URL")
            item.add_marker(pytest.mark.skip(reason="set CELERY_BROKER_URL to a Redis URL"))


@pytest.fixture
def now():
    """Read the clock once per test and pass it in (see ARCHITECTURE.md)."""
    from django.utils import timezone

    return timezone.now().replace(microsecond=0)

import os

import pytest

# Shared builders, one module per app (factories and fixtures every app's tests may use),
# and the query budgets (tests/query_budget.py).
pytest_plugins = [
    "tests.incidents.builders",
    "tests.postmortems.builders",
    "tests.reporting.builders",
    "tests.query_budget",
]

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


def restore_migrated_data() -> None:
    """Reload what the migrations put in the test database (severity policies, the
    escalation matrix, groups, routing rules, …) after a transactional test flushed it."""
    from django.db import connections

    for connection in connections.all():
        contents = getattr(connection, "_test_serialized_contents", None)
        if contents:
            connection.creation.deserialize_db_from_string(contents)


@pytest.fixture
def migrated_data_kept(django_db_blocker):
    """For transactional tests: request it BEFORE `django_db_serialized_rollback` and
    `transactional_db`, so it is torn down after their flush and puts the migrations' data
    back for the tests that run later."""
    yield
    with django_db_blocker.unblock():
        restore_migrated_data()


@pytest.fixture(scope="session", autouse=True)
def test_resets_past_append_only_triggers():
    """Transactional tests end with a TRUNCATE of every table and reload the migrations'
    rows (history included) by saving them again; on PostgreSQL the audit tables refuse
    both. These test resets run in replica mode (the test role is a superuser, as CI's
    `postgres` is), which skips those triggers as a restore would; production code never
    does this."""
    from django.db import transaction
    from django.db.backends.postgresql.creation import DatabaseCreation
    from django.db.backends.postgresql.operations import DatabaseOperations

    replica = "SET LOCAL session_replication_role = replica"
    flush, deserialize = (
        DatabaseOperations.execute_sql_flush,
        DatabaseCreation.deserialize_db_from_string,
    )

    def execute_sql_flush(self, sql_list):
        return flush(self, [replica, *sql_list])

    def deserialize_db_from_string(self, data):
        with transaction.atomic(using=self.connection.alias):
            with self.connection.cursor() as cursor:
                cursor.execute(replica)
            return deserialize(self, data)

    DatabaseOperations.execute_sql_flush = execute_sql_flush
    DatabaseCreation.deserialize_db_from_string = deserialize_db_from_string
    yield
    DatabaseOperations.execute_sql_flush = flush
    DatabaseCreation.deserialize_db_from_string = deserialize

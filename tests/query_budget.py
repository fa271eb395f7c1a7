"""NetBox-style query budgets: the number of SQL queries each list page and hot endpoint
needs is recorded in `tests/<app>/query_counts.json`; a page that needs more (an N+1 crept
in) or fewer (the baseline is stale) fails with the difference.

After a deliberate change, record the new numbers and commit the diff:
`UPDATE_QUERY_COUNTS=1 make test PYTEST_ARGS="-k query_counts"`."""

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents.demo import load_demo_dataset

UPDATE = os.environ.get("UPDATE_QUERY_COUNTS") == "1"


class QueryBudget:
    def __init__(self, path: Path):
        self.path = path
        self.counts: dict[str, int] = {}
        self.failures: list[str] = []

    def measure(self, name: str, get, *, status: int = 200):
        """Run `get()` (a test-client request), check its status, record its queries.
        Process-wide caches are emptied first, so a count does not depend on which page
        was measured before it."""
        ContentType.objects.clear_cache()
        with CaptureQueriesContext(connection) as queries:
            response = get()
        if response.status_code != status:
            self.failures.append(f"{name}: status {response.status_code}, expected {status}")
        self.counts[name] = len(queries)
        return response

    def check(self) -> None:
        assert not self.failures, "\n".join(self.failures)
        baseline = json.loads(self.path.read_text()) if self.path.exists() else {}
        if UPDATE:
            self.path.write_text(json.dumps(self.counts, indent=1, sort_keys=True) + "\n")
            return
        differences = [
            f"{name}: {baseline.get(name, 'no baseline')} -> {count} queries"
            for name, count in sorted(self.counts.items())
            if baseline.get(name) != count
        ]
        differences += [
            f"{name}: in the baseline, not measured"
            for name in baseline.keys() - self.counts.keys()
        ]
        assert not differences, (
            f"Query counts differ from {self.path.name} (UPDATE_QUERY_COUNTS=1 to record):\n"
            + "\n".join(differences)
        )


@pytest.fixture
def query_budget(request):
    """A QueryBudget bound to the query_counts.json of the test's app (tests/<app>/)."""
    test_file = Path(str(request.node.fspath))
    tests_root = Path(__file__).parent
    app = test_file.relative_to(tests_root).parts[0]
    return QueryBudget(tests_root / app / "query_counts.json")


DEMO_NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def demo_admin(db, client):
    """The demo data set as `make run` loads it, on a fixed clock, and a superuser's
    client. The clock stays frozen for the test, so the pages show the same rows."""
    with time_machine.travel(DEMO_NOW, tick=False):
        load_demo_dataset(password="budget-pw", now=DEMO_NOW)
        user = get_user_model().objects.create_superuser("budget.admin", "b@example.test", "x")
        client.force_login(user)
        yield client


def admin_changelists(app_label: str) -> dict[str, str]:
    """{"admin:<model> list": url} for every model of the app registered in the admin."""
    pages = {}
    for model in apps.get_app_config(app_label).get_models():
        if admin.site.is_registered(model):
            name = model._meta.model_name
            pages[f"admin {name} list"] = reverse(f"admin:{app_label}_{name}_changelist")
    return pages

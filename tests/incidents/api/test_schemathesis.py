"""Schemathesis over the published OpenAPI schema, against the WSGI app in-process: no
request it generates, valid or deliberately invalid, may get a 5xx.

(schemathesis's lazy pytest fixture loader does not work with pytest 9 yet, so the
operations' Hypothesis strategies are driven directly.)"""

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from schemathesis.generation import GenerationMode

from incidents.models import ApiScope
from incidents.services.api_keys import api_key_create
from tests.incidents.builders import ServiceFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.slow]  # ~20 s of generated requests

EXAMPLES_PER_OPERATION_AND_MODE = 25


@pytest.fixture
def wsgi_app():
    """The real WSGI app, minus closing the database connection at the end of each
    request (Django's test client does the same): the test's transaction must survive."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(db, wsgi_app, open_incident):
    # Something for the generated requests to find: a service, a staff user, an incident.
    ServiceFactory(name="payments")
    UserFactory(username="alice")
    return schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app)


@pytest.fixture
def target(open_incident):
    return open_incident(title="Schemathesis target")


@pytest.fixture
def bearer(db):
    _api_key, raw = api_key_create(name="schemathesis", scopes=list(ApiScope.values))
    return {"Authorization": f"Bearer {raw}"}


@override_settings(
    REST_FRAMEWORK={
        **django_settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": None, "ingest": None},
    }
)
def test_no_server_errors(api_schema, bearer, target):
    failures: list[str] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 11

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            # Detail endpoints: aim at a real incident (random references are only 404s).
            fixed = {"reference": target.reference} if "{reference}" in operation.path else None
            strategy = operation.as_strategy(generation_mode=mode, path_parameters=fixed)

            @given(case=strategy)
            @settings(
                max_examples=EXAMPLES_PER_OPERATION_AND_MODE,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            def run(case):
                response = case.call(headers=bearer)
                if response.status_code >= 500:
                    failures.append(
                        f"{case.method} {case.formatted_path}: {response.status_code} "
                        f"query={case.query!r} body={case.body!r}"
                    )

            run()

    assert not failures, "\n".join(failures[:20])

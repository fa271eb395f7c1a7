"""The public contract stays put when code moves: the OpenAPI document and every URL name
are compared with committed copies. A deliberate change updates them with
`UPDATE_SNAPSHOTS=1 make test PYTEST_ARGS=tests/config/test_api_contract.py` and shows up
in review as a diff of the snapshot."""

import json
import os
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"


def canonical(value):
    """Ordering carries no meaning in the schema: sort keys, and sort lists by content."""
    if isinstance(value, dict):
        return {key: canonical(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        items = [canonical(item) for item in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    return value


def url_names(resolver=None, namespace="", prefix=""):
    """{"namespace:name": "route"} for every named URL the project serves."""
    resolver = resolver or get_resolver()
    names = {}
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            names.update(url_names(entry, inner, route))
        elif isinstance(entry, URLPattern) and entry.name:
            names[f"{namespace}{entry.name}"] = route
    return names


def compare_with_snapshot(name: str, current) -> None:
    path = SNAPSHOTS / name
    text = json.dumps(current, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    if UPDATE or not path.exists():
        path.write_text(text)
        if not UPDATE:
            pytest.fail(f"{path} did not exist; written now, commit it")
    assert json.loads(path.read_text()) == current, (
        f"{name} changed; if that is deliberate, run with UPDATE_SNAPSHOTS=1 and commit it"
    )


@pytest.mark.django_db
def test_openapi_document_matches_the_committed_copy():
    out = StringIO()
    call_command("spectacular", "--format", "openapi-json", stdout=out)
    compare_with_snapshot("openapi-v1.json", canonical(json.loads(out.getvalue())))


def test_url_names_and_routes_match_the_committed_copy():
    names = url_names()
    assert "api:incident-list" in names and "admin:index" in names
    compare_with_snapshot("url-names.json", names)

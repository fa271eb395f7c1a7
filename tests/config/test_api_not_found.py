"""Unknown paths under /api/ answer in the API's JSON error shape, with DEBUG on or off;
elsewhere Django's own pages."""

import pytest


@pytest.mark.parametrize("path", ["/api/v1/nope/", "/api/nope", "/api/v1/incidents/x/nope/"])
@pytest.mark.parametrize("debug", [False, True])
def test_unknown_api_paths_answer_404_json(client, db, settings, path, debug):
    settings.DEBUG = debug
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": f"No API endpoint at {path}.", "errors": {}}


def test_unknown_pages_elsewhere_are_not_json(client, db):
    response = client.get("/nope/")
    assert response.status_code == 404
    assert "json" not in response["Content-Type"]


def test_a_known_endpoint_without_its_slash_is_still_redirected(client, db):
    response = client.get("/api/v1/incidents?page=2")
    assert response.status_code == 301
    assert response["Location"] == "/api/v1/incidents/?page=2"

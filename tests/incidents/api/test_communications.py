"""GET/POST /api/v1/incidents/{reference}/communications/ and PATCH of the public wording:
the same rules as the admin's send page (public wording only for external messages)."""

import pytest

from incidents.models import Communication, Delivery

from .conftest import detail_url

pytestmark = pytest.mark.django_db

MARKER = "INTERNAL-MARKER-91c2"
PUBLIC = {
    "public_title": "Checkout is failing for some customers",
    "public_summary": "Some payments fail at checkout.",
    "public_impact": "You may be unable to pay.",
}
SEND = {
    "template": "initial",
    "audience": "external",
    "channels": ["status_page", "email"],
    "email_recipients": ["customers@example.com"],
    "fields": {"eta": "16:00 UTC", "updates": "https://status.example/"},
}


@pytest.fixture
def incident(open_incident):
    return open_incident(summary=f"{MARKER} internal summary", customer_impact=MARKER)


def url(incident):
    return detail_url(incident.reference, "communications")


def test_patch_sets_the_public_wording(key_client, incident):
    client = key_client("incidents:read", "incidents:write")
    response = client.patch(
        detail_url(incident.reference), {**PUBLIC, "version": incident.version}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["public_title"] == PUBLIC["public_title"]
    incident.refresh_from_db()
    assert incident.public_summary == PUBLIC["public_summary"]


def test_external_send_without_public_wording_is_a_400_with_field_errors(key_client, incident):
    client = key_client("incidents:read", "incidents:write")
    response = client.post(url(incident), SEND, format="json")
    assert response.status_code == 400
    body = response.json()
    assert "uses only the public wording" in body["detail"]
    assert set(body["errors"]) == {"public_title", "public_summary", "public_impact"}
    assert not Communication.objects.exists()


def test_send_and_list(key_client, incident):
    incident.public_title, incident.public_summary, incident.public_impact = PUBLIC.values()
    incident.save()
    client = key_client("incidents:read", "incidents:write")
    response = client.post(url(incident), SEND, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 201, response.json()
    sent = response.json()
    assert sent["template"] == "initial" and sent["audience"] == "external"
    assert sent["channels"] == ["email", "status_page"]
    assert sent["public_status"] == "Investigating"
    assert "Summary: Some payments fail at checkout." in sent["body"]
    assert MARKER not in sent["body"] and MARKER not in sent["subject"]
    deliveries = list(Delivery.objects.filter(incident=incident))
    assert deliveries, "the e-mail channel queued a delivery"
    assert all(MARKER not in d.body for d in deliveries)
    # Idempotent: the same request with the same key is answered again, not sent twice.
    again = client.post(url(incident), SEND, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 201 and again.json()["id"] == sent["id"]
    assert Communication.objects.count() == 1

    listed = client.get(url(incident))
    assert listed.status_code == 200
    assert [c["id"] for c in listed.json()["results"]] == [sent["id"]]

    internal = client.post(
        url(incident),
        {
            "template": "update",
            "audience": "internal",
            "channels": ["email"],
            "email_recipients": ["team@example.com"],
            "fields": {"progress": "Rolled back", "next_steps": "Watch", "eta": "soon"},
        },
        format="json",
    )
    assert internal.status_code == 201, internal.json()
    assert [c["template"] for c in client.get(url(incident)).json()["results"]] == [
        "update",
        "initial",
    ]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**SEND, "template": "bogus"}, "template"),
        ({**SEND, "audience": "everyone"}, "audience"),
        ({**SEND, "channels": []}, "channels"),
        ({**SEND, "fields": {"typo": "x"}}, "fields.typo"),
        ({**SEND, "audience": "internal", "channels": ["status_page"]}, "channels"),
        ({**SEND, "unknown": 1}, "unknown"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(key_client, incident, payload, field):
    incident.public_title, incident.public_summary, incident.public_impact = PUBLIC.values()
    incident.save()
    response = key_client("incidents:read", "incidents:write").post(
        url(incident), payload, format="json"
    )
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"], response.json()


def test_missing_sender_field_is_a_400(key_client, incident):
    incident.public_title, incident.public_summary, incident.public_impact = PUBLIC.values()
    incident.save()
    response = key_client("incidents:read", "incidents:write").post(
        url(incident), {**SEND, "fields": {"updates": "x"}}, format="json"
    )
    assert response.status_code == 400
    assert "fields.eta" in response.json()["errors"]


def test_scopes(key_client, incident):
    reader = key_client("incidents:read")
    assert reader.get(url(incident)).status_code == 200
    assert reader.post(url(incident), SEND, format="json").status_code == 403
    writer = key_client("incidents:write")
    assert writer.get(url(incident)).status_code == 403


def test_hidden_security_incident_is_not_found(key_client, breach, session_client, responder):
    assert key_client("incidents:read", "incidents:write").get(url(breach)).status_code == 404
    assert (
        key_client("incidents:read", "incidents:write")
        .post(url(breach), SEND, format="json")
        .status_code
        == 404
    )
    assert session_client(responder).get(url(breach)).status_code == 404
    assert key_client("incidents:read", "incidents:security").get(url(breach)).status_code == 200
    assert (
        key_client("incidents:read").get("/api/v1/incidents/nope/communications/").status_code
        == 404
    )

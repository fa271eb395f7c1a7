"""An invalid choice names the valid values, in every API that takes one (incidents.api.fields,
the list filters, the alert parsers), and no serializer of any app uses DRF's own choice
fields (whose message names none)."""

import json
import re
from pathlib import Path

import pytest
from django.test import Client
from rest_framework import serializers

from incidents.api import fields
from incidents.api.serializers import IncidentSerializer, TimelineEntrySerializer
from incidents.models import Communication, Incident
from incidents.services.api_keys import api_key_create

from .conftest import LIST_URL, detail_url

SEVERITIES = "Valid values: P0, P1, P2, P3."
STATUSES = "Valid values: detected, triaged, investigating, contained, resolved, closed, cancelled."
NEW = {
    "title": "Card payments failing",
    "severity": "P0",
    "type": "service_outage",
    "detection_source": "support_ticket",
}


@pytest.fixture
def client(key_client):
    return key_client("incidents:read", "incidents:write")


def errors_of(response, status=400) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"detail", "errors"}
    return body["errors"]


@pytest.mark.django_db
def test_create_with_unknown_severity_names_p0_to_p3(client):
    errors = errors_of(client.post(LIST_URL, {**NEW, "severity": "P9"}, format="json"))
    assert errors["severity"] == [f'"P9" is not a valid choice. {SEVERITIES}']
    assert not Incident.objects.exists()


@pytest.mark.django_db
def test_detail_message_carries_the_list_too(client):
    body = client.post(LIST_URL, {**NEW, "type": "alien_invasion"}, format="json").json()
    assert body["detail"].startswith('Invalid input: type: "alien_invasion" is not a valid')
    assert "service_outage" in body["detail"]


@pytest.mark.django_db
def test_update_with_unknown_detection_source_lists_the_sources(client, open_incident):
    incident = open_incident()
    response = client.patch(
        detail_url(incident.reference),
        {"detection_source": "rumour", "version": incident.version},
        format="json",
    )
    (message,) = errors_of(response)["detection_source"]
    assert message.startswith('"rumour" is not a valid choice. Valid values: ')
    assert "support_ticket" in message and "cloudwatch_alarm" in message


@pytest.mark.django_db
def test_transition_to_an_unknown_status_lists_the_statuses(client, open_incident):
    incident = open_incident()
    response = client.post(
        detail_url(incident.reference, "transition"), {"to": "done"}, format="json"
    )
    assert errors_of(response)["to"] == [f'"done" is not a valid choice. {STATUSES}']


@pytest.mark.django_db
def test_communication_with_unknown_channel_template_and_audience(client, open_incident):
    incident = open_incident()
    response = client.post(
        detail_url(incident.reference, "communications"),
        {"template": "final", "audience": "press", "channels": ["email", "pigeon"]},
        format="json",
    )
    errors = errors_of(response)
    assert errors["channels.1"] == [
        '"pigeon" is not a valid choice. Valid values: email, chat, status_page.'
    ]
    assert errors["template"] == [
        '"final" is not a valid choice. Valid values: initial, update, resolved.'
    ]
    assert errors["audience"] == [
        '"press" is not a valid choice. Valid values: internal, external.'
    ]
    assert not Communication.objects.exists()


@pytest.mark.django_db
def test_list_filter_with_unknown_values_lists_the_valid_ones(client):
    errors = errors_of(client.get(LIST_URL, {"severity": ["P1", "P9"], "status": "open"}))
    assert errors["severity"] == [f'"P9" is not a valid choice. {SEVERITIES}']
    assert errors["status"] == [f'"open" is not a valid choice. {STATUSES}']


@pytest.mark.django_db
def test_generic_alert_with_unknown_choices_lists_the_valid_ones():
    _, key = api_key_create(name="monitoring", scopes=["ingest"])
    response = Client().post(
        "/api/v1/ingest/generic/",
        data=json.dumps({"title": "x", "severity": "P7", "status": "firing!", "type": "ufo"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    errors = errors_of(response)
    assert errors["severity"] == [f'"P7" is not a valid choice. {SEVERITIES}']
    assert errors["status"] == ['"firing!" is not a valid choice. Valid values: firing, resolved.']
    assert errors["type"][0].startswith('"ufo" is not a valid choice. Valid values: ')
    assert "service_outage" in errors["type"][0]


def test_multiple_choice_field_lists_the_valid_values():
    field = fields.MultipleChoiceField(choices=[("a", "A"), ("b", "B")])
    with pytest.raises(serializers.ValidationError) as raised:
        field.run_validation(["a", "c"])
    assert raised.value.detail == ['"c" is not a valid choice. Valid values: a, b.']


def test_model_serializers_generate_our_choice_fields():
    assert type(IncidentSerializer().fields["severity"]) is fields.ChoiceField
    assert type(TimelineEntrySerializer().fields["kind"]) is fields.ChoiceField


# DRF's own choice fields and ModelSerializer (which generates them) name no valid values.
DRF_CHOICE = re.compile(
    r"\bserializers\.(ChoiceField|MultipleChoiceField|ModelSerializer)\b"
    r"|from rest_framework\.(serializers|fields) import [^\n]*\b(ChoiceField|ModelSerializer)\b"
)


def test_no_api_uses_drf_choice_fields_directly():
    root = Path(__file__).resolve().parents[3]
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for app in ("incidents", "postmortems", "reporting")
        for path in sorted((root / app).rglob("*.py"))
        if "migrations" not in path.parts and path != root / "incidents/api/fields.py"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if DRF_CHOICE.search(line)
    ]
    assert offenders == [], "use incidents.api.fields (invalid choices list the valid values)"

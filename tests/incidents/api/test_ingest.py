"""The ingestion endpoints as monitoring calls them: real payloads over HTTP."""

import json

import pytest
from django.test import Client

from incidents.models import Alert, Incident, SnsSubscription
from incidents.services.api_keys import api_key_create
from tests.incidents.ingestion.payloads import (
    alertmanager_webhook,
    cloudwatch_alarm,
    sns_notification,
    sns_subscription_confirmation,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ingest_key():
    _, raw = api_key_create(name="CloudWatch prod", scopes=["ingest"])
    return raw


def post(path, body, key, content_type="application/json"):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return Client().post(
        f"/api/v1/ingest/{path}/",
        data=data,
        content_type=content_type,
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )


def test_sns_alarm_as_text_plain_opens_an_incident_attributed_to_the_key(ingest_key):
    response = post("cloudwatch", sns_notification(), ingest_key, "text/plain; charset=UTF-8")
    assert response.status_code == 202, response.content
    (result,) = response.json()["results"]
    assert result["action"] == "opened"
    incident = Incident.objects.get(reference=result["incident"])
    assert incident.detection_source == "cloudwatch_alarm"
    first = incident.history.earliest()
    assert first.history_user.api_key.name == "CloudWatch prod"
    assert "CloudWatch prod" in first.history_change_reason


def test_sns_retry_of_the_same_message_is_stored_once(ingest_key):
    body = sns_notification(message_id="7f0c2d8e-dup")
    assert post("cloudwatch", body, ingest_key).json()["results"][0]["action"] == "opened"
    assert post("cloudwatch", body, ingest_key).json()["results"][0]["action"] == "duplicate"
    assert Alert.objects.count() == 1


def test_alarm_ok_records_recovery(ingest_key):
    post("cloudwatch", sns_notification(), ingest_key)
    response = post("cloudwatch", sns_notification(cloudwatch_alarm(state="OK")), ingest_key)
    assert response.json()["results"][0]["action"] == "recovered"


def test_subscription_confirmation_is_kept_for_the_admin(ingest_key):
    response = post("cloudwatch", sns_subscription_confirmation("sub-42"), ingest_key)
    assert response.status_code == 202
    assert SnsSubscription.objects.get(message_id="sub-42").subscribe_url.startswith("https://")
    assert Incident.objects.count() == 0


def test_alertmanager_firing_then_resolved(ingest_key):
    firing = post("alertmanager", alertmanager_webhook(), ingest_key)
    assert firing.status_code == 202
    reference = firing.json()["results"][0]["incident"]
    assert Incident.objects.get(reference=reference).severity == "P1"
    resolved = post("alertmanager", alertmanager_webhook(status="resolved"), ingest_key)
    assert resolved.json()["results"] == [
        {
            "alert_id": resolved.json()["results"][0]["alert_id"],
            "action": "recovered",
            "incident": reference,
        }
    ]


def test_generic_alert(ingest_key):
    response = post(
        "generic",
        {"title": "Payment provider timeouts", "severity": "P0", "fingerprint": "psp-timeouts"},
        ingest_key,
    )
    assert response.status_code == 202
    assert Incident.objects.get().severity == "P0"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("generic", {"severity": "P9"}, "title"),
        ("alertmanager", {"version": "3", "alerts": []}, "version"),
        ("cloudwatch", {"Type": "Notification", "MessageId": "x"}, "TopicArn"),
    ],
)
def test_bad_payloads_get_400_with_field_errors(ingest_key, path, body, field):
    response = post(path, body, ingest_key)
    assert response.status_code == 400
    payload = response.json()
    assert field in payload["errors"]
    assert payload["detail"]
    assert Alert.objects.count() == 0


def test_malformed_json_is_a_400_that_says_why(ingest_key):
    response = post("generic", '{"title": "x",', ingest_key)
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_ingest_needs_the_ingest_scope():
    _, reader = api_key_create(name="Dashboards", scopes=["incidents:read"])
    response = post("generic", {"title": "x"}, reader)
    assert response.status_code == 403
    assert "ingest" in response.json()["detail"]
    assert post("generic", {"title": "x"}, "hm_nope_nope").status_code == 401
    assert Client().post("/api/v1/ingest/generic/", {"title": "x"}).status_code == 401
    assert Incident.objects.count() == 0


def test_signature_required_when_verification_is_on(ingest_key, settings):
    settings.HARBORMASTER_SNS_VERIFY_SIGNATURES = True
    response = post("cloudwatch", sns_notification(), ingest_key)
    assert response.status_code == 403
    assert "signature" in response.json()["detail"].lower()
    assert Alert.objects.count() == 0


def test_nul_characters_are_dropped_not_a_server_error(ingest_key):
    """PostgreSQL refuses NUL in text and \\u0000 in jsonb; CI runs this on PostgreSQL."""
    generic = post(
        "generic",
        {"title": "Disk\x00 full", "fingerprint": "disk\x00-1", "details": {"k\x00": ["v\x00"]}},
        ingest_key,
    )
    assert generic.status_code == 202, generic.content
    webhook = alertmanager_webhook(alertname="Crash\x00Loop")
    webhook["alerts"][0]["labels"]["pod\x00"] = "api\x00-1"
    assert post("alertmanager", webhook, ingest_key).status_code == 202
    alarm = cloudwatch_alarm(name="checkout\x00-5xx")
    assert post("cloudwatch", sns_notification(alarm=alarm), ingest_key).status_code == 202
    titles = list(Incident.objects.values_list("title", flat=True))
    assert "Disk full" in titles and not any("\x00" in title for title in titles)
    assert Alert.objects.count() == 3  # one per POST, each stored
    for alert in Alert.objects.all():
        assert not has_nul(alert.payload) and "\x00" not in alert.fingerprint


def has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(key) or has_nul(item) for key, item in value.items())
    return isinstance(value, list) and any(has_nul(item) for item in value)


def test_a_subscription_confirmation_with_a_nul_is_kept_without_it(ingest_key):
    confirmation = sns_subscription_confirmation()
    confirmation["Message"] += "\x00"
    assert post("cloudwatch", confirmation, ingest_key).status_code < 300
    assert not has_nul(SnsSubscription.objects.get().payload)


# --- text longer than the columns (PostgreSQL refuses it; SQLite hides the failure) ---------
LONG_ALARM_NAME = "checkout-" + "x" * 246  # 255 characters, the most AWS allows


def test_an_alarm_arn_over_255_characters_opens_one_incident_and_groups_its_repeats(ingest_key):
    alarm = cloudwatch_alarm(name=LONG_ALARM_NAME, region="ap-southeast-2")
    assert len(alarm["AlarmArn"]) > 300
    first = post("cloudwatch", sns_notification(alarm, message_id="m-1"), ingest_key)
    assert first.status_code == 202, first.content
    assert first.json()["results"][0]["action"] == "opened"
    reference = first.json()["results"][0]["incident"]
    again = post("cloudwatch", sns_notification(alarm, message_id="m-2"), ingest_key)
    assert again.json()["results"][0]["action"] == "appended"
    assert again.json()["results"][0]["incident"] == reference
    redelivered = post("cloudwatch", sns_notification(alarm, message_id="m-2"), ingest_key)
    assert redelivered.json()["results"][0]["action"] == "duplicate"
    ok = cloudwatch_alarm(name=LONG_ALARM_NAME, state="OK", region="ap-southeast-2")
    recovered = post("cloudwatch", sns_notification(ok), ingest_key)
    assert recovered.json()["results"][0]["action"] == "recovered"
    assert recovered.json()["results"][0]["incident"] == reference
    stored = Alert.objects.filter(group__incident__reference=reference)
    assert {alert.fingerprint for alert in stored} == {alarm["AlarmArn"]}
    assert stored.count() == 3
    incident = Incident.objects.get(reference=reference)
    assert incident.title == LONG_ALARM_NAME[:200]


def test_an_alertmanager_fingerprint_of_1000_characters_groups_exactly(ingest_key):
    fingerprint = "f" * 1000
    first = post("alertmanager", alertmanager_webhook(fingerprint=fingerprint), ingest_key)
    assert first.status_code == 202, first.content
    assert first.json()["results"][0]["action"] == "opened"
    again = post("alertmanager", alertmanager_webhook(fingerprint=fingerprint), ingest_key)
    assert again.json()["results"][0]["action"] == "appended"
    assert again.json()["results"][0]["incident"] == first.json()["results"][0]["incident"]
    # Same first 999 characters, a different last one: a different series, its own incident.
    other = post("alertmanager", alertmanager_webhook(fingerprint="f" * 999 + "g"), ingest_key)
    assert other.json()["results"][0]["action"] == "opened"
    assert Incident.objects.count() == 2
    assert Alert.objects.filter(fingerprint=fingerprint).count() == 2


def test_a_long_alertname_is_cut_to_the_columns(ingest_key):
    response = post("alertmanager", alertmanager_webhook(alertname="A" * 600), ingest_key)
    assert response.status_code == 202, response.content
    alert = Alert.objects.get()
    assert alert.name == "A" * 255
    assert alert.payload["alert"]["labels"]["alertname"] == "A" * 600  # kept whole here
    assert alert.incident.title == "A" * 200


def test_a_long_generic_id_and_fingerprint_still_deduplicate_exactly(ingest_key):
    body = {"title": "T" * 400, "fingerprint": "p" * 2000, "id": "i" * 500}
    first = post("generic", body, ingest_key)
    assert first.status_code == 202, first.content
    assert first.json()["results"][0]["action"] == "opened"
    assert post("generic", body, ingest_key).json()["results"][0]["action"] == "duplicate"
    # Ids that differ only after the column's 200 characters are different deliveries.
    repeat = post("generic", {**body, "id": "i" * 499 + "j"}, ingest_key)
    assert repeat.json()["results"][0]["action"] == "appended"
    assert Alert.objects.count() == 2
    assert Alert.objects.filter(fingerprint="p" * 2000).count() == 2


def test_a_subscription_confirmation_with_long_ids_is_kept(ingest_key):
    body = {**sns_subscription_confirmation(message_id="m" * 300), "TopicArn": "t" * 400}
    response = post("cloudwatch", body, ingest_key)
    assert response.status_code == 202, response.content
    assert post("cloudwatch", body, ingest_key).status_code == 202
    subscription = SnsSubscription.objects.get()
    assert subscription.topic_arn == "t" * 300
    assert subscription.message_id.startswith("sha256:")


@pytest.mark.parametrize(
    ("field", "value"),
    [("AlarmName", {"a": 1}), ("NewStateValue", ["ALARM"]), ("AlarmName", 7)],
)
def test_alarm_fields_that_are_not_strings_are_a_400(ingest_key, field, value):
    alarm = {**cloudwatch_alarm(), field: value}
    response = post("cloudwatch", sns_notification(alarm), ingest_key)
    assert response.status_code == 400
    assert response.json()["errors"] == {f"Message.{field}": ["Expected a string."]}


# --- JSON nested too deep: a 400 naming the limit, not a RecursionError ---------------------
DEEP = "[" * 1_000 + "]" * 1_000


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("generic", "application/json"),
        ("alertmanager", "application/json"),
        ("cloudwatch", "application/json"),
        ("cloudwatch", "text/plain"),  # how SNS posts
    ],
)
def test_a_body_nested_1000_deep_is_a_400(ingest_key, path, content_type):
    response = post(
        path, '{"title": "x", "details": {"a": ' + DEEP + "}}", ingest_key, content_type
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": "JSON parse error - nested deeper than 64 levels (arrays and objects)",
        "errors": {},
    }
    assert not Alert.objects.exists()


def test_an_sns_message_nested_too_deep_is_a_400_on_the_message(ingest_key):
    body = {**sns_notification(), "Message": '{"AlarmName": ' + DEEP + "}"}
    response = post("cloudwatch", body, ingest_key, content_type="text/plain")
    assert response.status_code == 400
    assert response.json()["errors"] == {"Message": ["Expected at most 64 levels of nesting."]}
    assert "64 levels" in response.json()["detail"]


def test_an_sns_message_with_a_lone_surrogate_is_a_400(ingest_key):
    alarm = json.dumps(cloudwatch_alarm()).replace("checkout-5xx-high", "checkout-\\ud800", 1)
    response = post("cloudwatch", {**sns_notification(), "Message": alarm}, ingest_key)
    assert response.status_code == 400
    assert response.json()["errors"] == {"Message": ["Expected valid Unicode text."]}

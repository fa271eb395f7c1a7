"""Alert ingestion: parsing the senders' formats, routing, grouping and recovery."""

import importlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps as django_apps

from incidents.choices import AlertStatus, TimelineKind
from incidents.ingestion import parsers
from incidents.ingestion.parsers import PayloadError
from incidents.ingestion.routing import RuleSpec, choose_rule
from incidents.ingestion.services import alert_ingest, sns_subscription_record
from incidents.models import Alert, AlertGroup, Incident, RoutingRule, SnsSubscription
from tests.incidents.builders import ServiceFactory

from .payloads import (
    alertmanager_webhook,
    cloudwatch_alarm,
    sns_notification,
    sns_subscription_confirmation,
)

T0 = datetime(2026, 11, 27, 13, 45, tzinfo=UTC)


# --- parsers (pure) ------------------------------------------------------------------------
def test_cloudwatch_alarm_in_an_sns_notification():
    sns = parsers.parse_sns(sns_notification(message_id="m-1"))
    alert = parsers.parse_cloudwatch_alarm(sns)
    assert alert.status == AlertStatus.FIRING
    assert alert.name == "checkout-5xx-high"
    assert alert.fingerprint == "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:checkout-5xx-high"
    assert alert.namespace == "AWS/ApplicationELB"
    assert alert.external_id == "m-1"
    assert alert.labels["dimension:LoadBalancer"].startswith("app/checkout-alb")
    assert "Threshold Crossed" in alert.summary


def test_cloudwatch_without_arn_uses_account_region_and_name():
    alarm = cloudwatch_alarm()
    del alarm["AlarmArn"]
    alert = parsers.parse_cloudwatch_alarm(parsers.parse_sns(sns_notification(alarm)))
    assert alert.fingerprint == "123456789012:EU (Ireland):checkout-5xx-high"


@pytest.mark.parametrize(
    ("state", "status"),
    [("ALARM", "firing"), ("OK", "resolved"), ("INSUFFICIENT_DATA", "no_data")],
)
def test_cloudwatch_states(state, status):
    sns = parsers.parse_sns(sns_notification(cloudwatch_alarm(state=state)))
    assert parsers.parse_cloudwatch_alarm(sns).status == status


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b.pop("Type"), "Type"),
        (lambda b: b.update(Type="Bogus"), "Type"),
        (lambda b: b.update(Message="{not json"), "Message"),
        (lambda b: b.update(Message=json.dumps({"NewStateValue": "ALARM"})), "Message.AlarmName"),
        (
            lambda b: b.update(Message=json.dumps({"AlarmName": "x", "NewStateValue": "MAYBE"})),
            "Message.NewStateValue",
        ),
    ],
)
def test_bad_sns_payloads_say_which_field(mutate, field):
    body = sns_notification()
    mutate(body)
    with pytest.raises(PayloadError) as raised:
        parsers.parse_cloudwatch_alarm(parsers.parse_sns(body))
    assert field in raised.value.errors


def test_alertmanager_v4_group():
    (alert,) = parsers.parse_alertmanager(alertmanager_webhook())
    assert alert.fingerprint == "c0a1f8e0b4d2e3f1"
    assert alert.status == "firing"
    assert alert.name == "KubePodCrashLooping"
    assert alert.labels["severity"] == "critical"
    assert alert.summary == "Pod listings/listings-api is crash looping"
    (resolved,) = parsers.parse_alertmanager(alertmanager_webhook(status="resolved"))
    assert resolved.status == "resolved" and resolved.fingerprint == alert.fingerprint


def test_alertmanager_rejects_other_versions_and_empty_groups():
    with pytest.raises(PayloadError) as raised:
        parsers.parse_alertmanager({**alertmanager_webhook(), "version": "3"})
    assert "version" in raised.value.errors
    with pytest.raises(PayloadError) as raised:
        parsers.parse_alertmanager({**alertmanager_webhook(), "alerts": []})
    assert "alerts" in raised.value.errors


def test_generic_format_and_its_errors():
    alert = parsers.parse_generic(
        {"title": "Search latency p95 > 2s", "severity": "P1", "details": {"service": "search"}}
    )
    assert alert.severity == "P1" and alert.status == "firing"
    assert alert.labels == {"service": "search"}
    assert alert.fingerprint  # derived from the title when not given
    same = parsers.parse_generic({"title": "Search latency p95 > 2s"})
    assert same.fingerprint == alert.fingerprint
    with pytest.raises(PayloadError) as raised:
        parsers.parse_generic({"severity": "P9", "status": "sideways", "details": []})
    assert set(raised.value.errors) == {"title", "severity", "status", "details"}


def test_routing_picks_first_matching_rule_then_default():
    rules = [
        RuleSpec(1, 1000, True, "", "", "", {}),
        RuleSpec(2, 10, False, "", "", "", {"severity": "critical"}),
        RuleSpec(3, 20, False, "cloudwatch", "^checkout-", "AWS/ApplicationELB", {}),
        RuleSpec(4, 5, False, "", "[unclosed", "", {}),
    ]
    critical = parsers.parse_alertmanager(alertmanager_webhook())[0]
    assert choose_rule(rules, critical).id == 2
    checkout = parsers.parse_cloudwatch_alarm(parsers.parse_sns(sns_notification()))
    assert choose_rule(rules, checkout).id == 3
    warning = parsers.parse_alertmanager(alertmanager_webhook(severity="warning"))[0]
    assert choose_rule(rules, warning).id == 1


# --- services (database) -------------------------------------------------------------------


def cloudwatch(state="ALARM", name="checkout-5xx-high", message_id=None):
    sns = parsers.parse_sns(sns_notification(cloudwatch_alarm(name=name, state=state), message_id))
    return parsers.parse_cloudwatch_alarm(sns)


@pytest.mark.django_db
def test_a_firing_alarm_opens_an_incident_and_repeats_append():
    first = alert_ingest(cloudwatch(), now=T0)
    assert first.action == "opened"
    incident = Incident.objects.get(reference=first.incident_reference)
    assert incident.detection_source == "cloudwatch_alarm"
    assert incident.title == "checkout-5xx-high"
    assert incident.severity == "P2"  # the default rule

    again = alert_ingest(cloudwatch(), now=T0 + timedelta(minutes=5))
    assert again.action == "appended"
    assert again.incident_reference == incident.reference
    assert Incident.objects.count() == 1
    assert Alert.objects.filter(incident=incident).count() == 2
    assert incident.timeline.filter(text__startswith="Alert repeated").count() == 1


@pytest.mark.django_db
def test_a_redelivered_sns_message_is_stored_once():
    alert = cloudwatch(message_id="same-message")
    assert alert_ingest(alert, now=T0).action == "opened"
    duplicate = alert_ingest(alert, now=T0 + timedelta(seconds=3))
    assert duplicate.action == "duplicate"
    assert Alert.objects.count() == 1


@pytest.mark.django_db
def test_recovery_is_recorded_and_does_not_resolve_by_default():
    opened = alert_ingest(cloudwatch(), now=T0)
    recovered = alert_ingest(cloudwatch(state="OK"), now=T0 + timedelta(minutes=9))
    assert recovered.action == "recovered"
    incident = Incident.objects.get(reference=opened.incident_reference)
    assert incident.status == "detected"
    assert incident.timeline.filter(kind=TimelineKind.NOTE, text__startswith="Recovered").exists()


@pytest.mark.django_db
def test_auto_resolve_is_a_rule_option():
    RoutingRule.objects.filter(is_default=True).update(auto_resolve=True)
    opened = alert_ingest(cloudwatch(), now=T0)
    outcome = alert_ingest(cloudwatch(state="OK"), now=T0 + timedelta(minutes=9))
    assert outcome.action == "resolved"
    incident = Incident.objects.get(reference=opened.incident_reference)
    assert incident.status == "resolved"
    assert "Auto-resolved" in incident.resolution_summary


@pytest.mark.django_db
def test_a_new_alarm_after_resolution_opens_a_new_incident():
    first = alert_ingest(cloudwatch(), now=T0)
    incident = Incident.objects.get(reference=first.incident_reference)
    from incidents import services

    services.incident_transition(
        incident=incident, to_status="resolved", resolution_summary="fixed", user=None, now=T0
    )
    second = alert_ingest(cloudwatch(), now=T0 + timedelta(hours=1))
    assert second.action == "opened"
    assert second.incident_reference != first.incident_reference


@pytest.mark.django_db
def test_routing_rules_set_severity_type_and_services():
    payments = ServiceFactory(name="payments")
    rule = RoutingRule.objects.create(
        name="Checkout ALB",
        priority=5,
        source="cloudwatch",
        match_name="^checkout-",
        match_namespace="AWS/ApplicationELB",
        severity="P0",
        type="api_failure",
    )
    rule.services.add(payments)
    outcome = alert_ingest(cloudwatch(), now=T0)
    incident = Incident.objects.get(reference=outcome.incident_reference)
    assert (incident.severity, incident.type, incident.category) == (
        "P0",
        "api_failure",
        "application",
    )
    assert list(incident.affected_services.all()) == [payments]
    assert Alert.objects.get().rule == rule


@pytest.mark.django_db
def test_alertmanager_critical_routes_to_p1_then_recovers():
    (firing,) = parsers.parse_alertmanager(alertmanager_webhook())
    outcome = alert_ingest(firing, now=T0)
    incident = Incident.objects.get(reference=outcome.incident_reference)
    assert incident.severity == "P1"  # "Critical alerts" rule from the migration
    assert incident.detection_source == "apm"
    (resolved,) = parsers.parse_alertmanager(alertmanager_webhook(status="resolved"))
    assert alert_ingest(resolved, now=T0 + timedelta(minutes=20)).action == "recovered"


@pytest.mark.django_db
def test_insufficient_data_is_stored_and_acts_on_nothing():
    outcome = alert_ingest(cloudwatch(state="INSUFFICIENT_DATA"), now=T0)
    assert outcome.action == "recorded" and outcome.incident_reference is None
    assert Incident.objects.count() == 0
    assert Alert.objects.get().status == "no_data"


@pytest.mark.django_db
def test_generic_severity_overrides_the_rule():
    alert = parsers.parse_generic({"title": "Payment provider timeouts", "severity": "P0"})
    outcome = alert_ingest(alert, now=T0)
    assert Incident.objects.get(reference=outcome.incident_reference).severity == "P0"


@pytest.mark.django_db
def test_subscription_confirmation_is_kept_for_a_person():
    body = sns_subscription_confirmation(message_id="sub-1")
    sns = parsers.parse_sns(body)
    first = sns_subscription_record(sns, now=T0)
    again = sns_subscription_record(sns, now=T0)
    assert first.pk == again.pk
    assert SnsSubscription.objects.get().subscribe_url.startswith("https://sns.eu-west-1")


# --- admin -------------------------------------------------------------------------------
@pytest.fixture
def root_client(client):
    from tests.incidents.builders import UserFactory

    client.force_login(UserFactory(username="root", is_superuser=True))
    return client


@pytest.mark.django_db
def test_routing_rule_with_a_broken_pattern_is_a_form_error(root_client):
    response = root_client.post(
        "/admin/incidents/routingrule/add/",
        {
            "name": "Broken",
            "priority": "5",
            "active": "on",
            "match_name": "[unclosed",
            "match_labels": "{}",
            "severity": "P1",
            "type": "service_outage",
        },
    )
    assert response.status_code == 200
    assert "Not a valid regular expression" in response.content.decode()
    assert not RoutingRule.objects.filter(name="Broken").exists()


@pytest.mark.django_db
def test_alert_pages_and_confirming_a_subscription(root_client):
    alert_ingest(cloudwatch(), now=T0)
    sns_subscription_record(parsers.parse_sns(sns_subscription_confirmation("sub-9")), now=T0)
    for name in ("alert", "alertgroup", "routingrule", "snssubscription"):
        assert root_client.get(f"/admin/incidents/{name}/").status_code == 200, name
    page = root_client.get("/admin/incidents/snssubscription/").content.decode()
    assert "Action=ConfirmSubscription" in page
    subscription = SnsSubscription.objects.get()
    response = root_client.post(
        "/admin/incidents/snssubscription/",
        {"action": "mark_confirmed", "_selected_action": [subscription.pk]},
    )
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.confirmed_at is not None
    assert subscription.confirmed_by.username == "root"


# --- fingerprints of any length --------------------------------------------------------------
def test_groups_are_keyed_by_the_sha256_of_the_fingerprint():
    assert parsers.fingerprint_hash("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
    assert parsers.delivery_id("m" * 200) == "m" * 200
    assert parsers.delivery_id("m" * 201) == "sha256:" + parsers.fingerprint_hash("m" * 201)


@pytest.mark.django_db
def test_the_same_long_fingerprint_joins_the_same_group():
    alarm = cloudwatch_alarm(name="n" * 255)
    first = alert_ingest(cloudwatch(name="n" * 255), now=T0)
    again = alert_ingest(cloudwatch(name="n" * 255), now=T0 + timedelta(minutes=1))
    assert (first.action, again.action) == ("opened", "appended")
    group = AlertGroup.objects.get()
    assert group.fingerprint == alarm["AlarmArn"]
    assert group.fingerprint_hash == parsers.fingerprint_hash(alarm["AlarmArn"])
    assert group.occurrences == 2


@pytest.mark.django_db
def test_the_migration_hashes_existing_fingerprints_as_ingestion_does():
    migration = importlib.import_module("incidents.migrations.0012_fingerprints_of_any_length")
    alert_ingest(cloudwatch(), now=T0)
    AlertGroup.objects.update(fingerprint_hash="")
    Alert.objects.update(fingerprint_hash="")
    migration.fill_hashes(django_apps, None)
    expected = parsers.fingerprint_hash(cloudwatch().fingerprint)
    assert AlertGroup.objects.get().fingerprint_hash == expected
    assert Alert.objects.get().fingerprint_hash == expected
    assert alert_ingest(cloudwatch(), now=T0 + timedelta(minutes=1)).action == "appended"

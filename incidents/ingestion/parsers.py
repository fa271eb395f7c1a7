"""Turn what monitoring sends into NormalizedAlert values. Pure: no ORM, no clock."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from ..choices import AlertSource, AlertStatus, IncidentType, Severity
from ..kernel.json_depth import JsonTooDeep, loads_limited
from ..kernel.valid_choices import invalid_choice_text

ALERT_STATUSES = (AlertStatus.FIRING, AlertStatus.RESOLVED)
# The sender's delivery id column (Alert.external_id, SnsSubscription.message_id).
DELIVERY_ID_LENGTH = 200


def fingerprint_hash(fingerprint: str) -> str:
    """The fixed-length key alerts are grouped by: SHA-256 (hex) of the fingerprint, so a
    fingerprint of any length groups exactly (same fingerprint, same group)."""
    return hashlib.sha256(fingerprint.encode("utf-8")).hexdigest()


def delivery_id(value: Any) -> str:
    """A sender's delivery id as stored: itself when it fits the column, otherwise
    "sha256:" + its hash, so a redelivery of a long id is still recognised exactly."""
    text = "" if value is None else str(value)
    if len(text) <= DELIVERY_ID_LENGTH:
        return text
    return "sha256:" + fingerprint_hash(text)


class PayloadError(ValueError):
    """The body is not what the sender's format says; `errors` maps fields to messages."""

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


@dataclass(frozen=True)
class NormalizedAlert:
    source: str
    fingerprint: str
    status: str
    name: str
    summary: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    namespace: str = ""
    external_id: str = ""
    severity: str = ""  # an explicit P0–P3 from the sender, when it gives one
    incident_type: str = ""
    payload: dict = field(default_factory=dict)

    def get_source_label(self) -> str:
        return AlertSource(self.source).label

    @property
    def fingerprint_hash(self) -> str:
        return fingerprint_hash(self.fingerprint)


def without_nul(value: Any) -> Any:
    """`value` with NUL characters removed from every string in it, keys included.
    PostgreSQL stores neither NUL in text nor \u0000 in jsonb, and no alerting tool means
    anything by one; dropping it keeps the alert instead of failing its request."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {without_nul(key): without_nul(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_nul(item) for item in value]
    return value


def _require(data: dict, key: str, where: str = "") -> Any:
    value = data.get(key)
    if value in (None, ""):
        path = f"{where}.{key}" if where else key
        raise PayloadError(f"Missing {path}.", {path: ["This field is required."]})
    return value


def _text(data: dict, key: str, where: str = "") -> str:
    """A required field that must be a string."""
    value = _require(data, key, where)
    if not isinstance(value, str):
        path = f"{where}.{key}" if where else key
        raise PayloadError(f"{path} must be a string.", {path: ["Expected a string."]})
    return value


def _object(value: Any, path: str) -> dict:
    if not isinstance(value, dict):
        raise PayloadError(f"{path} must be a JSON object.", {path: ["Expected an object."]})
    return value


# --- Amazon SNS + CloudWatch ---------------------------------------------------------------
SNS_TYPES = ("Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation")
CLOUDWATCH_STATES = {
    "ALARM": AlertStatus.FIRING,
    "OK": AlertStatus.RESOLVED,
    "INSUFFICIENT_DATA": AlertStatus.NO_DATA,
}


@dataclass(frozen=True)
class SnsMessage:
    type: str
    message_id: str
    topic_arn: str
    body: dict


def parse_sns(body: Any) -> SnsMessage:
    body = _object(without_nul(body), "body")
    message_type = _text(body, "Type")
    if message_type not in SNS_TYPES:
        raise PayloadError(
            f"Unsupported SNS message type {message_type!r}.",
            {"Type": [f"Expected one of {', '.join(SNS_TYPES)}."]},
        )
    return SnsMessage(
        type=message_type,
        message_id=delivery_id(_text(body, "MessageId")),
        topic_arn=_text(body, "TopicArn"),
        body=body,
    )


def parse_cloudwatch_alarm(sns: SnsMessage) -> NormalizedAlert:
    """An SNS Notification whose Message is a CloudWatch alarm state change (JSON string)."""
    raw = _require(sns.body, "Message")
    try:
        alarm = loads_limited(raw) if isinstance(raw, str) else raw
    except JsonTooDeep as error:
        raise PayloadError(
            f"Message is JSON {error}.",
            {"Message": [f"Expected at most {error.limit} levels of nesting."]},
        ) from None
    except json.JSONDecodeError as error:
        raise PayloadError(
            f"Message is not JSON: {error.msg} at position {error.pos}.",
            {"Message": ["Expected a CloudWatch alarm as a JSON string."]},
        ) from None
    try:  # a lone surrogate escape ("\\ud800") decodes but cannot be stored
        json.dumps(alarm, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as error:
        raise PayloadError(
            f"Message has invalid Unicode in a string ({error.reason}).",
            {"Message": ["Expected valid Unicode text."]},
        ) from None
    alarm = _object(without_nul(alarm), "Message")
    name = _text(alarm, "AlarmName", "Message")
    state = _text(alarm, "NewStateValue", "Message")
    if state not in CLOUDWATCH_STATES:
        raise PayloadError(
            f"Unknown alarm state {state!r}.",
            {"Message.NewStateValue": ["Expected ALARM, OK or INSUFFICIENT_DATA."]},
        )
    trigger = alarm.get("Trigger") if isinstance(alarm.get("Trigger"), dict) else {}
    account = str(alarm.get("AWSAccountId", ""))
    region = str(alarm.get("Region", ""))
    # The alarm ARN identifies the alarm; older messages lack it.
    fingerprint = str(alarm.get("AlarmArn") or f"{account}:{region}:{name}")
    labels = {
        "alarm_name": name,
        "account": account,
        "region": region,
        "namespace": str(trigger.get("Namespace", "")),
        "metric": str(trigger.get("MetricName", "")),
    }
    for dimension in trigger.get("Dimensions") or []:
        if isinstance(dimension, dict) and dimension.get("name"):
            labels[f"dimension:{dimension['name']}"] = str(dimension.get("value", ""))
    summary = "\n".join(
        part for part in (alarm.get("AlarmDescription"), alarm.get("NewStateReason")) if part
    )
    return NormalizedAlert(
        source=AlertSource.CLOUDWATCH,
        fingerprint=fingerprint,
        status=CLOUDWATCH_STATES[state],
        name=name,
        summary=summary,
        labels={k: v for k, v in labels.items() if v},
        namespace=labels["namespace"],
        external_id=sns.message_id,
        payload=sns.body,
    )


# --- Prometheus Alertmanager ---------------------------------------------------------------
def parse_alertmanager(body: Any) -> list[NormalizedAlert]:
    """Alertmanager webhook, version 4: a group of alerts, each firing or resolved."""
    body = _object(without_nul(body), "body")
    version = str(body.get("version", ""))
    if version != "4":
        raise PayloadError(
            f"Unsupported Alertmanager webhook version {version or '(none)'}.",
            {"version": ['Expected "4".']},
        )
    alerts = body.get("alerts")
    if not isinstance(alerts, list) or not alerts:
        raise PayloadError("No alerts in the payload.", {"alerts": ["Expected a non-empty list."]})
    common = body.get("commonLabels") if isinstance(body.get("commonLabels"), dict) else {}
    result = []
    for index, alert in enumerate(alerts):
        where = f"alerts[{index}]"
        alert = _object(alert, where)
        labels = {**common, **(_object(alert.get("labels") or {}, f"{where}.labels"))}
        annotations = alert.get("annotations") if isinstance(alert.get("annotations"), dict) else {}
        status = alert.get("status")
        if status not in (AlertStatus.FIRING, AlertStatus.RESOLVED):
            raise PayloadError(
                f"{where}.status must be firing or resolved.",
                {f"{where}.status": ["Expected firing or resolved."]},
            )
        fingerprint = alert.get("fingerprint") or _label_fingerprint(labels)
        name = labels.get("alertname") or "Alertmanager alert"
        result.append(
            NormalizedAlert(
                source=AlertSource.ALERTMANAGER,
                fingerprint=str(fingerprint),
                status=status,
                name=str(name),
                summary=str(annotations.get("summary") or annotations.get("description") or ""),
                labels={str(k): str(v) for k, v in labels.items()},
                payload={"group": {k: v for k, v in body.items() if k != "alerts"}, "alert": alert},
            )
        )
    return result


def _label_fingerprint(labels: dict) -> str:
    canonical = json.dumps(labels, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


# --- the documented generic format -------------------------------------------------------
def parse_generic(body: Any) -> NormalizedAlert:
    """{"title", "severity"?, "fingerprint"?, "status"?, "details"?, "type"?, "id"?}"""
    body = _object(without_nul(body), "body")
    errors: dict[str, list[str]] = {}
    title = body.get("title")
    if not isinstance(title, str) or not title.strip():
        errors["title"] = ["This field is required."]
    severity = body.get("severity", "")
    if severity and severity not in Severity.values:
        errors["severity"] = [invalid_choice_text(severity, Severity.values)]
    status = body.get("status", AlertStatus.FIRING)
    if status not in ALERT_STATUSES:
        errors["status"] = [invalid_choice_text(status, ALERT_STATUSES)]
    details = body.get("details", {})
    if not isinstance(details, dict):
        errors["details"] = ["Expected an object."]
    incident_type = body.get("type", "")
    if incident_type and incident_type not in IncidentType.values:
        errors["type"] = [invalid_choice_text(incident_type, IncidentType.values)]
    if errors:
        raise PayloadError("The alert is not valid.", errors)
    fingerprint = body.get("fingerprint") or _label_fingerprint({"title": title.strip()})
    labels = {str(k): str(v) for k, v in details.items() if isinstance(v, str | int | float)}
    return NormalizedAlert(
        source=AlertSource.GENERIC,
        fingerprint=str(fingerprint),
        status=status,
        name=title.strip()[:255],
        summary=str(body.get("summary") or details.get("summary") or ""),
        labels=labels,
        external_id=delivery_id(body.get("id") or ""),
        severity=severity,
        incident_type=incident_type,
        payload=body,
    )

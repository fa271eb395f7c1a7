"""Realistic monitoring payloads, written from the senders' public formats."""

import json
import uuid

ACCOUNT = "123456789012"
TOPIC = f"arn:aws:sns:eu-west-1:{ACCOUNT}:harborlist-alarms"


def cloudwatch_alarm(
    name="checkout-5xx-high", state="ALARM", namespace="AWS/ApplicationELB", region="eu-west-1"
):
    """AWS allows 255-character alarm names, so an AlarmArn can be over 300 characters."""
    return {
        "AlarmName": name,
        "AlarmDescription": "Checkout ALB 5xx above 5% for 3 minutes",
        "AWSAccountId": ACCOUNT,
        "AlarmConfigurationUpdatedTimestamp": "2026-11-02T10:12:45.123+0000",
        "NewStateValue": state,
        "NewStateReason": (
            "Threshold Crossed: 3 out of the last 3 datapoints [7.1, 6.4, 5.9] were greater "
            "than the threshold (5.0)."
        ),
        "StateChangeTime": "2026-11-27T13:45:02.512+0000",
        "Region": "EU (Ireland)",
        "AlarmArn": f"arn:aws:cloudwatch:{region}:{ACCOUNT}:alarm:{name}",
        "OldStateValue": "OK" if state == "ALARM" else "ALARM",
        "OKActions": [TOPIC],
        "AlarmActions": [TOPIC],
        "InsufficientDataActions": [],
        "Trigger": {
            "MetricName": "HTTPCode_Target_5XX_Count",
            "Namespace": namespace,
            "StatisticType": "Statistic",
            "Statistic": "SUM",
            "Unit": None,
            "Dimensions": [{"value": "app/checkout-alb/50dc6c495c0c9188", "name": "LoadBalancer"}],
            "Period": 60,
            "EvaluationPeriods": 3,
            "ComparisonOperator": "GreaterThanThreshold",
            "Threshold": 5.0,
            "TreatMissingData": "missing",
        },
    }


def sns_notification(alarm=None, message_id=None):
    alarm = alarm or cloudwatch_alarm()
    return {
        "Type": "Notification",
        "MessageId": message_id or str(uuid.uuid4()),
        "TopicArn": TOPIC,
        "Subject": f'ALARM: "{alarm["AlarmName"]}" in EU (Ireland)',
        "Message": json.dumps(alarm),
        "Timestamp": "2026-11-27T13:45:02.560Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLEpH+DcEwjAPg8O9mY8dReBSwksfg2S7WKQcikcNKWLQjwu6A4VbeS0QHVCkhRS7fUQ=",
        "SigningCertURL": (
            "https://sns.eu-west-1.amazonaws.com/"
            "SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem"
        ),
        "UnsubscribeURL": (
            "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn="
            f"{TOPIC}:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55"
        ),
    }


def sns_subscription_confirmation(message_id=None):
    token = "2336412f37fb687f5d51e6e2425dacbba8e4ae5c9c0a5eb5d0d1c1b0a0f3a2d1"
    return {
        "Type": "SubscriptionConfirmation",
        "MessageId": message_id or str(uuid.uuid4()),
        "Token": token,
        "TopicArn": TOPIC,
        "Message": (
            f"You have chosen to subscribe to the topic {TOPIC}.\n"
            "To confirm the subscription, visit the SubscribeURL included in this message."
        ),
        "SubscribeURL": (
            "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription"
            f"&TopicArn={TOPIC}&Token={token}"
        ),
        "Timestamp": "2026-11-27T13:40:11.870Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLEpH+...",
        "SigningCertURL": (
            "https://sns.eu-west-1.amazonaws.com/"
            "SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem"
        ),
    }


def alertmanager_webhook(
    status="firing",
    alertname="KubePodCrashLooping",
    severity="critical",
    fingerprint="c0a1f8e0b4d2e3f1",
):
    labels = {
        "alertname": alertname,
        "namespace": "listings",
        "pod": "listings-api-7d9f8b6c5-x2k4q",
        "severity": severity,
        "service": "listings-api",
    }
    return {
        "version": "4",
        "groupKey": '{}/{severity="critical"}:{alertname="' + alertname + '"}',
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "harbormaster",
        "groupLabels": {"alertname": alertname},
        "commonLabels": labels,
        "commonAnnotations": {
            "summary": "Pod listings/listings-api is crash looping",
            "runbook_url": "https://runbooks.harborlist.test/KubePodCrashLooping",
        },
        "externalURL": "http://alertmanager.harborlist.test:9093",
        "alerts": [
            {
                "status": status,
                "labels": labels,
                "annotations": {
                    "summary": "Pod listings/listings-api is crash looping",
                    "description": "Pod is restarting 2.1 times / 10 minutes.",
                },
                "startsAt": "2026-11-27T13:41:00.000Z",
                "endsAt": "2026-11-27T14:02:00.000Z"
                if status == "resolved"
                else "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus.harborlist.test:9090/graph?g0.expr=...",
                "fingerprint": fingerprint,
            }
        ],
    }

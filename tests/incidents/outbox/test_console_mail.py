"""The local console e-mail backend: one line per message (to, subject, acknowledge link)."""

import importlib
from io import StringIO

from django.core.mail import EmailMessage, get_connection

from incidents.outbox.console_mail import OneLineEmailBackend


def send(*messages) -> list[str]:
    stream = StringIO()
    backend = OneLineEmailBackend(stream=stream)
    assert backend.send_messages(list(messages)) == len(messages)
    return stream.getvalue().splitlines()


def test_a_page_is_one_line_with_its_acknowledge_link():
    page = EmailMessage(
        subject="[P0] INC-20261127-134502 Checkout returns 502 — escalation level 1",
        body="INCIDENT ALERT - P0\nIncident ID: INC-20261127-134502\n"
        "Link: http://127.0.0.1:8123/admin/incidents/incident/7/change/\n"
        "Acknowledge: http://127.0.0.1:8123/page/ack/abc:def/\n",
        to=["rita@harborlist.example"],
        headers={"X-Harbormaster-Delivery": "escalation:1:email:3"},
    )
    assert send(page) == [
        "mail | to rita@harborlist.example | [P0] INC-20261127-134502 Checkout returns 502"
        " — escalation level 1 | acknowledge: http://127.0.0.1:8123/page/ack/abc:def/"
    ]


def test_other_mail_is_one_line_each_without_a_link():
    lines = send(
        EmailMessage(subject="Status update\n overdue", body="text", to=["a@x.test", "b@x.test"]),
        EmailMessage(subject="Reminder", body="Acknowledge nothing here", to=["c@x.test"]),
    )
    assert lines == [
        "mail | to a@x.test, b@x.test | Status update overdue",
        "mail | to c@x.test | Reminder",
    ]


def test_local_settings_use_it(settings):
    settings.EMAIL_BACKEND = "incidents.outbox.console_mail.OneLineEmailBackend"
    assert isinstance(get_connection(), OneLineEmailBackend)
    assert send() == []


def test_it_is_the_default_under_local_settings(monkeypatch):
    monkeypatch.delenv("EMAIL_BACKEND", raising=False)
    local = importlib.reload(importlib.import_module("config.settings.local"))
    assert local.EMAIL_BACKEND == "incidents.outbox.console_mail.OneLineEmailBackend"

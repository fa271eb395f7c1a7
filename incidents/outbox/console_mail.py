"""A console e-mail backend for local use: one line per message instead of the MIME dump.

    mail | to rita@harborlist.example | [P0] INC-… Checkout returns 502 — escalation level 1
         | acknowledge: http://127.0.0.1:8000/page/ack/…/

Set as EMAIL_BACKEND by config/settings/local.py (`make run`); production sends by SMTP."""

from __future__ import annotations

import sys
import threading

from django.core.mail.backends.base import BaseEmailBackend

from ..paging.links import ACK_PREFIX


def acknowledge_link(body: str) -> str:
    for line in body.splitlines():
        if line.startswith(ACK_PREFIX):
            return line[len(ACK_PREFIX) :].strip()
    return ""


def one_line(message) -> str:
    """`mail | to <addresses> | <subject>[ | acknowledge: <link>]` for one message."""
    recipients = ", ".join(message.recipients()) or "(nobody)"
    subject = " ".join(str(message.subject).split())
    line = f"mail | to {recipients} | {subject}"
    link = acknowledge_link(str(message.body or ""))
    return f"{line} | acknowledge: {link}" if link else line


class OneLineEmailBackend(BaseEmailBackend):
    """Writes one line per message to stdout (or `stream=`); sends nothing."""

    def __init__(self, *args, stream=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.stream = stream or sys.stdout
        self._lock = threading.RLock()

    def send_messages(self, email_messages) -> int:
        if not email_messages:
            return 0
        sent = 0
        with self._lock:
            for message in email_messages:
                self.stream.write(one_line(message) + "\n")
                sent += 1
            self.stream.flush()
        return sent

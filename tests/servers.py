"""Real local servers for fault tests: an HTTP receiver and an SMTP server on 127.0.0.1,
each in a thread of the test process, plus an unreachable broker for the publishing side.

    with HTTPReceiver([500, 200]) as hook:     # answers 500, then 200 (the last repeats)
        settings.HARBORMASTER_CHAT_WEBHOOK_URL = hook.url + "/chat"
        ...
        assert hook.statuses == [500, 200]

A receiver that checks what it gets (a signature, say) passes `handler=`: a function of
the Received request that returns the Reply, as a real receiver would."""

from __future__ import annotations

import contextlib
import email
import email.policy
import json
import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, *, timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


# --- HTTP -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    status: int = 200
    delay: float = 0.0  # seconds to wait before answering (a slow or hanging receiver)
    body: bytes = b"ok"


@dataclass
class Received:
    method: str
    path: str
    headers: Message  # case-insensitive .get()
    body: bytes
    at: float = field(default_factory=time.time)
    status: int | None = None  # what the server answered
    note: str = ""  # what a handler concluded, e.g. "verified"

    def json(self):
        return json.loads(self.body)


class HTTPReceiver:
    """A real HTTP server on a free port of 127.0.0.1 that records every request."""

    def __init__(self, script=(200,), *, handler=None):
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._received: list[Received] = []
        self._script: list[Reply] = []
        self.handler = handler
        self.script(*script)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def script(self, *replies) -> None:
        """Answer the next requests with these replies (ints are status codes); the last
        one repeats."""
        steps = [r if isinstance(r, Reply) else Reply(status=int(r)) for r in replies]
        if not steps:
            raise ValueError("a script needs at least one reply")
        with self._lock:
            self._script = steps

    @property
    def requests(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    @property
    def statuses(self) -> list[int | None]:
        return [request.status for request in self.requests]

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        return wait_until(lambda: len(self.requests) >= count, timeout=timeout)

    def start(self) -> HTTPReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers that are still "slow"
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> HTTPReceiver:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _next_reply(self, request: Received) -> Reply:
        if self.handler is not None:
            return self.handler(request)
        with self._lock:
            return self._script.pop(0) if len(self._script) > 1 else self._script[0]

    def _handler_class(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                request = Received(
                    method=self.command,
                    path=self.path,
                    headers=self.headers,
                    body=self.rfile.read(length) if length else b"",
                )
                reply = receiver._next_reply(request)
                request.status = reply.status
                with receiver._lock:
                    receiver._received.append(request)
                if reply.delay and receiver._stopping.wait(reply.delay):
                    return
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(reply.body)
                except OSError:  # the client gave up waiting (timeout): as in real life
                    pass
                self.close_connection = True

            do_POST = do_GET = do_PUT = _handle

            def log_message(self, format, *args):  # keep pytest's output clean
                pass

        return Handler


# --- SMTP -----------------------------------------------------------------------------------


@dataclass
class Mail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""


class SMTPReceiver:
    """A real SMTP server (aiosmtpd) on a free port of 127.0.0.1 that keeps every mail."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.mails: list[Mail] = []
        self.port = free_port()
        self.host = "127.0.0.1"
        self._controller = Controller(self, hostname=self.host, port=self.port)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        self.mails.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        return wait_until(lambda: len(self.mails) >= count, timeout=timeout)

    def __enter__(self) -> SMTPReceiver:
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every line
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self._controller.stop()


# --- Broker ---------------------------------------------------------------------------------

UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1: refused at once


@contextlib.contextmanager
def broker_url_for_publishing(url: str):
    """Point this process's publishing side at `url`, then restore it. broker_write_url is
    what publishing uses; it wins over the CELERY_BROKER_URL environment variable, which
    wins over `broker_url`. The worker processes are not affected."""
    from config.celery import app
    from incidents.kernel.broker import broker_reset

    saved = {key: app.conf.get(key) for key in ("broker_url", "broker_write_url")}
    _forget_pools(app)
    app.conf["broker_url"] = app.conf["broker_write_url"] = url
    broker_reset()
    try:
        yield app
    finally:
        _forget_pools(app)
        for key, value in saved.items():
            app.conf[key] = value
        broker_reset()  # the broker is back: publish again at once


def _forget_pools(app) -> None:
    """Make the next publish connect to the broker URL in force (what Celery does after a
    fork). Not `app.close()`: in Celery 5.7 it keeps the producer pool and deregisters the
    app."""
    app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None
    control = app.__dict__.get("control")
    if control is not None:
        control.mailbox.__dict__.pop("producer_pool", None)  # a cached_property

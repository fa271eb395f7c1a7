"""`manage.py runstack`: the whole local stack in one foreground process.

Starts the web server, a Celery worker and Celery beat as child processes, prefixes and
forwards their output, waits until the web answers /healthz, then prints the admin URL and
the login. Ctrl-C (SIGINT) or SIGTERM stops all three; if one of them dies, the others are
stopped and the command exits non-zero. When HARBORMASTER_BASE_URL is unset, the three
get it set to runstack's own address (http://127.0.0.1:<port>), so the links in pages and
e-mails point at the site that is running.

For local use (`make run`). A production deployment runs gunicorn, the worker and exactly
one beat as separate services instead (see README.md).
"""

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from .bootstrap import settings_module


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen | None = None
    reader: threading.Thread | None = field(default=None, repr=False)


def _set_parent_death_signal() -> None:  # pragma: no cover - runs in the child
    """Linux: if runstack itself is killed hard, the kernel sends the child SIGTERM."""
    try:
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGTERM))
    except (OSError, AttributeError):
        pass


class Command(BaseCommand):
    help = (
        "Run web, a Celery worker and Celery beat together in the foreground; "
        "Ctrl-C stops all three."
    )
    requires_system_checks = []  # the web child runs them; don't run them twice

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="Web bind address.")
        parser.add_argument(
            "--port",
            type=int,
            default=int(os.environ.get("PORT") or 8000),
            help="Web port (default: $PORT or 8000).",
        )
        parser.add_argument(
            "--startup-timeout",
            type=float,
            default=90.0,
            help="Seconds to wait for /healthz before giving up.",
        )
        parser.add_argument(
            "--stop-timeout",
            type=float,
            default=20.0,
            help="Seconds each process gets to stop before it is killed.",
        )

    def handle(self, *args, host, port, startup_timeout, stop_timeout, **options):
        if settings_module().rsplit(".", 1)[-1] == "production":
            raise CommandError(
                "runstack is for local use. In production run gunicorn, the Celery worker "
                "and exactly one Celery beat as separate services (see README.md)."
            )
        self.stop_timeout = stop_timeout
        self.output_lock = threading.Lock()
        self.stop_signal: int | None = None
        self.child_env = self.environment(host, port)
        self.children = self.build_children(host, port)

        previous = {
            sig: signal.signal(sig, self.on_signal) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            return self.supervise(host, port, startup_timeout)
        finally:
            self.stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    # --- processes ----------------------------------------------------------------------
    def build_children(self, host: str, port: int) -> list[Child]:
        base_dir = Path(settings.BASE_DIR)
        var_dir = Path(settings.VAR_DIR)
        (var_dir / "run").mkdir(parents=True, exist_ok=True)
        python = sys.executable
        sqlite = settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
        # SQLite takes one writer at a time: a single worker process avoids lock contention.
        pool = ["--pool=solo"] if sqlite else ["--concurrency=2"]
        return [
            Child(
                "web",
                [python, str(base_dir / "manage.py"), "runserver", f"{host}:{port}", "--noreload"],
            ),
            Child(
                "worker",
                [python, "-m", "celery", "-A", "config", "worker", "-l", "INFO", *pool,
                 "-n", "worker@%h"],
            ),
            Child(
                "beat",
                [python, "-m", "celery", "-A", "config", "beat", "-l", "INFO",
                 "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler",
                 "--pidfile", str(var_dir / "run" / "celerybeat.pid"),
                 "--schedule", str(var_dir / "run" / "celerybeat-schedule")],
            ),
        ]  # fmt: skip

    @staticmethod
    def environment(host: str, port: int) -> dict[str, str]:
        """The children's environment: ours, unbuffered, the settings module, and the
        site's own address as HARBORMASTER_BASE_URL unless one is set."""
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "DJANGO_SETTINGS_MODULE": settings_module(),
        }
        if not os.environ.get("HARBORMASTER_BASE_URL"):
            shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
            env["HARBORMASTER_BASE_URL"] = f"http://{shown}:{port}"
        return env

    def start(self, child: Child) -> None:
        env = self.child_env
        # Each child gets its own session, so a Ctrl-C in the terminal reaches only this
        # process, which then stops the children in order (a second SIGINT would turn the
        # worker's warm shutdown into a cold one).
        child.process = subprocess.Popen(
            child.argv,
            cwd=settings.BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_set_parent_death_signal if sys.platform == "linux" else None,
        )

    def forward_output(self, child: Child) -> None:
        prefix = f"{child.name:<6} | "
        for raw in iter(child.process.stdout.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.emit(prefix + line)
        child.process.stdout.close()

    def emit(self, line: str) -> None:
        with self.output_lock:
            self.stdout.write(line)
            self.stdout.flush()

    def on_signal(self, signum, frame):
        if self.stop_signal is None:
            self.stop_signal = signum
            self.emit(f"runstack | {signal.Signals(signum).name} received, stopping…")

    # --- the loop -----------------------------------------------------------------------
    def supervise(self, host: str, port: int, startup_timeout: float):
        # Start every child first, then the reader threads (no fork while threads run).
        for child in self.children:
            self.start(child)
            self.emit(f"runstack | started {child.name} (pid {child.process.pid})")
        for child in self.children:
            child.reader = threading.Thread(target=self.forward_output, args=(child,))
            child.reader.daemon = True
            child.reader.start()

        health_url = f"http://{host}:{port}/healthz"
        deadline = time.monotonic() + startup_timeout
        announced = False
        while self.stop_signal is None:
            dead = [c for c in self.children if c.process.poll() is not None]
            if dead:
                names = ", ".join(f"{c.name} (exit {c.process.returncode})" for c in dead)
                raise CommandError(f"{names} stopped unexpectedly; stopping the others.")
            if not announced:
                if self.healthy(health_url):
                    self.announce(host, port)
                    announced = True
                elif time.monotonic() > deadline:
                    raise CommandError(
                        f"{health_url} did not answer within {startup_timeout:.0f}s."
                    )
            time.sleep(0.25 if not announced else 0.5)

    @staticmethod
    def healthy(url: str) -> bool:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError, ValueError):
            return False

    def announce(self, host: str, port: int) -> None:
        shown_host = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host
        url = f"http://{shown_host}:{port}/admin/"
        username = self.login_name()
        if username:
            login = (
                f"log in as {username} (the password was printed by `manage.py bootstrap` "
                "when the user was created)"
            )
        else:
            login = "no superuser yet: run `manage.py bootstrap` or `manage.py createsuperuser`"
        self.emit(
            "\n"
            "runstack | Harbormaster is running (web, worker, beat).\n"
            f"runstack |   Admin: {url}\n"
            f"runstack |   Login: {login}\n"
            f"runstack |   Links in pages: {self.child_env['HARBORMASTER_BASE_URL']}\n"
            "runstack | Press Ctrl-C to stop all three.\n"
        )

    @staticmethod
    def login_name() -> str | None:
        wanted = os.environ.get("DJANGO_SUPERUSER_USERNAME", "").strip()
        user_model = get_user_model()
        try:
            superusers = user_model._default_manager.filter(is_superuser=True, is_active=True)
            if wanted and superusers.filter(**{user_model.USERNAME_FIELD: wanted}).exists():
                return wanted
            first = superusers.order_by("pk").first()
            return first.get_username() if first else None
        except DatabaseError:
            return None

    def stop_all(self) -> None:
        running = [c for c in self.children if c.process and c.process.poll() is None]
        for child in running:
            self.emit(f"runstack | stopping {child.name} (pid {child.process.pid})")
            with contextlib.suppress(ProcessLookupError):
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        for child in self.children:
            if child.process is None:
                continue
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.emit(f"runstack | {child.name} did not stop in time; killing it")
                child.process.kill()
                child.process.wait()
            # Anything the child left behind in its process group (e.g. pool processes).
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(child.process.pid, signal.SIGKILL)
        for child in self.children:
            if child.reader is not None:
                child.reader.join(timeout=2)
        if self.stop_signal is not None:
            self.emit("runstack | stopped.")

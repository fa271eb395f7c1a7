"""`manage.py runstack`: web + worker + beat in one foreground process."""

import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from incidents.management.commands.runstack import Command

ROOT = Path(__file__).resolve().parents[3]


# --- runstack ---------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_tree(root: int) -> list[int]:
    """Every live descendant of `root`, from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if state != "Z":
            children.setdefault(int(ppid), []).append(int(entry))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def is_running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


class Stack:
    """`manage.py runstack` in a subprocess, its output collected line by line."""

    def __init__(self, env: dict[str, str]):
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "runstack", "--stop-timeout", "15"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def output(self) -> str:
        while not self._queue.empty():
            line = self._queue.get_nowait()
            if line is not None:
                self.lines.append(line)
        return "\n".join(self.lines)

    def wait_for(self, pattern: str, timeout: float = 45) -> re.Match:
        """The first line, printed so far or within `timeout`, that matches `pattern`."""
        for line in self.lines:
            if match := re.search(pattern, line):
                return match
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=0.5)
            except queue.Empty:
                continue
            if line is None:
                break
            self.lines.append(line)
            if match := re.search(pattern, line):
                return match
        pytest.fail(f"runstack never printed {pattern!r}:\n{self.output()}")

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def stack_base_env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "HARBORMASTER_BASE_URL")
        and not k.startswith("DJANGO_SUPERUSER_")
    }
    return env | {"DJANGO_SETTINGS_MODULE": "config.settings.local", "PYTHONUNBUFFERED": "1"}


@pytest.fixture(scope="module")
def migrated_var_dir(tmp_path_factory) -> Path:
    """A migrated SQLite database with the admin user, made once for the runstack tests."""
    var_dir = tmp_path_factory.mktemp("stack") / "var"
    env = stack_base_env() | {"HARBORMASTER_VAR_DIR": str(var_dir)}
    for args in (["migrate", "--no-input", "-v", "0"], ["bootstrap", "--no-demo"]):
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, done.stdout + done.stderr
    return var_dir


@pytest.fixture
def stack_env(tmp_path, migrated_var_dir):
    """A private var dir (SQLite copy, filesystem broker) and a free port."""
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    # The migrating process has exited, so the WAL was checkpointed into the main file.
    shutil.copy2(migrated_var_dir / "harbormaster.sqlite3", var_dir / "harbormaster.sqlite3")
    return stack_base_env() | {"HARBORMASTER_VAR_DIR": str(var_dir), "PORT": str(free_port())}


@pytest.fixture
def start_stack():
    stacks: list[Stack] = []

    def start(env):
        stacks.append(Stack(env))
        return stacks[-1]

    yield start
    for stack in stacks:  # never leave a stack behind, whatever the test did
        tree = process_tree(stack.process.pid)
        stack.kill()
        for pid in tree:
            if is_running(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.slow
def test_runstack_serves_and_stops_web_worker_and_beat_on_ctrl_c(stack_env, start_stack):
    port = stack_env["PORT"]
    stack = start_stack(stack_env)
    url = stack.wait_for(r"Admin: (http://\S+/admin/)", timeout=60)[1]
    assert url == f"http://localhost:{port}/admin/"
    stack.wait_for(r"Login: log in as admin\b", timeout=5)
    stack.wait_for(rf"Links in pages: http://127\.0\.0\.1:{port}(?!\d)", timeout=5)

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
        assert response.status == 200
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/", timeout=5) as response:
        assert response.status == 200
    stack.wait_for(r"^worker \| .*ready\.", timeout=30)

    children = process_tree(stack.process.pid)
    roles = {"runserver": False, " worker ": False, " beat ": False}
    for pid in children:
        for role in roles:
            roles[role] |= role in cmdline(pid)
    assert all(roles.values()), (roles, [cmdline(pid) for pid in children])
    # Links in pages point at this stack, in the web, the worker and beat alike.
    for pid in children:
        if any(role in cmdline(pid) for role in roles):
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            assert f"HARBORMASTER_BASE_URL=http://127.0.0.1:{port}".encode() in environ

    stack.process.send_signal(signal.SIGINT)
    assert stack.process.wait(timeout=30) == 0, stack.output()
    output = stack.output()
    assert "runstack | stopped." in output
    assert "Warm shutdown" in output  # the worker was asked to finish, not killed
    leftovers = [(pid, cmdline(pid)) for pid in children if is_running(pid)]
    assert leftovers == []


@pytest.mark.slow
def test_runstack_stops_everything_and_fails_when_a_child_dies(stack_env, start_stack):
    stack = start_stack(stack_env)
    stack.wait_for(r"Admin: http://", timeout=60)
    children = process_tree(stack.process.pid)
    beat = next(pid for pid in children if " beat " in cmdline(pid))

    os.kill(beat, signal.SIGKILL)
    returncode = stack.process.wait(timeout=30)
    assert returncode != 0
    assert re.search(r"beat \(exit -9\) stopped unexpectedly", stack.output())
    assert [pid for pid in children if is_running(pid)] == []


def test_runstack_refuses_production_settings(settings):
    settings.SETTINGS_MODULE = "config.settings.production"
    with pytest.raises(CommandError, match="runstack is for local use"):
        call_command("runstack", stdout=StringIO())


# --- the children's environment: HARBORMASTER_BASE_URL ----------------------------------
def test_runstack_gives_its_children_its_own_address_as_base_url(monkeypatch):
    monkeypatch.delenv("HARBORMASTER_BASE_URL", raising=False)
    assert Command.environment("127.0.0.1", 8123)["HARBORMASTER_BASE_URL"] == (
        "http://127.0.0.1:8123"
    )
    # Bound to every interface: the links still name an address a browser can open.
    assert Command.environment("0.0.0.0", 9000)["HARBORMASTER_BASE_URL"] == (
        "http://127.0.0.1:9000"
    )


def test_runstack_keeps_a_base_url_that_is_set(monkeypatch):
    monkeypatch.setenv("HARBORMASTER_BASE_URL", "https://harbormaster.example.com")
    env = Command.environment("127.0.0.1", 8123)
    assert env["HARBORMASTER_BASE_URL"] == "https://harbormaster.example.com"
    assert env["PYTHONUNBUFFERED"] == "1"

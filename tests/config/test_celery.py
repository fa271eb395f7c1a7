"""Celery end to end: a real worker process consumes what another process publishes, over
Redis when CELERY_BROKER_URL is set (CI) and over the filesystem broker that `make run`
uses by default."""

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

# Real worker processes: make test-fast skips them.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
STRIPPED = ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "CELERY_BROKER_URL", "HARBORMASTER_VAR_DIR")


def base_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in STRIPPED}
    env["PYTHONUNBUFFERED"] = "1"
    return env | extra


class Worker:
    """A `celery -A config worker` subprocess whose log is a file we can poll."""

    def __init__(self, env: dict[str, str], log: Path, *args: str):
        self.log = log
        self.name = f"pytest-{uuid.uuid4().hex[:8]}@localhost"
        self._log_file = log.open("w")
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "INFO",
                "--pool=solo", "-n", self.name, "--without-gossip", "--without-mingle", *args,
            ],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )  # fmt: skip

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, text: str, timeout: float = 45) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output():
                return
            if self.process.poll() is not None:
                pytest.fail(f"worker exited ({self.process.returncode}):\n{self.output()}")
            time.sleep(0.2)
        pytest.fail(f"worker never logged {text!r} within {timeout}s:\n{self.output()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # warm shutdown
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log_file.close()


@pytest.fixture
def start_worker(tmp_path):
    workers: list[Worker] = []

    def start(env: dict[str, str], *args: str) -> Worker:
        worker = Worker(env, tmp_path / f"worker-{len(workers)}.log", *args)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()
    for worker in workers:
        assert worker.process.poll() is not None, "worker still running after the test"


@pytest.mark.redis
def test_a_real_worker_on_redis_answers_ping_and_runs_a_task(start_worker, settings):
    broker_url = os.environ["CELERY_BROKER_URL"]
    assert broker_url == settings.CELERY_BROKER_URL
    assert broker_url.startswith(("redis://", "rediss://"))
    queue = f"pytest-{uuid.uuid4().hex[:8]}"  # private queue: other workers can't steal it
    worker = start_worker(
        base_env(DJANGO_SETTINGS_MODULE="config.settings.test", CELERY_BROKER_URL=broker_url),
        "-Q",
        queue,
    )
    worker.wait_for("ready.")

    from config.celery import app

    deadline = time.monotonic() + 30
    replies = []
    while not replies and time.monotonic() < deadline:
        replies = app.control.ping(destination=[worker.name], timeout=1.0)
    assert replies == [{worker.name: {"ok": "pong"}}], worker.output()

    result = app.send_task("celery.accumulate", args=(20, 22), queue=queue)
    worker.wait_for(f"Task celery.accumulate[{result.id}] succeeded", timeout=30)
    assert f"Task celery.accumulate[{result.id}] received" in worker.output()


def test_without_broker_url_the_filesystem_broker_carries_tasks_between_processes(
    start_worker, tmp_path
):
    """`make run` needs no broker server: publish from one process, a worker consumes it."""
    var_dir = tmp_path / "var"
    env = base_env(
        DJANGO_SETTINGS_MODULE="config.settings.local", HARBORMASTER_VAR_DIR=str(var_dir)
    )

    shown = subprocess.run(
        [
            sys.executable, "manage.py", "shell", "-v", "0", "-c",
            "import json; from django.conf import settings; print(json.dumps("
            "[settings.CELERY_BROKER_URL, settings.CELERY_BROKER_TRANSPORT_OPTIONS]))",
        ],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    broker_url, options = json.loads(shown.stdout.strip().splitlines()[-1])
    assert broker_url.startswith("filesystem://")
    for key in ("data_folder_in", "data_folder_out", "processed_folder"):
        folder = Path(options[key])
        assert folder.is_dir(), key
        assert var_dir / "broker" in folder.parents, f"{key} must live under the var dir"

    worker = start_worker(env)
    worker.wait_for("ready.")
    published = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "config", "call", "celery.accumulate",
         "--args", "[1, 2]"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert published.returncode == 0, published.stderr
    task_id = published.stdout.strip().splitlines()[-1]
    worker.wait_for(f"Task celery.accumulate[{task_id}] succeeded", timeout=30)
    assert "(1, 2)" in worker.output()

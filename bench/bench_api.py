"""REST API: ingest throughput, and the incident list's query count and latency.

    .venv/bin/python bench/bench_api.py                 # the figures in bench/README.md
    .venv/bin/python bench/bench_api.py --help          # sizes, concurrency, names

Self-contained, run by hand (not part of the test suite). It creates its own PostgreSQL
databases (`<prefix>_ingest` and `<prefix>_list`, refusing to touch existing ones) and uses
one Redis database of its own (refused unless empty), then:

1. Ingest: migrates `<prefix>_ingest`, creates an API key (scopes ingest, incidents:read),
   starts gunicorn (`config.wsgi`, production settings with SECURE_SSL_REDIRECT=false, the
   API throttles set very high) and fires `--alerts` generic alerts over `--fingerprints`
   fingerprints from a pool of `--concurrency` client threads. Prints alerts/s and latency,
   then checks the database: one incident per fingerprint, every alert stored, no 5xx.
   Also reports the CPU time of the gunicorn workers and of the database's PostgreSQL
   backends (/proc), the ERRORs PostgreSQL logged for the database, and the queries of one
   opening and one repeated alert.
2. List: migrates `<prefix>_list`, seeds `manage.py seed_demo --incidents` up to each size in
   `--sizes` (seed 1, then seed 2 for the rest), runs VACUUM ANALYZE, and for each URL of
   the list endpoint counts the SQL queries of one request (in process: django.test.Client
   + CaptureQueriesContext on the same database) and times `--gets` sequential GETs
   through gunicorn (p50/p95). On the largest size it walks every page with the `next`
   links (every incident must come exactly once; also 40 pages of `?ordering=severity`),
   EXPLAINs the page queries and compares with what OFFSET pagination and a count(*)
   would cost.
3. Ingest again, into the database that now holds the largest size (new fingerprints).

The exit status is 1 when an ingest check fails (a non-202 answer, a traceback, or the
database not holding exactly what was sent). `--json PATH` writes every figure.

Gunicorn is stopped, the databases dropped and the Redis database flushed at the end,
also after an error or Ctrl-C (`--keep` keeps the databases for a look).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
INGEST_PATH = "/api/v1/ingest/generic/"
LIST_PATH = "/api/v1/incidents/"
SERVICES = ("web-app", "api", "payments", "search", "auth", "listings-db", "media-cdn")
SYMPTOMS = ("5xx rate above 5 %", "p95 latency above 2 s", "health check failing", "queue backlog")


def log(message: str = "") -> None:
    print(message, flush=True)


def pct(values: list[float], p: int) -> float:
    """The p-th percentile (inclusive method), in the unit of `values`."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


# --- machine -----------------------------------------------------------------------------------
def machine(pg_admin_url: str) -> dict:
    import psycopg

    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
        shared_buffers = conn.execute("SHOW shared_buffers").fetchone()[0]
    import django
    import gunicorn

    return {
        "cpus": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "ram_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "postgresql": pg,
        "shared_buffers": shared_buffers,
        "python": platform.python_version(),
        "django": django.__version__,
        "gunicorn": gunicorn.__version__,
    }


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# --- CPU accounting (from /proc: gunicorn workers, PostgreSQL backends, this client) -------
def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # utime and stime are fields 14 and 15 of stat; after "comm)" they are 12 and 13.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _pg_backends(dbname: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if cmdline.startswith("postgres: ") and f" {dbname} " in cmdline:
            pids.append(int(entry.name))
    return pids


def _system_busy() -> tuple[float, float]:
    """(busy, total) jiffies over all CPUs."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


class CpuMeter:
    """CPU used by the gunicorn workers and this database's PostgreSQL backends during the
    block, sampled every 0.5 s (Django closes connections older than CONN_MAX_AGE, so
    backends come and go; at most the last half second of an exiting one is missed)."""

    def __init__(self, server: Gunicorn, dbname: str):
        self.server, self.dbname = server, dbname
        self.first: dict[str, dict[int, float]] = {"server": {}, "postgres": {}}
        self.last: dict[str, dict[int, float]] = {"server": {}, "postgres": {}}
        self.stopped = threading.Event()

    def _sample(self) -> None:
        pids = {
            "server": _children(self.server.process.pid),
            "postgres": _pg_backends(self.dbname),
        }
        for kind, found in pids.items():
            for pid in found:
                seconds = _cpu_seconds(pid)
                # A process first seen now started during the block: count from zero.
                self.first[kind].setdefault(pid, seconds if not self.started else 0.0)
                self.last[kind][pid] = max(seconds, self.last[kind].get(pid, 0.0))

    def _poll(self) -> None:
        while not self.stopped.wait(0.5):
            self._sample()

    def __enter__(self):
        self.started = False
        self._sample()
        self.started = True
        self.client, self.system = sum(os.times()[:2]), _system_busy()
        self.thread = threading.Thread(target=self._poll, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        self.thread.join()
        self._sample()
        busy, total = (a - b for a, b in zip(_system_busy(), self.system, strict=True))

        def used(kind: str) -> float:
            return sum(v - self.first[kind].get(p, 0.0) for p, v in self.last[kind].items())

        self.result = {
            "gunicorn_workers_cpu_s": round(used("server"), 1),
            "postgres_backends_cpu_s": round(used("postgres"), 1),
            "client_cpu_s": round(sum(os.times()[:2]) - self.client, 1),
            "machine_busy_pct": round(100 * busy / total, 1) if total else None,
        }
        return False


# --- databases and Redis ---------------------------------------------------------------------
class Resources:
    """Everything this run created, undone in reverse order whatever happens."""

    def __init__(self, args):
        self.args = args
        self.stack = contextlib.ExitStack()
        self.tmp = Path(tempfile.mkdtemp(prefix="hm-bench-api."))
        self.stack.callback(self._rmtree, self.tmp)

    @staticmethod
    def _rmtree(path: Path) -> None:
        import shutil

        shutil.rmtree(path, ignore_errors=True)

    def check_free(self, names: list[str]) -> None:
        import psycopg

        with psycopg.connect(self.args.pg_admin_url, autocommit=True) as conn:
            for name in names:
                if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                    raise SystemExit(
                        f"database {name} already exists: not this run's to reuse or drop. "
                        "Pick another --db-prefix (or drop it yourself if it is your leftover)."
                    )

    def create_database(self, name: str) -> str:
        import psycopg

        self.check_free([name])
        with psycopg.connect(self.args.pg_admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        if self.args.keep:
            self.stack.callback(log, f"kept database {name}")
        else:
            self.stack.callback(self._drop_database, name)
        return database_url(self.args.pg_admin_url, name)

    def _drop_database(self, name: str) -> None:
        import psycopg

        close_django_connections()
        with psycopg.connect(self.args.pg_admin_url, autocommit=True) as conn:
            # Only databases this run created get here; FORCE ends our own idle sessions.
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        log(f"dropped database {name}")

    def claim_redis(self) -> str:
        import redis

        url = f"{self.args.redis_url.rstrip('/')}/{self.args.redis_db}"
        client = redis.Redis.from_url(url)
        if client.dbsize():
            raise SystemExit(
                f"Redis database {self.args.redis_db} is not empty: someone else may use it. "
                "Pick another --redis-db."
            )
        self.stack.callback(self._flush_redis, url)
        return url

    @staticmethod
    def _flush_redis(url: str) -> None:
        import redis

        client = redis.Redis.from_url(url)
        keys = client.dbsize()
        client.flushdb()
        log(f"flushed Redis {url} ({keys} keys)")


def database_url(admin_url: str, name: str) -> str:
    parts = urlsplit(admin_url)
    return parts._replace(path=f"/{name}").geturl()


def vacuum_analyze(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


# --- the environment of the server (and of the in-process Django) ---------------------------
def server_env(args, tmp: Path, db_url: str, redis_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CACHE_URL"))}
    env.update(
        {
            # Production settings as deployed, minus the HTTPS redirect (no TLS proxy here).
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": args.secret_key,
            "HARBORMASTER_AUDIT_HMAC_KEY": args.secret_key,  # production wants one (32+)
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "DATABASE_URL": db_url,
            # Broker and (production default) the throttle cache: a Redis db of our own.
            "CELERY_BROKER_URL": redis_url,
            "SECURE_SSL_REDIRECT": "false",
            # High enough never to throttle the benchmark; the throttle itself still runs.
            "API_THROTTLE_RATE": args.throttle_rate,
            "API_INGEST_THROTTLE_RATE": args.throttle_rate,
            "HARBORMASTER_VAR_DIR": str(tmp / "var"),
            "STATIC_ROOT": str(tmp / "static"),
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    (tmp / "static").mkdir(exist_ok=True)
    return env


def manage(env: dict, *argv: str) -> float:
    """Run a management command; local settings (seed_demo refuses production ones)."""
    command_env = {**env, "DJANGO_SETTINGS_MODULE": "config.settings.local", "DEBUG": "false"}
    started = time.perf_counter()
    subprocess.run([str(PYTHON), "manage.py", *argv], cwd=ROOT, env=command_env, check=True)
    return time.perf_counter() - started


# --- in-process Django (query counts, checks), pointed at one database at a time -------------
_django_ready = False


def django_use(env: dict) -> None:
    """Set up Django with the server's settings the first time, then switch databases."""
    global _django_ready
    if not _django_ready:
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        _django_ready = True
    from django.conf import settings
    from django.db import connection

    name = urlsplit(env["DATABASE_URL"]).path.lstrip("/")
    connection.close()
    settings.DATABASES["default"]["NAME"] = name
    connection.settings_dict["NAME"] = name


def close_django_connections() -> None:
    if _django_ready:
        from django.db import connections

        connections.close_all()


def create_key(name: str) -> str:
    from incidents.services.api_keys import api_key_create

    _key, raw = api_key_create(name=name, scopes="ingest,incidents:read")
    return raw


# --- gunicorn ----------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    def __init__(self, env: dict, workers: int, logfile: Path):
        self.port = free_port()
        self.logfile = logfile
        self.log_handle = logfile.open("ab")
        self.process = subprocess.Popen(
            [
                str(GUNICORN),
                "config.wsgi",
                "-w",
                str(workers),
                "-b",
                f"127.0.0.1:{self.port}",
                "--error-logfile",
                "-",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log_handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped by id, never by name
        )

    def wait_ready(self, key: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}):\n{self.tail()}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                status, _body, _t = http_get(self.port, LIST_PATH + "?page_size=1", key)
                if status == 200:
                    return
                raise RuntimeError(f"gunicorn answers {status}:\n{self.tail()}")
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer within {timeout} s:\n{self.tail()}")

    def tail(self, lines: int = 40) -> str:
        if not self.log_handle.closed:
            self.log_handle.flush()
        return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])

    def errors_logged(self) -> int:
        if not self.log_handle.closed:
            self.log_handle.flush()
        text = self.logfile.read_text(errors="replace")
        return text.count("Traceback") + text.count("[CRITICAL]")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # graceful: the master stops its workers
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log_handle.close()


def start_server(res: Resources, env: dict, key: str, label: str) -> Gunicorn:
    server = Gunicorn(env, res.args.workers, res.tmp / f"gunicorn-{label}.log")
    res.stack.callback(server.stop)
    server.wait_ready(key)
    return server


# --- HTTP client ---------------------------------------------------------------------------
def http_get(port: int, path: str, key: str, conn=None) -> tuple[int, bytes, float]:
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    started = time.perf_counter()
    conn.request("GET", path, headers={"Authorization": f"Bearer {key}"})
    response = conn.getresponse()
    body = response.read()
    return response.status, body, time.perf_counter() - started


def alert_bodies(count: int, fingerprints: int, seed: int, run: str) -> list[bytes]:
    """`count` generic alerts, exactly count/fingerprints per fingerprint, in random order."""
    rng = random.Random(seed)
    order = [n % fingerprints for n in range(count)]
    rng.shuffle(order)
    bodies = []
    for sequence, fp in enumerate(order):
        service = SERVICES[fp % len(SERVICES)]
        symptom = SYMPTOMS[fp % len(SYMPTOMS)]
        bodies.append(
            json.dumps(
                {
                    "title": f"{service}: {symptom} (check {run}-{fp:03d})",
                    "fingerprint": f"bench-{run}-{fp:03d}",
                    "status": "firing",
                    "id": f"bench-{run}-{sequence}",
                    "summary": f"Synthetic check {fp} of {service} is alerting.",
                    "details": {
                        "service": service,
                        # Every tenth check matches the "Critical alerts" rule (P1).
                        "severity": "critical" if fp % 10 == 0 else "warning",
                        "region": rng.choice(("eu-west-1", "eu-central-1", "us-east-1")),
                        "value": round(rng.uniform(1, 100), 2),
                    },
                }
            ).encode()
        )
    return bodies


def fire_alerts(port: int, key: str, bodies: list[bytes], concurrency: int) -> dict:
    local = threading.local()
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def post(body: bytes):
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        started = time.perf_counter()
        try:
            conn.request("POST", INGEST_PATH, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as error:
            conn.close()
            return "error", time.perf_counter() - started, type(error).__name__
        elapsed = time.perf_counter() - started
        if response.status == 202:
            return response.status, elapsed, json.loads(data)["results"][0]["action"]
        return response.status, elapsed, data.decode(errors="replace")[:300]

    started = time.perf_counter()
    pool = ThreadPoolExecutor(max_workers=concurrency)
    try:
        results = list(pool.map(post, bodies))
    finally:  # on Ctrl-C / SIGTERM, drop the alerts not sent yet instead of sending them
        pool.shutdown(wait=True, cancel_futures=True)
    wall = time.perf_counter() - started
    statuses = Counter(status for status, _t, _a in results)
    actions = Counter(action for status, _t, action in results if status == 202)
    latencies = [t for _s, t, _a in results]
    failures = Counter(f"{s}: {detail}" for s, _t, detail in results if s != 202)
    by_action = {
        action: [t for s, t, a in results if s == 202 and a == action] for action in actions
    }
    return {
        "alerts": len(bodies),
        "wall_s": round(wall, 2),
        "alerts_per_s": round(len(bodies) / wall, 1),
        "statuses": {str(k): v for k, v in statuses.items()},
        "errors": sum(v for k, v in statuses.items() if k != 202),
        "failures": dict(failures.most_common(5)),
        "actions": dict(actions),
        "latency_ms": {
            "p50": round(pct(latencies, 50) * 1000, 1),
            "p95": round(pct(latencies, 95) * 1000, 1),
            "p99": round(pct(latencies, 99) * 1000, 1),
            "max": round(max(latencies) * 1000, 1),
        },
        "latency_p50_ms_by_action": {
            action: round(pct(times, 50) * 1000, 1) for action, times in by_action.items()
        },
    }


def check_ingest(run: str, alerts: int, fingerprints: int, incidents_before: int) -> dict:
    """What the burst left in the database (in process, same database as the server)."""
    from django.db.models import Count, Sum

    from incidents.models import Alert, AlertGroup, Incident, TimelineEntry

    groups = AlertGroup.objects.filter(fingerprint__startswith=f"bench-{run}-")
    stored = Alert.objects.filter(fingerprint__startswith=f"bench-{run}-")
    incidents = Incident.objects.count() - incidents_before
    linked = stored.values("incident").distinct().count()
    per_group = groups.aggregate(total=Sum("occurrences"), n=Count("id"))
    notes = TimelineEntry.objects.filter(
        incident__in=groups.values("incident"), text__startswith="Alert repeated"
    )
    found = {
        "incidents_opened": incidents,
        "alerts_stored": stored.count(),
        "alerts_that_opened": stored.filter(opened_incident=True).count(),
        "incidents_linked": linked,
        "alert_groups": per_group["n"],
        "occurrences": per_group["total"],
        "repeat_notes": notes.count(),
    }
    expected = {
        "incidents_opened": fingerprints,
        "alerts_stored": alerts,
        "alerts_that_opened": fingerprints,
        "incidents_linked": fingerprints,
        "alert_groups": fingerprints,
        "occurrences": alerts,
        "repeat_notes": alerts - fingerprints,
    }
    found["ok"] = all(found[name] == value for name, value in expected.items())
    found["expected"] = expected
    return found


class PgLog:
    """Counts the ERROR lines PostgreSQL logged for one database from now on (best effort:
    needs a readable server log whose log_line_prefix has %d, as Debian's default does)."""

    def __init__(self, path: Path, dbname: str):
        self.path, self.dbname = path, dbname
        try:
            self.offset = path.stat().st_size
        except OSError:
            self.offset = None

    def errors(self) -> dict | None:
        if self.offset is None:
            return None
        with self.path.open("rb") as handle:
            handle.seek(self.offset)
            text = handle.read().decode(errors="replace")
        marker = f"@{self.dbname} ERROR:  "
        found = Counter(
            line.split(marker, 1)[1][:90] for line in text.splitlines() if marker in line
        )
        return dict(found)


def count_ingest_queries(key: str, run: str) -> dict:
    """SQL queries of one alert that opens an incident and of one that repeats it."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(headers={"authorization": f"Bearer {key}"})
    out = {}
    for n in range(2):
        body = {
            "title": f"query count probe {run}",
            "fingerprint": f"probe-{run}",
            "id": f"probe-{run}-{n}",
            "details": {"service": "api"},
        }
        with CaptureQueriesContext(connection) as queries:
            response = client.post(INGEST_PATH, body, content_type="application/json")
        action = response.json()["results"][0]["action"]
        out[action] = len(queries)
    return out


def run_ingest(res: Resources, env: dict, key: str, label: str, run: str) -> dict:
    from incidents.models import Incident

    args = res.args
    incidents_before = Incident.objects.count()
    server = start_server(res, env, key, label)
    bodies = alert_bodies(args.alerts, args.fingerprints, args.seed, run)
    log(
        f"  firing {len(bodies)} alerts over {args.fingerprints} fingerprints, "
        f"{args.concurrency} client threads, gunicorn -w {args.workers} (load {loadavg()})"
    )
    dbname = urlsplit(env["DATABASE_URL"]).path.lstrip("/")
    pg_log = PgLog(args.pg_log, dbname)
    with CpuMeter(server, dbname) as cpu:
        result = fire_alerts(server.port, key, bodies, args.concurrency)
    result["cpu"] = cpu.result
    result["load_after"] = loadavg()
    result["server_errors_logged"] = server.errors_logged()
    result["postgres_log_errors"] = pg_log.errors()
    result["redis"] = redis_keys(env["CELERY_BROKER_URL"])
    result["check"] = check_ingest(run, args.alerts, args.fingerprints, incidents_before)
    server.stop()
    result["queries_per_alert"] = count_ingest_queries(key, run)
    log(
        f"  {result['alerts_per_s']} alerts/s ({result['wall_s']} s), statuses "
        f"{result['statuses']}, actions {result['actions']}, latency {result['latency_ms']}"
    )
    if result["failures"]:
        log(f"  failures: {result['failures']}")
    log(f"  CPU: {result['cpu']}; tracebacks in gunicorn log: {result['server_errors_logged']}")
    log(f"  PostgreSQL log, errors of this database: {result['postgres_log_errors']}")
    log(f"  Redis: {result['redis']}")
    log(f"  queries per alert (in process, one more of each): {result['queries_per_alert']}")
    check = result["check"]
    log(f"  database: { ({k: v for k, v in check.items() if k != 'expected'}) }")
    result["ok"] = check["ok"] and not result["errors"] and not result["server_errors_logged"]
    if not result["ok"]:
        log(f"  !! CHECK FAILED, expected {check['expected']}")
    if result["server_errors_logged"]:
        log(server.tail())
    return result


# --- list endpoint ---------------------------------------------------------------------------
def list_urls(key: str) -> dict[str, str]:
    """The URLs measured: first page, a followed `next` link, a deep cursor, filters."""
    from django.test import Client

    from incidents.api.pagination import encode_keyset
    from incidents.choices import Category
    from incidents.models import Incident

    visible = Incident.objects.exclude(category=Category.SECURITY).order_by("-detected_at", "-id")
    total = visible.count()
    client = Client(headers={"authorization": f"Bearer {key}"})
    first = client.get(LIST_PATH).json()
    urls = {"first page": LIST_PATH}
    if first["next"]:
        urls["page 2 (next link)"] = urlsplit(first["next"])._replace(scheme="", netloc="").geturl()
    if total > 200:
        deep = visible.values_list("detected_at", "id")[int(total * 0.9)]
        urls["deep cursor (90 % in)"] = f"{LIST_PATH}?cursor={encode_keyset(list(deep))}"
    urls["severity=P1&status=resolved"] = f"{LIST_PATH}?severity=P1&status=resolved"
    urls["severity=P0&status=detected"] = f"{LIST_PATH}?severity=P0&status=detected"
    oldest = visible.last()
    if oldest is not None:
        urls["search=<oldest reference>"] = f"{LIST_PATH}?search={oldest.reference}"
    urls["ordering=severity"] = f"{LIST_PATH}?ordering=severity"
    return urls


def count_queries(key: str, url: str) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(headers={"authorization": f"Bearer {key}"})
    client.get(url)  # warm: the key's last_used_at is then fresh, caches are filled
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    body = response.json()
    return {
        "status": response.status_code,
        "queries": len(queries),
        "results": len(body.get("results", [])),
        "sql": [q["sql"] for q in queries.captured_queries],
        "sql_ms": round(sum(float(q["time"]) for q in queries.captured_queries) * 1000, 1),
    }


def time_gets(port: int, key: str, url: str, n: int) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for _ in range(5):  # warm every worker
        http_get(port, url, key, conn)
    times, sizes, statuses = [], set(), Counter()
    for _ in range(n):
        status, body, elapsed = http_get(port, url, key, conn)
        times.append(elapsed)
        statuses[status] += 1
        sizes.add(len(body))
    conn.close()
    return {
        "gets": n,
        "p50_ms": round(pct(times, 50) * 1000, 1),
        "p95_ms": round(pct(times, 95) * 1000, 1),
        "max_ms": round(max(times) * 1000, 1),
        "statuses": {str(k): v for k, v in statuses.items()},
        "bytes": max(sizes),
    }


def explain(sql: str) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql)
        return [row[0] for row in cursor.fetchall()]


def list_query(sqls: list[str]) -> str | None:
    """The page query: the SELECT on the incident table with a LIMIT."""
    for sql in sqls:
        if 'FROM "incidents_incident"' in sql and "LIMIT" in sql:
            return sql
    return None


def measure_list(res: Resources, port: int, key: str, size: int, deep_checks: bool) -> dict:
    from incidents.models import Incident

    args = res.args
    total = Incident.objects.count()
    log(f"\n  list endpoint with {total} incidents (load {loadavg()})")
    out = {"incidents": total, "urls": {}}
    for label, url in list_urls(key).items():
        queries = count_queries(key, url)
        timing = time_gets(port, key, url, args.gets)
        row = {"url": url, **{k: v for k, v in queries.items() if k != "sql"}, **timing}
        page_sql = list_query(queries["sql"])
        if deep_checks and page_sql:
            plan = explain(page_sql)
            row["plan"] = plan
            row["page_sql"] = page_sql
        out["urls"][label] = row
        log(
            f"    {label:32} {queries['queries']} queries ({queries['sql_ms']} ms SQL), "
            f"{queries['results']} results, p50 {timing['p50_ms']} ms, p95 {timing['p95_ms']} ms"
            f", max {timing['max_ms']} ms, {timing['bytes']} B, {timing['statuses']}"
        )
        if size == args.sizes[0] or deep_checks:
            for sql in queries["sql"]:
                log(f"        SQL: {sql[:220]}{'…' if len(sql) > 220 else ''}")
        if "plan" in row:
            for line in row["plan"]:
                log(f"        | {line}")
    if deep_checks:
        out["offset_vs_cursor"] = offset_vs_cursor()
        out["walk"] = walk_pages(port, key, LIST_PATH + "?page_size=200", limit=None)
        out["walk_severity"] = walk_pages(
            port, key, LIST_PATH + "?ordering=severity&page_size=200", limit=40
        )
    return out


def offset_vs_cursor() -> dict:
    """What a page deep in the list would cost with OFFSET, and what a total count costs."""
    from django.db import connection

    from incidents.choices import Category
    from incidents.models import Incident

    visible = Incident.objects.exclude(category=Category.SECURITY).order_by("-detected_at", "-id")
    total = visible.count()
    offset = int(total * 0.9)
    results = {}
    for label, queryset in {
        f"OFFSET {offset} LIMIT 51": visible[offset : offset + 51],
        "LIMIT 51 (first page)": visible[:51],
    }.items():
        sql, params = queryset.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + sql, params)
            plan = [row[0] for row in cursor.fetchall()]
        results[label] = plan[-1]
    sql, params = visible.order_by().values("id").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF) SELECT count(*) FROM ({sql}) t", params)
        results["count(*) of the visible incidents"] = cursor.fetchall()[-1][0]
    log("    without cursors (EXPLAIN ANALYZE):")
    for label, line in results.items():
        log(f"      {label}: {line}")
    return results


def walk_pages(port: int, key: str, url: str, limit: int | None) -> dict:
    """Follow `next` links; every incident must come once, and page cost stay flat."""
    from incidents.choices import Category
    from incidents.models import Incident

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    seen: Counter = Counter()
    times = []
    path = url
    pages = 0
    while path and (limit is None or pages < limit):
        status, body, elapsed = http_get(port, path, key, conn)
        if status != 200:
            return {"error": f"HTTP {status} on page {pages + 1}: {body[:200]!r}"}
        data = json.loads(body)
        times.append(elapsed)
        seen.update(item["reference"] for item in data["results"])
        pages += 1
        nxt = data["next"]
        path = urlsplit(nxt)._replace(scheme="", netloc="").geturl() if nxt else None
    conn.close()
    visible = Incident.objects.exclude(category=Category.SECURITY).count()
    result = {
        "url": url,
        "pages": pages,
        "complete": path is None,
        "rows": sum(seen.values()),
        "distinct": len(seen),
        "repeated": sum(1 for c in seen.values() if c > 1),
        "visible_incidents": visible,
        "page_ms": {
            "first": round(times[0] * 1000, 1),
            "p50": round(pct(times, 50) * 1000, 1),
            "p95": round(pct(times, 95) * 1000, 1),
            "last": round(times[-1] * 1000, 1),
        },
    }
    log(f"    walk {url}: {result}")
    return result


# --- main --------------------------------------------------------------------------------------
def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg-admin-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--db-prefix", default="hm_bench_api")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379")
    parser.add_argument("--redis-db", type=int, default=11)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--concurrency", type=int, default=16, help="client threads (ingest)")
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--fingerprints", type=int, default=100)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 100_000])
    parser.add_argument("--gets", type=int, default=200, help="sequential GETs per URL")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--throttle-rate", default="1000000/minute")
    parser.add_argument("--skip-second-ingest", action="store_true")
    parser.add_argument(
        "--pg-log", type=Path, default=Path("/var/log/postgresql/postgresql-15-main.log")
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    args = parser.parse_args()
    if args.alerts % args.fingerprints:
        parser.error("--alerts must be a multiple of --fingerprints")
    args.sizes = sorted(args.sizes)
    args.secret_key = secrets.token_urlsafe(50)
    return args


def main() -> int:
    args = parse_args()
    # SIGTERM unwinds like Ctrl-C, so the cleanup runs.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    results: dict = {"args": {k: str(v) for k, v in vars(args).items()}}
    res = Resources(args)
    with res.stack:
        results["machine"] = machine(args.pg_admin_url)
        results["load_at_start"] = loadavg()
        log(f"machine: {results['machine']}; load {results['load_at_start']}")
        res.check_free([f"{args.db_prefix}_ingest", f"{args.db_prefix}_list"])
        redis_url = res.claim_redis()

        # 1. Ingest into an empty database.
        log(f"\n1. ingest ({args.db_prefix}_ingest)")
        ingest_url = res.create_database(f"{args.db_prefix}_ingest")
        env = server_env(args, res.tmp, ingest_url, redis_url)
        manage(env, "migrate", "-v0")
        django_use(env)
        key = create_key("bench ingest")
        results["ingest"] = run_ingest(res, env, key, "ingest", "a")

        # 2. The list endpoint on seeded data.
        log(f"\n2. list endpoint ({args.db_prefix}_list)")
        list_url = res.create_database(f"{args.db_prefix}_list")
        env = server_env(args, res.tmp, list_url, redis_url)
        manage(env, "migrate", "-v0")
        django_use(env)
        key = create_key("bench list")
        server = None
        seeded = 0
        results["list"] = []
        for number, size in enumerate(args.sizes):
            add = size - seeded
            log(f"  seeding {add} incidents (seed_demo --seed {args.seed + number}) …")
            seconds = manage(
                env,
                "seed_demo",
                "--incidents",
                str(add),
                "--seed",
                str(args.seed + number),
                "--no-progress",
            )
            seeded = size
            vacuum_analyze(list_url)
            log(f"  seeded in {seconds:.0f} s; VACUUM ANALYZE done")
            if server is None:
                server = start_server(res, env, key, "list")
            deep = size == args.sizes[-1] and size > 1000
            entry = measure_list(res, server.port, key, size, deep_checks=deep)
            entry["seed_seconds"] = round(seconds)
            results["list"].append(entry)
        if server is not None:
            results["list_server_errors_logged"] = server.errors_logged()
            server.stop()

        # 3. Ingest again, into the big database.
        if not args.skip_second_ingest:
            log(f"\n3. ingest into the database with {seeded} incidents")
            results["ingest_big"] = run_ingest(res, env, key, "ingest-big", "b")
        results["load_at_end"] = loadavg()
        if args.json:
            args.json.write_text(json.dumps(results, indent=2, default=str))
            log(f"\nresults written to {args.json}")
    failed = [name for name in ("ingest", "ingest_big") if not results.get(name, {}).get("ok", 1)]
    if failed:
        log(f"checks failed in: {', '.join(failed)} (see above)")
    return 1 if failed else 0


def redis_keys(url: str) -> dict:
    import redis

    client = redis.Redis.from_url(url)
    out = {}
    for name in client.scan_iter(count=1000):
        kind = client.type(name).decode()
        if kind == "list":
            out[name.decode(errors="replace")] = f"list of {client.llen(name)}"
        elif kind == "string":
            out[name.decode(errors="replace")] = f"{client.strlen(name)} bytes"
        else:
            out[name.decode(errors="replace")] = kind
    return out


if __name__ == "__main__":
    sys.exit(main())

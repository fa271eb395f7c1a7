"""Escalation dispatcher: wall time and query count of one run, by number of open incidents.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hm_bench \\
        .venv/bin/python bench/bench_dispatcher.py --open 100 10000 100000 --due 100

For each size it starts from a fresh state (the incident tables are emptied), bulk-inserts
N open P1 incidents with the P1 matrix copied onto them, of which `--due` have level 1 due
and the rest have their next escalation in the future, runs VACUUM ANALYZE, then times
ONE `escalations_dispatch` call and counts its queries (median of `--repeat` runs, the
same incidents made due again between runs). Its cost must follow the number due, not
the number open. A last call at the same moment (nothing left due: "idle") is timed too.

The database is created if it does not exist; `--drop` drops it at the end. Pages are
written as Delivery rows and published to an in-memory broker (nothing is sent). Never
point it at a database you care about: it empties the incident tables.
"""

from __future__ import annotations

import argparse
import collections
import os
import platform
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")


def ensure_database(url: str, *, drop: bool = False) -> None:
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if drop and exists:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        elif not drop and not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        ram = f"{mem_kb / 1024 / 1024:.1f} GiB RAM"
    except (OSError, StopIteration):
        ram = "unknown RAM"
    return f"{os.cpu_count()} CPU(s), {cpu}, {ram}, Python {platform.python_version()}"


def reset_tables() -> None:
    from django.db import connection

    from incidents.models import (
        Delivery,
        EscalationEvent,
        Incident,
        IncidentEscalationStep,
        TimelineEntry,
    )

    models = [Incident, IncidentEscalationStep, EscalationEvent, Delivery, TimelineEntry]
    tables = [m._meta.db_table for m in models] + [
        m.history.model._meta.db_table for m in models if hasattr(m, "history")
    ]
    with connection.cursor() as cursor:
        # Bench databases only: the append-only triggers refuse TRUNCATE; replica mode
        # (superuser) skips them, as a restore would.
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        cursor.execute("SET session_replication_role = origin")


def seed(open_count: int, due_count: int, now) -> None:
    """`open_count` open P1 incidents; `due_count` of them have level 1 due at `now`."""
    from django.db import connection

    from incidents.choices import Category, DetectionSource, IncidentType, Severity
    from incidents.models import EscalationLevel, Incident, IncidentEscalationStep

    matrix = list(EscalationLevel.objects.filter(severity=Severity.P1).order_by("level"))
    batch = 5000
    for start in range(0, open_count, batch):
        rows = []
        for n in range(start, min(start + batch, open_count)):
            if n < due_count:  # detected two minutes ago: level 1 is due
                detected = now - timedelta(minutes=2)
            else:  # acknowledged, level 2 due within the next ten minutes
                detected = now - timedelta(minutes=20, seconds=n % 600)
            incident = Incident(
                reference=f"INC-BENCH-{n:07d}",
                title=f"Bench incident {n}",
                severity=Severity.P1,
                type=IncidentType.SERVICE_OUTAGE,
                category=Category.OPERATIONAL,
                detection_source=DetectionSource.CLOUDWATCH_ALARM,
                detected_at=detected,
                response_due_at=detected + timedelta(hours=1),
                acknowledged_at=None if n < due_count else detected + timedelta(minutes=1),
                next_escalation_at=detected if n < due_count else detected + timedelta(minutes=30),
            )
            rows.append(incident)
        Incident.objects.bulk_create(rows)
        IncidentEscalationStep.objects.bulk_create(
            IncidentEscalationStep(
                incident=incident,
                level=level.level,
                delay_minutes=level.delay_minutes,
                positions=level.positions,
                stop_condition=level.stop_condition,
                due_at=incident.detected_at + timedelta(minutes=level.delay_minutes),
            )
            for incident in rows
            for level in matrix
        )
    with connection.cursor() as cursor:
        # Fresh statistics and no autovacuum or checkpoint running during the measurement.
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("CHECKPOINT")


def rearm(due_count: int, now) -> None:
    """Make the same `due_count` incidents due again, as before the first run."""
    from incidents.models import Delivery, EscalationEvent, Incident, TimelineEntry

    due = Incident.objects.filter(reference__lt=f"INC-BENCH-{due_count:07d}")
    EscalationEvent.objects.filter(incident__in=due).delete()
    Delivery.objects.filter(incident__in=due).delete()
    TimelineEntry.objects.filter(incident__in=due).delete()
    due.update(next_escalation_at=now - timedelta(minutes=2), sla_breached_at=None)


def on_call_user(now):
    from django.contrib.auth import get_user_model

    from incidents.models import OnCallShift

    user, _ = get_user_model().objects.get_or_create(
        username="bench.oncall", defaults={"email": "bench.oncall@harborlist.test"}
    )
    OnCallShift.objects.filter(user=user).delete()
    OnCallShift.objects.create(
        user=user, starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=1)
    )


def explain_due_query(now) -> str:
    from django.db import connection

    from incidents.models import Incident

    # The query of the dispatcher's first batch (escalation.services.due_incidents).
    query = Incident.objects.filter(next_escalation_at__lte=now).order_by(
        "next_escalation_at", "pk"
    )
    sql, params = query.values_list("next_escalation_at", "pk")[:500].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING ON) " + sql, params)
        return "\n".join("    " + row[0] for row in cursor.fetchall())


def timed_dispatch(now):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from incidents.escalation.services import escalations_dispatch

    connection.queries_log = collections.deque()  # Django keeps only 9,000 by default
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = escalations_dispatch(now=now)
        elapsed = time.perf_counter() - started
    return result, elapsed, len(queries)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--open", type=int, nargs="+", default=[100, 10_000, 100_000])
    parser.add_argument("--due", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3, help="runs per size (median shown)")
    parser.add_argument("--drop", action="store_true", help="drop the database at the end")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        parser.error("set DATABASE_URL to a PostgreSQL database for the benchmark")
    ensure_database(url)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from config.celery import app

    call_command("migrate", verbosity=0, interactive=False)
    settings.HARBORMASTER_CHAT_WEBHOOK_URL = "http://127.0.0.1:9/bench-chat"  # written only
    app.conf["broker_write_url"] = "memory://localhost/"  # publish nowhere

    # Warm-up (imports, connection, plan cache), not shown.
    now = timezone.now().replace(microsecond=0)
    reset_tables()
    on_call_user(now)
    seed(10, 10, now)
    timed_dispatch(now)

    print(f"Machine: {machine()}")
    print(f"PostgreSQL: {connection.cursor().connection.info.server_version}")
    print(f"Load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    header = (
        f"{'open':>8} {'due':>5} {'fired':>6} {'min ms':>8} {'med ms':>8} {'queries':>8}"
        f" {'q/due':>6} {'ms/due':>7} | {'idle ms':>8} {'idle q':>6} {'seed s':>7}"
    )
    plans = {}
    print(header)
    print("-" * len(header))
    for open_count in args.open:
        due = min(args.due, open_count)
        now = timezone.now().replace(microsecond=0)
        reset_tables()
        on_call_user(now)
        seeding = time.perf_counter()
        seed(open_count, due, now)
        seeded = time.perf_counter() - seeding
        plans[open_count] = explain_due_query(now)
        runs = []
        for attempt in range(args.repeat):
            if attempt:
                rearm(due, now)
            result, elapsed, queries = timed_dispatch(now)
            assert result.levels_fired == due, result
            runs.append((elapsed, queries))
        _idle, idle_elapsed, idle_queries = timed_dispatch(now)
        elapsed = statistics.median(run[0] for run in runs)
        fastest = min(run[0] for run in runs)
        queries = max(run[1] for run in runs)
        print(
            f"{open_count:>8} {due:>5} {result.levels_fired:>6} {fastest * 1000:>8.0f}"
            f" {elapsed * 1000:>8.0f} {queries:>8} {queries / max(due, 1):>6.1f}"
            f" {elapsed * 1000 / max(due, 1):>7.1f}"
            f" | {idle_elapsed * 1000:>8.1f} {idle_queries:>6} {seeded:>7.1f}"
        )
    for open_count, plan in plans.items():
        print(f"\nPlan of the due query with {open_count} open incidents:\n{plan}")
    reset_tables()
    if args.drop:
        connection.close()
        ensure_database(url, drop=True)
        print(f"Dropped {urlparse(url).path.lstrip('/')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The KPI endpoint over 1,000,000 incidents beside the same aggregate written by hand in
SQL and run with psql, in the same run. PostgreSQL only.

    psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE hm_kpibench'
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/hm_kpibench
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/bench_kpis.py [--incidents 1000000] [--runs 5] [--reseed]

1. Seed (skipped when the database already holds --incidents bench incidents, unless
   --reseed): incidents, service links, escalation events, post-mortems and action items
   written by INSERT … SELECT generate_series in a few statements (about a minute for a
   million), with a realistic spread: severities P0 3 % / P1 12 % / P2 35 % / P3 50 %,
   categories security 15 % / operational 45 % / application 40 %, four years of detection
   times, 30 % unknown start, open / cancelled / reopened (no resolved_at) incidents,
   late and missing acknowledgements, 1 % drills, 0–2 services per incident, 1–3
   escalation levels on P0/P1 and breached incidents, post-mortems with action items on
   resolved P0/P1. `manage.py seed_demo --incidents N` makes realistic data through the
   domain rules (history, timelines, roles) but is far slower: use it for smaller sets.
   Everything it writes is bench data: run it on a throwaway database.
2. Times GET /api/v1/reports/kpis/ (Django test client, an API key with reports:read and
   incidents:security, the whole four years, group_by=severity): median of --runs after a
   warm-up, and the number of SQL queries the request runs.
3. Times the same numbers written by hand — one statement, GROUP BY GROUPING SETS ((),
   (severity)), percentile_cont — run with `psql -X -q` (its `\\timing`, and the wall time
   of the psql process), median of --runs; checks the two agree.
4. Prints the ratio, the query count and the machine (nproc, free -g, PostgreSQL, load)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

FROM, TO = "2022-01-01", "2025-12-31"  # `to` as a date includes the day: [2022-01-01, 2026-01-01)
SPAN_DAYS = 1461
BENCH_PREFIX = "INC-B"

SEED_INCIDENTS = """
SELECT setseed(0.42);
INSERT INTO incidents_incident (
    reference, title, summary, severity, type, category, status, detection_source, is_drill,
    started_at, detected_at, acknowledged_at, triaged_at, contained_at, resolved_at, closed_at,
    cancelled_at, response_due_at, sla_breached_at, next_escalation_at, users_affected,
    customer_impact, business_impact, data_integrity_impact, security_implications,
    personal_data_involved, resolution_summary, cancel_reason, version, created_at, updated_at)
SELECT
    'INC-B' || g, 'Bench incident ' || g, '', sev, typ, cat, st, 'cloudwatch_alarm', drill,
    CASE WHEN r_start < 0.7 THEN det - r_mttd * interval '2 hours' END,
    det,
    CASE WHEN st <> 'detected' AND NOT (st = 'cancelled' AND r_ack < 0.5)
         THEN det + r_ack * 1.3 * resp END,
    NULL,
    CASE WHEN st IN ('resolved', 'closed', 'contained') AND r_cont < 0.6
         THEN det + r_ack * 1.3 * resp + r_cont * interval '3 hours' END,
    CASE WHEN st IN ('resolved', 'closed')
         THEN det + r_ack * 1.3 * resp + r_res * r_res * interval '48 hours' END,
    CASE WHEN st = 'closed' THEN det + interval '10 days' END,
    CASE WHEN st = 'cancelled' THEN det + interval '20 minutes' END,
    det + resp,
    CASE WHEN st = 'detected' AND det + resp < TIMESTAMPTZ '2026-01-01' THEN det + resp END,
    NULL,
    CASE WHEN r_users < 0.75 THEN (r_users * r_users * r_users * 13000)::int END,
    '', '', '', '', false,
    CASE WHEN st IN ('resolved', 'closed') THEN 'Fixed.' ELSE '' END,
    CASE WHEN st = 'cancelled' THEN 'False alarm.' ELSE '' END,
    1, det, det
FROM (
    SELECT g, sev, typ, cat, st, det, drill, r_start, r_mttd, r_ack, r_cont, r_res, r_users,
           CASE sev WHEN 'P0' THEN interval '15 minutes' WHEN 'P1' THEN interval '1 hour'
                    WHEN 'P2' THEN interval '4 hours' ELSE interval '24 hours' END AS resp
    FROM (
        SELECT g,
            CASE WHEN r_sev < 0.03 THEN 'P0' WHEN r_sev < 0.15 THEN 'P1'
                 WHEN r_sev < 0.50 THEN 'P2' ELSE 'P3' END AS sev,
            (ARRAY['unauthorized_access', 'data_breach', 'malware', 'ddos', 'insider_threat',
                   'service_outage', 'performance_degradation', 'infrastructure_failure',
                   'deployment_issue', 'data_corruption', 'software_bug', 'api_failure',
                   'integration_problem', 'ui_issue', 'mobile_app_crash'])[
                CASE WHEN r_cat < 0.15 THEN 1 WHEN r_cat < 0.60 THEN 6 ELSE 11 END
                + floor(r_typ * 5)::int] AS typ,
            CASE WHEN r_cat < 0.15 THEN 'security' WHEN r_cat < 0.60 THEN 'operational'
                 ELSE 'application' END AS cat,
            CASE WHEN r_st < 0.80 THEN 'closed' WHEN r_st < 0.85 THEN 'resolved'
                 WHEN r_st < 0.90 THEN 'cancelled' WHEN r_st < 0.93 THEN 'detected'
                 WHEN r_st < 0.97 THEN 'investigating' ELSE 'contained' END AS st,
            TIMESTAMPTZ '2022-01-01 00:00:00+00'
                + (g::float8 / %(n)s) * interval '%(span)s days'
                + r_jitter * interval '1 hour' AS det,
            r_drill < 0.01 AS drill,
            r_start, r_mttd, r_ack, r_cont, r_res, r_users
        FROM (
            SELECT g, random() AS r_sev, random() AS r_cat, random() AS r_typ,
                   random() AS r_st, random() AS r_jitter, random() AS r_drill,
                   random() AS r_start, random() AS r_mttd, random() AS r_ack,
                   random() AS r_cont, random() AS r_res, random() AS r_users
            FROM generate_series(1, %(n)s) AS g
            OFFSET 0  -- keep each random() evaluated once per row
        ) raw
    ) shaped
) s;
"""

SEED_REST = """
INSERT INTO incidents_service (name, description, owning_team, tier, customer_facing)
SELECT 'bench-svc-' || lpad(s::text, 2, '0'), '', 'bench', 2, true
FROM generate_series(1, 20) s
ON CONFLICT (name) DO NOTHING;

-- 0–2 services: 60 in 100 one, 15 in 100 two.
WITH svc AS (SELECT array_agg(id ORDER BY name) AS ids FROM incidents_service
             WHERE name LIKE 'bench-svc-%%'),
     inc AS (SELECT id, random() AS r FROM incidents_incident WHERE reference LIKE 'INC-B%%'
             OFFSET 0)
INSERT INTO incidents_incident_affected_services (incident_id, service_id)
SELECT inc.id, svc.ids[1 + inc.id %% 20] FROM inc, svc WHERE inc.r < 0.75
UNION ALL
SELECT inc.id, svc.ids[1 + (inc.id + 7) %% 20] FROM inc, svc WHERE inc.r < 0.15;

-- Escalation levels: P0 three, P1 two, others one when the SLA was breached.
INSERT INTO incidents_escalationevent (incident_id, level, fired_at, due_at, reason,
                                       positions, targets)
SELECT i.id, lvl, i.detected_at + lvl * interval '15 minutes',
       i.detected_at + lvl * interval '15 minutes', 'scheduled', '[]', '[]'
FROM incidents_incident i
CROSS JOIN generate_series(1, 3) lvl
WHERE i.reference LIKE 'INC-B%%' AND lvl <= CASE
    WHEN i.severity = 'P0' THEN 3 WHEN i.severity = 'P1' THEN 2
    WHEN i.sla_breached_at IS NOT NULL OR i.acknowledged_at > i.response_due_at THEN 1
    ELSE 0 END;

-- Post-mortems on resolved P0/P1 (seven in ten published), two action items each.
INSERT INTO postmortems_postmortem (
    incident_id, status, owner_id, due_at, review_meeting_at, occurred_at, impact,
    root_cause, timeline, went_well, could_improve, lessons_learned, submitted_at,
    approved_by_id, published_at, created_at)
SELECT i.id, CASE WHEN r < 0.7 THEN 'published' ELSE 'draft' END, %(user)s,
       i.resolved_at + interval '7 days', NULL, COALESCE(i.started_at, i.detected_at),
       '', '', '', '', '', '', NULL,
       CASE WHEN r < 0.7 THEN %(user)s END,
       CASE WHEN r < 0.7 THEN i.resolved_at + interval '3 days' END,
       i.resolved_at
FROM (SELECT id, started_at, detected_at, resolved_at, random() AS r
      FROM incidents_incident
      WHERE reference LIKE 'INC-B%%' AND severity IN ('P0', 'P1') AND resolved_at IS NOT NULL
      OFFSET 0) i;

INSERT INTO postmortems_actionitem (postmortem_id, description, owner_id, due_date, status,
                                    ticket_url, created_at, completed_at, next_reminder_at,
                                    reminders_sent)
SELECT pm.id, 'Bench action ' || n, %(user)s, (pm.created_at + interval '14 days')::date,
       (ARRAY['open', 'in_progress', 'done', 'done', 'wont_do'])[1 + (pm.id + n) %% 5],
       '', pm.created_at, NULL, NULL, 0
FROM postmortems_postmortem pm CROSS JOIN generate_series(1, 2) n;
"""

# The numbers of GET /api/v1/reports/kpis/?group_by=severity, written by hand: summary and
# per-severity rows in one statement.
HAND_SQL = """
SELECT i.severity, COUNT(*) AS incidents,
  COUNT(d.mttd), AVG(d.mttd), percentile_cont(0.5) WITHIN GROUP (ORDER BY d.mttd),
  percentile_cont(0.9) WITHIN GROUP (ORDER BY d.mttd),
  COUNT(d.mtta), AVG(d.mtta), percentile_cont(0.5) WITHIN GROUP (ORDER BY d.mtta),
  percentile_cont(0.9) WITHIN GROUP (ORDER BY d.mtta),
  COUNT(d.mttr), AVG(d.mttr), percentile_cont(0.5) WITHIN GROUP (ORDER BY d.mttr),
  percentile_cont(0.9) WITHIN GROUP (ORDER BY d.mttr),
  COUNT(d.ttc), AVG(d.ttc), percentile_cont(0.5) WITHIN GROUP (ORDER BY d.ttc),
  percentile_cont(0.9) WITHIN GROUP (ORDER BY d.ttc),
  COUNT(*) FILTER (WHERE i.acknowledged_at <= i.response_due_at) AS met,
  COUNT(*) FILTER (WHERE i.acknowledged_at > i.response_due_at
                      OR (i.acknowledged_at IS NULL AND i.sla_breached_at IS NOT NULL)
                      OR (i.acknowledged_at IS NULL AND i.status <> 'cancelled'
                          AND i.response_due_at < now())) AS breached,
  SUM(i.users_affected), SUM(i.users_affected * d.impact_seconds / 3600),
  COALESCE(SUM(e.n), 0) AS escalations,
  COUNT(*) FILTER (WHERE sp.postmortem_required AND i.resolved_at IS NOT NULL) AS pm_required,
  COUNT(*) FILTER (WHERE sp.postmortem_required AND i.resolved_at IS NOT NULL
                      AND pm.status = 'published') AS pm_completed,
  COALESCE(SUM(a.total), 0), COALESCE(SUM(a.closed), 0)
FROM incidents_incident i
CROSS JOIN LATERAL (SELECT
    EXTRACT(EPOCH FROM i.detected_at - i.started_at)::float8 AS mttd,
    EXTRACT(EPOCH FROM i.acknowledged_at - i.detected_at)::float8 AS mtta,
    EXTRACT(EPOCH FROM i.resolved_at - i.detected_at)::float8 AS mttr,
    EXTRACT(EPOCH FROM i.contained_at - i.detected_at)::float8 AS ttc,
    EXTRACT(EPOCH FROM i.resolved_at - COALESCE(i.started_at, i.detected_at))::float8
        AS impact_seconds) d
LEFT JOIN (SELECT incident_id, COUNT(*) AS n FROM incidents_escalationevent
           GROUP BY incident_id) e ON e.incident_id = i.id
LEFT JOIN incidents_severitypolicy sp ON sp.severity = i.severity
LEFT JOIN postmortems_postmortem pm ON pm.incident_id = i.id
LEFT JOIN (SELECT postmortem_id, COUNT(*) AS total,
                  COUNT(*) FILTER (WHERE status IN ('done', 'wont_do')) AS closed
           FROM postmortems_actionitem GROUP BY postmortem_id) a ON a.postmortem_id = pm.id
WHERE NOT i.is_drill
  AND i.detected_at >= TIMESTAMPTZ '2022-01-01 00:00:00+00'
  AND i.detected_at < TIMESTAMPTZ '2026-01-01 00:00:00+00'
GROUP BY GROUPING SETS ((), (i.severity))
ORDER BY i.severity NULLS FIRST
"""


def sh(*args: str) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout.strip()


def psql_args() -> list[str]:
    db = settings.DATABASES["default"]
    return [
        "psql",
        "-X",
        "-q",
        "-h",
        db.get("HOST") or "127.0.0.1",
        "-p",
        str(db.get("PORT") or 5432),
        "-U",
        db.get("USER") or "postgres",
        "-d",
        db["NAME"],
    ]


def bench_incidents() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM incidents_incident WHERE reference LIKE %s", [BENCH_PREFIX + "%"]
        )
        return cursor.fetchone()[0]


def seed(n: int) -> float:
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(
        username="bench-owner", defaults={"is_staff": True}
    )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # Bench data only: everything hanging off incidents goes (history tables are not
        # touched: the rows below are written without history, as bulk data).
        # The CASCADE reaches the append-only audit tables (verification runs point at
        # incidents), whose triggers refuse TRUNCATE: replica mode (superuser) skips them.
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("TRUNCATE incidents_incident CASCADE")
        cursor.execute("SET session_replication_role = origin")
        for label, sql in (("incidents", SEED_INCIDENTS), ("the rest", SEED_REST)):
            step = time.perf_counter()
            # One statement per execute: psycopg runs only the first of several.
            for statement in (sql % {"n": n, "span": SPAN_DAYS, "user": user.pk}).split(";\n"):
                if statement.strip():
                    cursor.execute(statement)
            print(f"  seeded {label} in {time.perf_counter() - step:.1f} s", flush=True)
        cursor.execute("ANALYZE")
    return time.perf_counter() - started


def table_counts() -> dict[str, int]:
    tables = (
        "incidents_incident",
        "incidents_incident_affected_services",
        "incidents_escalationevent",
        "postmortems_postmortem",
        "postmortems_actionitem",
    )
    with connection.cursor() as cursor:
        counts = {}
        for table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
    return counts


def api_client() -> Client:
    from incidents.models import ApiScope
    from incidents.services.api_keys import api_key_create

    _, raw = api_key_create(
        name=f"kpi-bench-{time.time_ns()}",
        scopes=[ApiScope.REPORTS_READ, ApiScope.INCIDENTS_SECURITY],
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def time_endpoint(client: Client, params: dict, runs: int) -> tuple[list[float], int, dict]:
    url = "/api/v1/reports/kpis/"
    body = client.get(url, params).json()  # warm-up (and the key's last_used_at write)
    timings = []
    queries = 0
    for _ in range(runs):
        cache.clear()  # throttle counters: never the limiting factor here
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url, params)
            timings.append(time.perf_counter() - started)
        assert response.status_code == 200, response.content[:500]
        queries = len(captured)
    return timings, queries, body


def time_psql(runs: int) -> tuple[list[float], list[float], list[str]]:
    server, wall = [], []
    rows: list[str] = []
    for _ in range(runs + 1):  # the first run warms the cache, like the endpoint's
        started = time.perf_counter()
        out = subprocess.run(
            [*psql_args(), "-A", "-F", "|", "-t", "-c", "\\timing on", "-c", HAND_SQL],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        elapsed = time.perf_counter() - started
        match = re.search(r"Time: ([\d.]+) ms", out)
        server.append(float(match.group(1)) / 1000)
        wall.append(elapsed)
        rows = [line for line in out.splitlines() if line and not line.startswith("Time:")]
    return server[1:], wall[1:], rows


def check_agreement(api_body: dict, psql_rows: list[str]) -> list[str]:
    """Compare counts and MTTR per group; returns the mismatches (empty: they agree)."""
    problems = []
    by_group = {g["group"]: g for g in api_body["groups"]}
    for line in psql_rows:
        cells = line.split("|")
        group = cells[0] or None
        api = api_body["summary"] if group is None else by_group.get(group)
        if api is None:
            problems.append(f"group {group} missing from the API")
            continue
        if int(cells[1]) != api["incidents"]:
            problems.append(f"{group}: incidents {cells[1]} vs {api['incidents']}")
        if int(cells[10]) != api["mttr"]["count"]:
            problems.append(f"{group}: mttr count {cells[10]} vs {api['mttr']['count']}")
        mean = float(cells[11]) if cells[11] else None
        if mean is not None and abs(mean - api["mttr"]["mean_seconds"]) > 0.01:
            problems.append(f"{group}: mttr mean {mean} vs {api['mttr']['mean_seconds']}")
        p90 = float(cells[13]) if cells[13] else None
        if p90 is not None and abs(p90 - api["mttr"]["p90_seconds"]) > 0.01:
            problems.append(f"{group}: mttr p90 {p90} vs {api['mttr']['p90_seconds']}")
        if int(cells[22]) != api["escalations_fired"]:
            problems.append(f"{group}: escalations {cells[22]} vs {api['escalations_fired']}")
    return problems


def machine() -> dict:
    version = sh(*psql_args(), "-A", "-t", "-c", "SHOW server_version")
    return {
        "nproc": sh("nproc"),
        "free -g": sh("free", "-g"),
        "postgresql": version,
        "python": platform.python_version(),
        "load average (1/5/15 min)": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def time_admin_pages(runs: int) -> list[tuple[str, list[float], int]]:
    """The admin KPI dashboard and quarterly report over the same data, as a superuser and
    as a responder (need-to-know scoping adds its subqueries): median time and queries."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission

    from incidents.choices import StaffGroup

    User = get_user_model()
    admin_user, _ = User.objects.get_or_create(
        username="kpi-bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    responder, created = User.objects.get_or_create(
        username="kpi-bench-responder", defaults={"is_staff": True}
    )
    if created:
        responder.groups.add(Group.objects.get(name=StaffGroup.RESPONDER))
        responder.user_permissions.add(Permission.objects.get(codename="view_incident"))
    pages = [
        ("dashboard", "/admin/kpis/", {"from": FROM, "to": TO}),
        ("quarterly report 2025-Q4", "/admin/kpis/quarterly/", {"quarter": "2025-Q4"}),
    ]
    results = []
    for who, user in (("superuser", admin_user), ("responder", responder)):
        client = Client()
        client.force_login(user)
        for name, url, params in pages:
            assert client.get(url, params).status_code == 200  # warm-up
            timings, queries = [], 0
            for _ in range(runs):
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    response = client.get(url, params)
                    timings.append(time.perf_counter() - started)
                assert response.status_code == 200
                queries = len(captured)
            results.append((f"{name} ({who})", timings, queries))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database (e.g. hm_kpibench).")
    settings.DEBUG = False  # no query log growing in memory
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # the test client's host

    have = bench_incidents()
    if have != args.incidents or args.reseed:
        print(f"Seeding {args.incidents:,} incidents (found {have:,}) …", flush=True)
        print(f"  seed took {seed(args.incidents):.1f} s", flush=True)
    counts = table_counts()
    print("Rows:", json.dumps(counts))

    params = {"from": FROM, "to": TO, "group_by": "severity"}
    timings, queries, body = time_endpoint(api_client(), params, args.runs)
    server, wall, rows = time_psql(args.runs)
    problems = check_agreement(body, rows)

    endpoint = statistics.median(timings)
    hand = statistics.median(server)
    hand_wall = statistics.median(wall)
    print()
    print(f"incidents in range (non-drill): {body['summary']['incidents']:,}")
    print(f"GET /api/v1/reports/kpis/?from={FROM}&to={TO}&group_by=severity")
    print(f"  runs (s): {', '.join(f'{t:.3f}' for t in timings)}; median {endpoint:.3f} s")
    print(f"  SQL queries per request: {queries}")
    print("hand-written SQL via psql (one statement, GROUPING SETS)")
    print(f"  \\timing (s): {', '.join(f'{t:.3f}' for t in server)}; median {hand:.3f} s")
    print(f"  psql process wall (s): median {hand_wall:.3f} s")
    print(f"ratio endpoint / hand SQL (\\timing): {endpoint / hand:.2f}")
    print(f"ratio endpoint / hand SQL (psql wall): {endpoint / hand_wall:.2f}")
    print("numbers agree:", "yes" if not problems else "NO: " + "; ".join(problems))
    print()
    print(f"admin pages over the same range (median of {args.runs}, SQL queries per page):")
    for name, page_timings, page_queries in time_admin_pages(args.runs):
        median = statistics.median(page_timings)
        print(f"  {name}: {median:.3f} s, {page_queries} queries")
    print()
    for key, value in machine().items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()

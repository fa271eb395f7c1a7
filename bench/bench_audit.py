"""Audit export and sealing throughput on PostgreSQL.

    createdb -h 127.0.0.1 -U postgres hm_audit_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/hm_audit_bench
    .venv/bin/python manage.py migrate
    .venv/bin/python manage.py seed_demo --incidents 135000 --seed 1   # ≈ 1M history rows
    .venv/bin/python bench/bench_audit.py [--rows 1000000] [--skip-seal]

Measures, in one run over the same rows (the first --rows history rows, every history
table, in the export's order):
  1. our CSV export (reporting.audit.export, the code behind export_audit and the API):
     rows/s and peak RSS growth while it runs (sampled every 20 ms);
  2. PostgreSQL's own `COPY (SELECT ... ORDER BY ...) TO STDOUT WITH (FORMAT csv)` of the
     same tables and rows, read through psycopg: rows/s; the ratio is the figure;
  3. sealing (seal_pending) of every unsealed history row: rows/s; then verify_chain: rows/s.
Sealing writes to the database (seals are append-only): run it on a throwaway database."""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from reporting.audit.export import AuditFilter, csv_lines, iter_events  # noqa: E402
from reporting.audit.sealing import seal_pending  # noqa: E402
from reporting.audit.tables import history_tables  # noqa: E402
from reporting.audit.verification import verify_chain  # noqa: E402


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakRss:
    """Peak resident memory above the level at start, sampled in a thread."""

    def __init__(self, interval: float = 0.02):
        self.interval = interval
        self.base = self.peak = rss_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes())
            time.sleep(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())

    @property
    def growth_mib(self) -> float:
        return (self.peak - self.base) / 2**20


def export_csv(limit: int) -> tuple[int, int, float, float]:
    """Rows, bytes, seconds, peak RSS growth (MiB) of our CSV export of `limit` rows."""
    rows = written = 0
    with PeakRss() as memory:
        started = time.perf_counter()
        lines = csv_lines(iter_events(AuditFilter()), header=False)
        for line in lines:
            written += len(line.encode())
            rows += 1
            if rows >= limit:
                break
        seconds = time.perf_counter() - started
    return rows, written, seconds, memory.growth_mib


def copy_csv(limit: int) -> tuple[int, int, float]:
    """The same tables in the same order through COPY ... TO STDOUT (FORMAT csv)."""
    rows = written = 0
    remaining = limit
    started = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg 3 cursor
        for table in history_tables():
            if remaining <= 0:
                break
            model = table.model
            quote = connection.ops.quote_name
            object_column = quote(model._meta.get_field(table.object_field).column)
            sql = (
                f"COPY (SELECT * FROM {quote(model._meta.db_table)} "
                f"ORDER BY {object_column}, history_date, history_id LIMIT {remaining}) "
                "TO STDOUT WITH (FORMAT csv)"
            )
            with raw.copy(sql) as copy:
                for block in copy:
                    written += len(block)
                    rows += bytes(block).count(b"\n")
            remaining = limit - rows
    return rows, written, time.perf_counter() - started


def total_history_rows() -> int:
    return sum(table.model.objects.count() for table in history_tables())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--skip-seal", action="store_true")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database (COPY is PostgreSQL's).")
    settings.DEBUG = False
    available = total_history_rows()
    limit = min(args.rows, available)
    print(f"history rows available: {available:,}; measuring {limit:,}")

    rows, size, seconds, memory = export_csv(limit)
    print(
        f"export_audit CSV: {rows:,} rows, {size / 2**20:.0f} MiB in {seconds:.1f} s = "
        f"{rows / seconds:,.0f} rows/s; peak RSS growth {memory:.1f} MiB"
    )
    copy_rows, copy_size, copy_seconds = copy_csv(limit)
    print(
        f"COPY ... TO STDOUT CSV: {copy_rows:,} rows, {copy_size / 2**20:.0f} MiB in "
        f"{copy_seconds:.1f} s = {copy_rows / copy_seconds:,.0f} rows/s"
    )
    print(
        f"ratio export / COPY (time per row): {(seconds / rows) / (copy_seconds / copy_rows):.1f}x"
    )

    if not args.skip_seal:
        started = time.perf_counter()
        result = seal_pending()
        sealed_seconds = time.perf_counter() - started
        print(
            f"seal_pending: {result.sealed:,} rows in {sealed_seconds:.1f} s = "
            f"{result.sealed / max(sealed_seconds, 1e-9):,.0f} rows/s"
        )
        started = time.perf_counter()
        verified = verify_chain()
        verify_seconds = time.perf_counter() - started
        print(
            f"verify_chain: {verified.checked:,} rows in {verify_seconds:.1f} s = "
            f"{verified.checked / max(verify_seconds, 1e-9):,.0f} rows/s (ok={verified.ok})"
        )


if __name__ == "__main__":
    main()

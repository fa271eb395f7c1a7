"""Bulk data for benchmarks: many incidents over two years, inserted in batches."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, reset_queries, transaction
from django.utils import timezone

from .bulk_insert import SeedStats, collect_once_per_batch, insert_batch
from .bulk_lifecycle import Pool
from .bulk_plan import detection_times, plan_incident
from .common import ensure_demo_data_allowed

DEFAULT_BATCH_SIZE = 1000  # incidents per transaction
ROWS_PER_INSERT = 500  # rows per INSERT statement (SQLite lowers it to fit its 999 variables)


def seed_bulk(
    *,
    incidents: int,
    now: datetime | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[int], object] | None = None,
    seed: int | None = None,
) -> SeedStats:
    """Add `incidents` realistic incidents detected over the two years before `now`.

    Each batch of `batch_size` incidents (with their affected services, role assignments,
    timeline entries and history rows) is planned in memory, inserted with bulk inserts and
    committed in its own transaction, so memory stays flat however many are asked for.
    `progress(n)` is called after each committed batch; `seed` makes the content repeatable.
    Staff users for the roles (no usable password), an `alerts-bot` user and the service
    catalogue are created when missing. Checklist items are not seeded.
    """
    ensure_demo_data_allowed()
    if not connection.features.can_return_rows_from_bulk_insert:
        raise ImproperlyConfigured(
            "Bulk seeding needs a database that returns ids from bulk inserts "
            "(PostgreSQL, or SQLite 3.35 or newer)."
        )
    if incidents < 1:
        raise ValueError("Seed at least one incident.")
    if batch_size < 1:
        raise ValueError("The batch size must be at least 1.")
    started = time.monotonic()
    now = (now or timezone.now()).astimezone(UTC).replace(microsecond=0)
    rng = random.Random(seed)
    stats = SeedStats()
    with transaction.atomic():
        pool = Pool()
    times = detection_times(rng, incidents, now=now)
    remaining = incidents
    while remaining:
        size = min(batch_size, remaining)
        with collect_once_per_batch():
            plans = [plan_incident(rng, pool, next(times), now) for _ in range(size)]
            with transaction.atomic():
                insert_batch(plans, pool=pool, stats=stats, rows=ROWS_PER_INSERT)
            del plans
            reset_queries()  # under DEBUG every query is kept; don't let the log grow
        remaining -= size
        if progress is not None:
            progress(size)
    stats.seconds = time.monotonic() - started
    return stats

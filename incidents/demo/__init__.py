"""Demo and benchmark data for Harbormaster (HarborList's incident response system).

Two entry points, both refused where ``settings.HARBORMASTER_ALLOW_DEMO_DATA`` is false
(production settings):

- :func:`load_demo_dataset` — what a newcomer sees after ``make run`` on an empty
  database: a service catalogue, one or two staff users per group, and a dozen realistic
  incidents at every stage. Every change goes through ``incidents.services`` with ``now=``
  staggered in the past, so timelines, checklists, role hand-overs and history rows are
  exactly what the real workflow writes.
- :func:`seed_bulk` — a large data set for benchmarks (``manage.py seed_demo --incidents
  100000``): incidents spread over two years with consistent lifecycles, affected
  services, role assignments, timeline entries and history rows, written with bulk
  inserts in bounded batches (one transaction per batch).
"""

from .bulk import DEFAULT_BATCH_SIZE, SeedStats, seed_bulk
from .common import ensure_demo_data_allowed
from .small import load_demo_dataset

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "SeedStats",
    "ensure_demo_data_allowed",
    "load_demo_dataset",
    "seed_bulk",
]

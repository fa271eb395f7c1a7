"""Demo data for newcomers, or a large data set for benchmarks.

manage.py seed_demo                      # the small demo: users, services, a dozen incidents
manage.py seed_demo --password S3cret    # ... with this password for every demo user
manage.py seed_demo --incidents 100000   # bulk data over two years, with a progress bar
"""

import secrets
import sys

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings
from tqdm import tqdm

from incidents.demo import DEFAULT_BATCH_SIZE, load_demo_dataset, seed_bulk


def positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Load demo data: without --incidents, a dozen realistic incidents with services and "
        "users in every staff group; with --incidents N, N incidents over two years for "
        "benchmarks. Refused under production settings."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--incidents",
            type=positive_int,
            metavar="N",
            help="Bulk-create N incidents (with history, roles, timeline) for benchmarks.",
        )
        parser.add_argument("--seed", type=int, help="Random seed, for a repeatable bulk data set.")
        parser.add_argument(
            "--batch-size",
            type=positive_int,
            default=DEFAULT_BATCH_SIZE,
            help=f"Incidents per transaction in bulk mode (default {DEFAULT_BATCH_SIZE}).",
        )
        parser.add_argument(
            "--password",
            help="Password for the demo users (small demo only; default: generated, printed).",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="Bulk mode: no progress bar."
        )

    def handle(self, *args, **options):
        if not getattr(settings, "HARBORMASTER_ALLOW_DEMO_DATA", False):
            raise CommandError(
                "Demo data is disabled under these settings (HARBORMASTER_ALLOW_DEMO_DATA is "
                "False, as in production). Nothing was written."
            )
        try:
            if options["incidents"]:
                self._bulk(options)
            else:
                self._demo(options)
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error

    def _demo(self, options):
        password = options["password"] or secrets.token_urlsafe(12)
        usernames = load_demo_dataset(password=password, stdout=self.stdout)
        self.stdout.write(
            self.style.SUCCESS(f"Demo users (password {password!r} for each): ")
            + ", ".join(usernames)
        )

    def _bulk(self, options):
        total = options["incidents"]
        # tqdm redraws with \r; write to the real stream, not Django's line-ending wrapper.
        stream = getattr(self.stderr, "_out", sys.stderr)
        bar = tqdm(
            total=total,
            unit="incident",
            unit_scale=True,
            file=stream,
            disable=options["no_progress"],
            desc="Seeding",
        )
        # Under DEBUG (local settings) Django keeps and formats every query, ~15 % of the
        # run; this command has no use for that log.
        with bar, override_settings(DEBUG=False):
            stats = seed_bulk(
                incidents=total,
                batch_size=options["batch_size"],
                seed=options["seed"],
                progress=bar.update,
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {stats.incidents} incidents in {stats.seconds:.1f} s "
                f"({stats.incidents / max(stats.seconds, 1e-9):.0f}/s): "
                f"{stats.incident_history} incident history rows, "
                f"{stats.role_assignments} role assignments, "
                f"{stats.timeline_entries} timeline entries."
            )
        )

"""Seal unsealed history rows into the audit chain now (beat does it every minute)."""

import sys

from django.core.management.base import BaseCommand
from tqdm import tqdm

from reporting.audit.sealing import seal_pending


class Command(BaseCommand):
    help = "Seal every unsealed history row and sign a checkpoint."

    def add_arguments(self, parser):
        parser.add_argument(
            "--full", action="store_true", help="Look for unsealed rows in every id range."
        )
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options):
        with tqdm(unit="rows", file=sys.stderr, disable=options["no_progress"]) as bar:
            result = seal_pending(
                batch_size=options["batch_size"],
                lookback=-1 if options["full"] else None,
                progress=bar.update,
            )
        self.stdout.write(
            f"Sealed {result.sealed} row(s)"
            + (
                f" (sequence {result.first_sequence}–{result.last_sequence})"
                if result.sealed
                else ""
            )
            + "."
        )

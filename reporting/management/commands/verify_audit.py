"""Verify the sealed audit chain and its signed checkpoints.

Exits 0 and prints the count verified, or exits 1 naming the first bad sequence number."""

import sys

from django.core.management.base import BaseCommand
from tqdm import tqdm

from reporting.audit.sealing import verify_chain
from reporting.models import AuditSeal


class Command(BaseCommand):
    help = "Walk the audit hash chain and checkpoints; non-zero exit on tampering."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", type=int, default=1, help="First sequence.")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options):
        total = None if options["no_progress"] else AuditSeal.objects.count()
        with tqdm(
            total=total, unit="seals", file=sys.stderr, disable=options["no_progress"]
        ) as bar:
            result = verify_chain(from_sequence=options["start"], progress=bar.update)
        if not result.ok:
            self.stderr.write(
                f"FAILED: first bad sequence {result.first_bad_sequence}: {result.message} "
                f"({result.checked} verified before it)"
            )
            sys.exit(1)
        self.stdout.write(f"OK: {result.checked} sealed history rows verified.")

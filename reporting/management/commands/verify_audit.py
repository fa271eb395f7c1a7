"""Verify the sealed audit chain and its signed checkpoints.

Exits 0 and prints the count verified and the signed head (keep it outside the database and
pass it back with --expect), or exits 1 naming the first bad sequence number."""

import re
import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from reporting.audit.verification import verify_chain
from reporting.models import AuditCheckpoint, AuditSeal

EXPECT = re.compile(r"^(?P<sequence>[0-9]+):(?P<hash>[0-9a-f]{64})$")


def expected_anchor(value: str) -> tuple[int, str]:
    match = EXPECT.match(value.strip().lower())
    if match is None or int(match["sequence"]) < 1:
        raise CommandError(
            f"--expect {value!r}: give SEQUENCE:HASH (a 64-character hex SHA-256), as printed "
            "by an earlier verify_audit run",
            returncode=2,
        )
    return int(match["sequence"]), match["hash"]


class Command(BaseCommand):
    help = "Walk the audit hash chain and checkpoints; non-zero exit on tampering."

    def add_arguments(self, parser):
        parser.add_argument(
            "--from",
            dest="start",
            type=int,
            default=1,
            help="First sequence: 1, or one after the end of a checkpoint.",
        )
        parser.add_argument(
            "--expect",
            metavar="SEQUENCE:HASH",
            help="A signed head recorded earlier outside the database; the chain must still "
            "hold that hash at that sequence.",
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options):
        start = options["start"]
        expect = expected_anchor(options["expect"]) if options["expect"] else None
        if start < 1:
            raise CommandError(f"--from {start}: sequences start at 1.", returncode=2)
        if start > 1 and not AuditCheckpoint.objects.filter(last_sequence=start - 1).exists():
            raise CommandError(
                f"--from {start}: verification starts at 1 or right after a checkpoint; "
                f"no checkpoint ends at {start - 1}",
                returncode=2,
            )
        total = None if options["no_progress"] else AuditSeal.objects.count()
        with tqdm(
            total=total, unit="seals", file=sys.stderr, disable=options["no_progress"]
        ) as bar:
            result = verify_chain(from_sequence=start, progress=bar.update, expect=expect)
        if not result.ok:
            self.stderr.write(
                f"FAILED: first bad sequence {result.first_bad_sequence}: {result.message} "
                f"({result.checked} verified before it)"
            )
            sys.exit(1)
        self.stdout.write(f"OK: {result.checked} sealed history rows verified.")
        if result.signed_head is not None:
            sequence, digest = result.signed_head
            self.stdout.write(
                f"Signed head: {sequence}:{digest} "
                "(keep it outside the database; check it later with --expect)"
            )

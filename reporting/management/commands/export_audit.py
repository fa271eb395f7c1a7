"""Export the audit trail (every history row, field-level before/after) as CSV or JSON Lines.

manage.py export_audit --since 2026-01-01 --until 2026-04-01 --format csv --output q1.csv
"""

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from incidents.kernel.ids import is_id_text
from reporting.audit.export import FORMATS, AuditFilter, count_events, export_lines
from reporting.audit.tables import history_tables

from ._audit_args import parse_moment


class Command(BaseCommand):
    help = "Export every history row (who, when, what, before/after, why, request id)."

    def add_arguments(self, parser):
        parser.add_argument("--since", help="From this time (ISO 8601; naive = UTC).")
        parser.add_argument("--until", help="Before this time (ISO 8601; naive = UTC).")
        parser.add_argument("--format", choices=sorted(FORMATS), default="csv")
        parser.add_argument("--output", "-o", help="File to write (default: standard output).")
        parser.add_argument(
            "--model", action="append", default=[], help="e.g. incidents.incident (repeatable)"
        )
        parser.add_argument("--object", dest="object_id", help="Object id (with --model).")
        parser.add_argument("--user", help="Username of the person who made the change.")
        parser.add_argument("--incident", help="Incident reference, e.g. INC-20261127-134502.")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options):
        known = {t.tracked_label for t in history_tables()} | {t.label for t in history_tables()}
        unknown = [m for m in options["model"] if m.lower() not in known]
        if unknown:
            raise CommandError(f"Unknown model(s): {', '.join(unknown)}. Known: {sorted(known)}")
        object_id = options["object_id"]
        if object_id is not None and not is_id_text(object_id):
            raise CommandError(f"--object {object_id!r}: give a whole-number object id.")
        filters = AuditFilter(
            since=parse_moment(options["since"]),
            until=parse_moment(options["until"]),
            models=options["model"],
            object_id=options["object_id"],
            user=options["user"],
            incident=options["incident"],
        )
        total = None if options["no_progress"] else count_events(filters)
        out = (
            open(options["output"], "w", encoding="utf-8", newline="")  # noqa: SIM115
            if options["output"]
            else sys.stdout
        )
        written = 0
        try:
            with tqdm(
                total=total,
                unit="rows",
                file=sys.stderr,
                disable=options["no_progress"],
                mininterval=0.5,
            ) as bar:
                header = options["format"] == "csv"
                for line in export_lines(filters, options["format"]):
                    out.write(line)
                    if header:
                        header = False
                        continue
                    written += 1
                    if written % 1000 == 0:
                        bar.update(1000)
                bar.update(written % 1000)
        finally:
            if out is not sys.stdout:
                out.close()
        self.stderr.write(f"Exported {written} audit event(s).")

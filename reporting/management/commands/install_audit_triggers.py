"""(Re)install the append-only triggers on the audit log and every history table
(PostgreSQL; idempotent; `migrate` does it too)."""

from django.core.management.base import BaseCommand

from reporting.audit.triggers import install_triggers


class Command(BaseCommand):
    help = "Refuse UPDATE/DELETE on the audit log and history tables (PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default")

    def handle(self, *args, **options):
        tables = install_triggers(options["database"])
        if not tables:
            self.stdout.write("Not PostgreSQL: nothing to install.")
        else:
            self.stdout.write(f"Append-only trigger on {len(tables)} table(s).")

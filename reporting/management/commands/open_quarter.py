"""Open a quarter's preparedness duties by hand: what the quarterly beat schedules do."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from reporting.preparedness import domain
from reporting.preparedness.services import quarter_open


class Command(BaseCommand):
    help = (
        "Create the quarter's procedure review, scheduled drill and contact verifications "
        "if missing (idempotent). Default: the current quarter (UTC)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--quarter", help="e.g. 2027-Q1 (default: the current quarter)")

    def handle(self, *args, quarter=None, **options):
        now = timezone.now()
        quarter = quarter or domain.quarter_of(now)
        try:
            domain.parse_quarter(quarter)
        except ValueError as error:
            raise CommandError(str(error)) from None
        opened = quarter_open(quarter=quarter, now=now)
        review, drill = opened.review, opened.drill
        self.stdout.write(
            f"{quarter} procedure review: {'created' if opened.review_created else 'exists'} "
            f"(due {review.due_on.isoformat()})"
        )
        self.stdout.write(
            f"{quarter} drill: {'created' if opened.drill_created else 'exists'} — {drill.title} "
            f"({drill.severity} {drill.incident_type}) on "
            f"{drill.scheduled_for:%Y-%m-%d %H:%M} UTC"
        )
        created = opened.verifications_created
        names = ", ".join(v.user.get_username() for v in created)
        self.stdout.write(
            f"{quarter} contact verifications: {len(created)} created"
            + (f" ({names})" if names else "")
        )

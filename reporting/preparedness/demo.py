"""Demo preparedness data for `make run`: last quarter's duties done, this quarter's open,
and training records that leave visible gaps in the coverage table."""

from datetime import datetime, timedelta

from . import domain, services
from .choices import ReviewOutcome, TrainingTopic
from .models import ProcedureReview, TrainingRecord

# (username, topics completed, days ago). Gaps are deliberate: the coverage table and the
# reminders have something to show.
DEMO_TRAINING = (
    ("ines.commander", list(TrainingTopic.values), 40),
    ("omar.commander", [TrainingTopic.INCIDENT_RESPONSE_PROCEDURES], 200),
    ("tomas.techlead", [TrainingTopic.TOOL_USAGE_AND_ACCESS, TrainingTopic.SECURITY_AWARENESS], 90),
    ("clara.comms", [TrainingTopic.COMMUNICATION_PROTOCOLS], 30),
    ("sam.security", list(TrainingTopic.values), 350),  # expiring soon
    ("rita.responder", [TrainingTopic.INCIDENT_RESPONSE_PROCEDURES], 20),
)


def load_demo_preparedness(users: dict, *, now: datetime) -> str:
    """Idempotent: services create each item once. Returns a line for the bootstrap log."""
    reviewer = users["ines.commander"]
    current = domain.quarter_of(now)
    previous = domain.quarter_of(domain.quarter_first_day(current) - timedelta(days=1))
    earlier = now - timedelta(days=95)
    review, _ = services.procedure_review_open_for_quarter(quarter=previous, now=earlier)
    if not review.is_done:
        services.procedure_review_complete(
            review=review,
            by=reviewer,
            outcome=ReviewOutcome.UPDATED,
            changes_made="Escalation contacts refreshed; regulatory clock table re-checked.",
            now=earlier + timedelta(days=3),
        )
    opened = services.quarter_open(quarter=current, now=now, by=None)
    already_trained = set(TrainingRecord.objects.values_list("user__username", "topic"))
    for username, topics, days_ago in DEMO_TRAINING:
        for topic in topics:
            if (username, topic) in already_trained:
                continue  # re-run on a later day: keep the demo's gaps and dates as they were
            services.training_record_add(
                user=users[username],
                topic=topic,
                completed_on=(now - timedelta(days=days_ago)).date(),
                by=reviewer,
                now=now,
            )
    reviews = ProcedureReview.objects.count()
    return (
        f"Preparedness: {reviews} procedure reviews, {current} drill {opened.drill.title!r}, "
        f"{len(opened.verifications_created)} contact verifications opened now."
    )

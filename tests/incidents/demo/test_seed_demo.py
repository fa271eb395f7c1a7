"""The demo loader (make run on an empty database) and the bulk seed for benchmarks."""

import re
from datetime import UTC, timedelta
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count

from incidents.choices import CATEGORY_BY_TYPE, Category, Severity, StaffGroup, Status
from incidents.demo import load_demo_dataset, seed_bulk
from incidents.models import (
    ChecklistItem,
    Incident,
    RoleAssignment,
    SeverityPolicy,
    TimelineEntry,
)

User = get_user_model()
REFERENCE = re.compile(r"^INC-(\d{8}-\d{6})(-(\d+))?$")
NO_VERSION_BUMP = {"Affected services set", "Response SLA breached"}
LIFECYCLE_ORDER = (
    "started_at",
    "detected_at",
    "acknowledged_at",
    "triaged_at",
    "contained_at",
    "resolved_at",
    "closed_at",
)


def assert_timestamps_in_order(incident):
    stamps = [getattr(incident, name) for name in LIFECYCLE_ORDER]
    present = [stamp for stamp in stamps if stamp is not None]
    assert present == sorted(present), f"{incident.reference}: {stamps}"
    if incident.cancelled_at is not None:
        assert incident.cancelled_at >= incident.detected_at


def assert_reference_matches_detection(incident):
    match = REFERENCE.match(incident.reference)
    assert match, incident.reference
    assert match.group(1) == incident.detected_at.astimezone(UTC).strftime("%Y%m%d-%H%M%S")
    assert match.group(3) is None or int(match.group(3)) >= 2


# --- the small demo ----------------------------------------------------------------------------


@pytest.fixture
def demo(db, now):
    usernames = load_demo_dataset(password="harbor-demo-pw", now=now)
    return usernames


@pytest.mark.django_db
def test_demo_users_cover_every_group_and_share_the_password(demo):
    users = User.objects.filter(username__in=demo)
    assert users.count() == len(demo) >= len(StaffGroup)
    for group in StaffGroup:
        assert users.filter(groups__name=group).exists(), f"no demo user in {group}"
    for user in users:
        assert user.is_staff and user.is_active
        assert user.check_password("harbor-demo-pw"), user.username


@pytest.mark.django_db
def test_demo_incidents_span_statuses_severities_and_types(demo, now):
    incidents = Incident.objects.all()
    assert 10 <= incidents.count() <= 15
    assert set(incidents.values_list("status", flat=True)) == set(Status.values)
    assert set(incidents.values_list("severity", flat=True)) == set(Severity.values)
    assert set(incidents.values_list("category", flat=True)) == set(Category.values)
    assert incidents.filter(is_drill=True).exists()
    for incident in incidents:
        assert_reference_matches_detection(incident)
        assert_timestamps_in_order(incident)
        assert incident.detected_at < now
        assert incident.affected_services.exists(), incident.reference
    # Timelines look lived-in: entries dated in the past, spread over hours or days.
    assert not TimelineEntry.objects.filter(at__gt=now).exists()
    counts = incidents.annotate(entries=Count("timeline")).values_list("entries", flat=True)
    assert min(counts) >= 1 and max(counts) >= 10
    oldest = TimelineEntry.objects.order_by("at").first()
    assert now - oldest.at > timedelta(days=30)
    # Checklists were instantiated and partly ticked by a person.
    assert ChecklistItem.objects.filter(done_at__isnull=False, done_by__isnull=False).exists()
    assert ChecklistItem.objects.filter(done_at__isnull=True).exists()


@pytest.mark.django_db
def test_demo_history_rows_carry_the_acting_user_and_the_scenario_time(demo, now):
    history = Incident.history.all()
    assert history.count() > Incident.objects.count() * 3
    # Only the settling of the clocks at load time is the system's own (no person).
    settled = "demo data, loaded with its past already played"
    assert (
        not history.filter(history_user__isnull=True)
        .exclude(history_change_reason__contains=settled)
        .exists()
    )
    assert (
        not TimelineEntry.history.filter(history_user__isnull=True)
        .exclude(
            kind="escalation",
            history_date=now,  # the clocks settled at load time
        )
        .exists()
    )
    # History is dated like the timeline, not all "just now".
    assert not history.filter(history_date__gt=now).exists()
    for incident in Incident.objects.all():
        opened = incident.history.earliest("history_date", "history_id")
        assert opened.history_date == incident.detected_at
        last_change = incident.history.latest("history_date", "history_id").history_date
        last_entry = incident.timeline.exclude(kind="note").latest("at", "id").at
        assert last_change <= last_entry
    closed = Incident.objects.filter(status=Status.CLOSED).first()
    reasons = list(closed.history.order_by("history_id").values_list("history_change_reason"))
    assert reasons[0] == ("Incident opened",)
    assert any("resolved → closed" in reason for (reason,) in reasons)


@pytest.mark.django_db
def test_demo_has_a_need_to_know_security_incident(demo):
    """A security incident held by someone outside the Security Lead group, and staff who
    hold no role on it: what the need-to-know rule needs to be shown."""
    security = Incident.objects.filter(category=Category.SECURITY, is_drill=False)
    assert security.exists()
    holders = RoleAssignment.objects.filter(incident__in=security, relieved_at__isnull=True)
    outside_security_group = holders.exclude(user__groups__name=StaffGroup.SECURITY_LEAD)
    assert outside_security_group.exists()
    incident = outside_security_group.first().incident
    bystanders = (
        User.objects.filter(username__in=demo, is_superuser=False)
        .exclude(groups__name__in=[StaffGroup.SECURITY_LEAD, StaffGroup.AUDITOR])
        .exclude(incident_roles__incident=incident)
    )
    assert bystanders.exists()


@pytest.mark.django_db
def test_demo_loader_can_run_twice(demo, now):
    count = Incident.objects.count()
    usernames = load_demo_dataset(password="second-pw-123", now=now)
    assert usernames == demo
    assert Incident.objects.count() == count
    assert User.objects.get(username=demo[0]).check_password("second-pw-123")


@pytest.mark.django_db
def test_demo_has_preparedness_duties_and_training_gaps_once(demo, now):
    from reporting.preparedness import domain as preparedness_domain
    from reporting.preparedness.models import (
        ContactVerification,
        Drill,
        ProcedureReview,
        TrainingRecord,
    )

    current = preparedness_domain.quarter_of(now)
    reviews = ProcedureReview.objects.order_by("quarter")
    assert [r.quarter for r in reviews][-1] == current
    assert reviews.first().is_done and not reviews.last().is_done
    assert Drill.objects.filter(quarter=current, auto_scheduled=True).count() == 1
    assert ContactVerification.objects.filter(quarter=current).exists()
    trained = set(TrainingRecord.objects.values_list("user__username", flat=True))
    assert "ines.commander" in trained and "li.responder" not in trained  # a visible gap
    counts = [m.objects.count() for m in (ProcedureReview, Drill, ContactVerification)]
    records = TrainingRecord.objects.count()
    load_demo_dataset(password="second-pw-123", now=now)
    assert [m.objects.count() for m in (ProcedureReview, Drill, ContactVerification)] == counts
    assert TrainingRecord.objects.count() == records
    # `make run` again another day: the demo's training records are not added a second time.
    load_demo_dataset(password="second-pw-123", now=now + timedelta(days=2))
    assert TrainingRecord.objects.count() == records


@pytest.mark.django_db
def test_command_without_incidents_loads_the_demo_and_prints_the_password():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    output = out.getvalue()
    password = re.search(r"password '([^']+)'", output).group(1)
    assert len(password) >= 12
    assert User.objects.get(username="sam.security").check_password(password)
    assert Incident.objects.count() >= 10


@pytest.mark.django_db
def test_demo_data_refused_under_production_settings(settings, now):
    settings.HARBORMASTER_ALLOW_DEMO_DATA = False
    with pytest.raises(ImproperlyConfigured):
        load_demo_dataset(password="pw-123456", now=now)
    with pytest.raises(ImproperlyConfigured):
        seed_bulk(incidents=5, now=now)
    with pytest.raises(CommandError, match="HARBORMASTER_ALLOW_DEMO_DATA"):
        call_command("seed_demo", stdout=StringIO())
    with pytest.raises(CommandError, match="HARBORMASTER_ALLOW_DEMO_DATA"):
        call_command("seed_demo", "--incidents", "5", stdout=StringIO(), stderr=StringIO())
    assert not Incident.objects.exists()
    assert not User.objects.exists()


# --- bulk seeding --------------------------------------------------------------------------


@pytest.fixture
def bulk(db):
    out, err = StringIO(), StringIO()
    call_command(
        "seed_demo",
        "--incidents",
        "300",
        "--seed",
        "7",
        "--batch-size",
        "120",
        stdout=out,
        stderr=err,
    )
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_bulk_command_creates_exactly_n_incidents_with_a_progress_bar(bulk):
    out, err = bulk
    assert Incident.objects.count() == 300
    assert "Seeded 300 incidents" in out
    assert "300/300" in err  # tqdm's final line on stderr


@pytest.mark.django_db
def test_bulk_references_follow_the_contract_and_are_unique(bulk):
    references = list(Incident.objects.values_list("reference", flat=True))
    assert len(set(references)) == 300
    for incident in Incident.objects.all():
        assert_reference_matches_detection(incident)


@pytest.mark.django_db
def test_bulk_lifecycles_are_consistent(bulk):
    policy_minutes = dict(SeverityPolicy.objects.values_list("severity", "response_minutes"))
    incidents = list(Incident.objects.all())
    span = max(i.detected_at for i in incidents) - min(i.detected_at for i in incidents)
    assert span > timedelta(days=600)
    assert {i.status for i in incidents} >= {
        Status.CLOSED,
        Status.RESOLVED,
        Status.CANCELLED,
        Status.INVESTIGATING,
    }
    assert {i.severity for i in incidents} == set(Severity.values)
    assert {i.category for i in incidents} == set(Category.values)
    for incident in incidents:
        assert incident.category == CATEGORY_BY_TYPE[incident.type]
        assert_timestamps_in_order(incident)
        assert incident.response_due_at == incident.detected_at + timedelta(
            minutes=policy_minutes[incident.severity]
        )
        if incident.status in (Status.RESOLVED, Status.CLOSED):
            assert incident.resolution_summary and incident.resolved_at
        if incident.status == Status.CLOSED:
            assert incident.closed_at
        if incident.status == Status.CANCELLED:
            assert incident.cancel_reason and incident.cancelled_at
        if incident.status != Status.DETECTED and incident.status != Status.CANCELLED:
            assert incident.acknowledged_at
        assert incident.created_at == incident.detected_at
        if incident.sla_breached_at is not None:
            assert incident.acknowledged_at is None or (
                incident.acknowledged_at > incident.sla_breached_at
            )
    breached = [i for i in incidents if i.sla_breached_at]
    assert 0 < len(breached) < len(incidents)
    assert any(i.acknowledged_at and i.acknowledged_at <= i.response_due_at for i in incidents)
    assert Incident.objects.filter(affected_services__isnull=True).count() == 0


@pytest.mark.django_db
def test_bulk_history_replays_each_lifecycle(bulk):
    HistoricalServices = apps.get_model("incidents", "HistoricalIncident_affected_services")
    for incident in Incident.objects.all():
        rows = list(incident.history.order_by("history_date", "history_id"))
        assert rows[0].history_type == "+" and rows[0].status == Status.DETECTED
        assert rows[0].history_date == incident.detected_at
        assert rows[-1].status == incident.status
        assert rows[-1].history_date == incident.updated_at
        # Every service save bumps the version; the m2m record and the dispatcher's don't.
        bumps = [r for r in rows[1:] if r.history_change_reason not in NO_VERSION_BUMP]
        assert rows[-1].version == incident.version == 1 + len(bumps)
        assert all(row.history_change_reason for row in rows)
    # Timeline entries and role assignments come with their own history.
    assert TimelineEntry.objects.count() >= 300 * 3
    assert TimelineEntry.history.count() == TimelineEntry.objects.count()
    assert RoleAssignment.objects.exists()
    assert RoleAssignment.history.count() >= RoleAssignment.objects.count()
    # The affected services are in the history as simple-history records them.
    assert HistoricalServices.objects.count() >= Incident.affected_services.through.objects.count()


@pytest.mark.django_db
def test_bulk_seed_twice_never_reuses_a_reference(now):
    batches = []
    seed_bulk(incidents=40, now=now, seed=3, batch_size=15, progress=batches.append)
    first = set(Incident.objects.values_list("reference", flat=True))
    seed_bulk(incidents=40, now=now, seed=3, batch_size=15)  # same detection times again
    assert batches == [15, 15, 10]
    references = list(Incident.objects.values_list("reference", flat=True))
    assert len(references) == len(set(references)) == 80
    second = set(references) - first
    assert all(REFERENCE.match(ref).group(3) for ref in second)  # all suffixed

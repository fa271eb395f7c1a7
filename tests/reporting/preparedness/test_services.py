"""Preparedness services, schedules, reminders and selectors (spec: "Training and
Preparedness", "Documentation Maintenance")."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from incidents.choices import ResponseRole, StaffGroup
from incidents.domain import DomainError
from incidents.models import ContactPoint, Delivery
from incidents.outbox.services import deliveries_relay
from reporting.preparedness import reminders, selectors, services, tasks
from reporting.preparedness.choices import ReviewOutcome, TrainingTopic
from reporting.preparedness.models import (
    ContactVerification,
    Drill,
    ProcedureReview,
    TrainingRecord,
)
from tests.incidents.builders import UserFactory

pytestmark = pytest.mark.django_db

Q1_OPENS = datetime(2027, 1, 1, 9, 0, tzinfo=UTC)  # the beat crontab's moment
QUARTERLY_TASKS = (
    "reporting.preparedness.open_quarterly_reviews",
    "reporting.preparedness.schedule_quarterly_drills",
    "reporting.preparedness.open_contact_verifications",
)


@pytest.fixture
def team(people):
    """people (tests/reporting/builders.py) plus an inactive responder and a second IC."""
    return {
        **people,
        "ic2": UserFactory(username="ic2", groups=[StaffGroup.INCIDENT_COMMANDER]),
        "gone": UserFactory(username="gone", groups=[StaffGroup.RESPONDER], is_active=False),
        "tl": UserFactory(username="tl", groups=[StaffGroup.TECHNICAL_LEAD, StaffGroup.RESPONDER]),
    }


def run_quarterly_tasks():
    for task in (
        tasks.open_quarterly_reviews,
        tasks.schedule_quarterly_drills,
        tasks.open_contact_verifications,
    ):
        task()


def sent_to(subject_part: str) -> list[str]:
    return sorted(
        address for m in mail.outbox if subject_part in m.subject for address in m.recipients()
    )


# --- the schedules -----------------------------------------------------------------------------
def test_the_quarterly_tasks_create_each_item_once_even_when_run_twice_or_late(team):
    with time_machine.travel(Q1_OPENS, tick=False):
        run_quarterly_tasks()
        run_quarterly_tasks()  # beat fired twice (or an operator re-ran it)
    with time_machine.travel(Q1_OPENS + timedelta(days=40), tick=False):
        run_quarterly_tasks()  # late in the same quarter: still nothing new

    review = ProcedureReview.objects.get()
    assert (review.quarter, review.due_on) == ("2027-Q1", date(2027, 1, 31))
    drill = Drill.objects.get()
    assert (drill.quarter, drill.auto_scheduled) == ("2027-Q1", True)
    assert drill.scheduled_for == datetime(2027, 2, 9, 14, tzinfo=UTC)
    responders = {"ic", "ic2", "sec", "sec2", "resp", "tl"}  # not the auditor, not the inactive
    assert set(ContactVerification.objects.values_list("user__username", flat=True)) == responders
    assert ContactVerification.objects.count() == len(responders)  # tl is in two groups: once
    assert set(ContactVerification.objects.values_list("due_on", flat=True)) == {date(2027, 1, 15)}

    with time_machine.travel(datetime(2027, 5, 20, tzinfo=UTC), tick=False):
        run_quarterly_tasks()  # the April run was missed; May catches up on Q2
    assert sorted(ProcedureReview.objects.values_list("quarter", flat=True)) == [
        "2027-Q1",
        "2027-Q2",
    ]
    assert Drill.objects.filter(quarter="2027-Q2", auto_scheduled=True).count() == 1
    assert ContactVerification.objects.filter(quarter="2027-Q2").count() == len(responders)
    # Opened late: a week to verify rather than a due date already in the past.
    assert set(
        ContactVerification.objects.filter(quarter="2027-Q2").values_list("due_on", flat=True)
    ) == {date(2027, 5, 27)}


def test_the_opening_is_recorded_in_history_with_a_reason(team):
    review, created = services.procedure_review_open_for_quarter(quarter="2027-Q1", now=Q1_OPENS)
    assert created
    record = review.history.get()
    assert record.history_change_reason == "Quarterly procedure review opened for 2027-Q1"
    assert record.history_user is None  # the schedule, not a person
    again, created = services.procedure_review_open_for_quarter(quarter="2027-Q1", now=Q1_OPENS)
    assert (again.pk, created) == (review.pk, False)
    assert review.history.count() == 1


def test_a_bad_quarter_is_refused(team):
    with pytest.raises(DomainError) as error:
        services.procedure_review_open_for_quarter(quarter="2027-Q5", now=Q1_OPENS)
    assert error.value.field == "quarter"
    assert not ProcedureReview.objects.exists()


def test_new_responders_get_a_verification_when_the_opener_runs_again(team):
    created = services.contact_verification_open_for_quarter(quarter="2027-Q1", now=Q1_OPENS)
    assert len(created) == 6
    newcomer = UserFactory(username="newcomer", groups=[StaffGroup.COMMUNICATIONS_LEAD])
    created = services.contact_verification_open_for_quarter(
        quarter="2027-Q1", now=Q1_OPENS + timedelta(days=1)
    )
    assert [v.user for v in created] == [newcomer]


def test_the_migration_installs_editable_beat_schedules_for_registered_tasks():
    from django_celery_beat.models import PeriodicTask

    from config.celery import app

    app.loader.import_default_modules()  # what a worker does at start: autodiscovery
    by_task = {t.task: t for t in PeriodicTask.objects.select_related("crontab")}
    for name in (*QUARTERLY_TASKS, "reporting.preparedness.send_reminders"):
        assert name in by_task, name
        assert name in app.tasks, name
        assert by_task[name].enabled
    for name in QUARTERLY_TASKS:
        cron = by_task[name].crontab
        assert (cron.minute, cron.hour, cron.day_of_month, cron.month_of_year) == (
            "0",
            "9",
            "1",
            "1,4,7,10",
        )
        assert str(cron.timezone) == "UTC"
    assert by_task["reporting.preparedness.send_reminders"].crontab.hour == "*"


def test_open_quarter_command_does_what_the_schedules_do_and_says_so(team, capsys):
    call_command("open_quarter", "--quarter", "2027-Q3")
    first = capsys.readouterr().out
    assert "2027-Q3 procedure review: created (due 2027-07-31)" in first
    assert "2027-Q3 drill: created" in first
    assert "2027-Q3 contact verifications: 6 created" in first
    call_command("open_quarter", "--quarter", "2027-Q3")
    second = capsys.readouterr().out
    assert "procedure review: exists" in second and "drill: exists" in second
    assert "contact verifications: 0 created" in second
    assert ProcedureReview.objects.count() == 1 and Drill.objects.count() == 1
    with pytest.raises(CommandError):
        call_command("open_quarter", "--quarter", "Q3-2027")


# --- procedure reviews ---------------------------------------------------------------------
def test_completing_a_review_records_outcome_and_stops_reminders(team):
    review, _ = services.procedure_review_open_for_quarter(quarter="2027-Q1", now=Q1_OPENS)
    assert review.next_reminder_at == datetime(2027, 1, 24, 8, tzinfo=UTC)
    with pytest.raises(DomainError) as error:
        services.procedure_review_complete(
            review=review, by=team["ic"], outcome=ReviewOutcome.UPDATED, now=Q1_OPENS
        )
    assert error.value.field == "changes_made"
    done = services.procedure_review_complete(
        review=review,
        by=team["ic"],
        outcome=ReviewOutcome.UPDATED,
        changes_made="Added the NIS2 24-hour early warning to the escalation section.",
        now=Q1_OPENS + timedelta(days=10),
    )
    assert done.completed_by == team["ic"] and done.reviewer == team["ic"]
    assert done.next_reminder_at is None
    assert done.history.first().history_change_reason.startswith("Review completed")
    with pytest.raises(DomainError):
        services.procedure_review_complete(
            review=review, by=team["ic"], outcome=ReviewOutcome.NO_CHANGES, now=Q1_OPENS
        )


def test_updating_a_review_with_its_unchanged_version_is_not_an_error(team):
    """The admin sends every field of the form; an unchanged procedure version must not be
    mistaken for an attempt to edit a forbidden field."""
    review, _ = services.procedure_review_open_for_quarter(quarter="2027-Q1", now=Q1_OPENS)
    services.procedure_review_update(review=review, by=team["ic"], procedure_version="v2027.1")
    updated = services.procedure_review_update(
        review=review, by=team["ic"], reviewer=team["sec"], procedure_version="v2027.1"
    )
    assert (updated.reviewer, updated.procedure_version) == (team["sec"], "v2027.1")
    assert updated.history.first().history_change_reason == "Updated reviewer"
    with pytest.raises(DomainError, match="cannot be edited: outcome"):
        services.procedure_review_update(
            review=review, by=team["ic"], reviewer=team["sec"], outcome="updated"
        )


def test_the_database_refuses_inconsistent_rows(team):
    with pytest.raises(IntegrityError), transaction.atomic():
        ProcedureReview.objects.create(
            quarter="2027-Q1", due_on=date(2027, 1, 31), opened_at=Q1_OPENS, outcome="no_changes"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        TrainingRecord.objects.create(
            user=team["resp"],
            topic=TrainingTopic.SECURITY_AWARENESS,
            completed_on=date(2027, 1, 1),
            expires_on=date(2027, 1, 1),
            recorded_at=Q1_OPENS,
        )
    services.contact_verification_open_for_quarter(quarter="2027-Q1", now=Q1_OPENS)
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactVerification.objects.create(
            user=team["resp"], quarter="2027-Q1", due_on=date(2027, 1, 15), opened_at=Q1_OPENS
        )
    drill, _ = services.drill_schedule_for_quarter(quarter="2027-Q1", now=Q1_OPENS)
    with pytest.raises(IntegrityError), transaction.atomic():
        Drill.objects.filter(pk=drill.pk).update(held_at=Q1_OPENS)  # held without evaluation


# --- drills --------------------------------------------------------------------------------
def test_a_drill_runs_as_an_is_drill_incident_through_the_normal_workflow(team):
    drill, _ = services.drill_schedule_for_quarter(
        quarter="2027-Q1", now=Q1_OPENS, facilitator=team["ic2"]
    )
    at = drill.scheduled_for
    incident = services.drill_run_as_incident(drill=drill, by=team["ic"], now=at)
    drill.refresh_from_db()
    assert drill.incident == incident
    assert incident.is_drill is True
    assert (incident.type, incident.severity) == (drill.incident_type, drill.severity)
    assert incident.title == f"[DRILL] {drill.title}"
    assert incident.response_due_at is not None  # the normal workflow: SLA, checklists …
    assert incident.checklist.exists()
    commander = incident.roles.get(role=ResponseRole.INCIDENT_COMMANDER, relieved_at__isnull=True)
    assert commander.user == team["ic2"]  # the facilitator runs it
    with pytest.raises(DomainError):
        services.drill_run_as_incident(drill=drill, by=team["ic"], now=at)

    from incidents import services as incident_services

    incident_services.incident_assign_role(
        incident=incident,
        role=ResponseRole.TECHNICAL_LEAD,
        assignee=team["tl"],
        user=team["ic2"],
        now=at,
    )
    held = services.drill_record_outcome(
        drill=drill,
        by=team["ic2"],
        now=at + timedelta(hours=3),
        held_at=at,
        evaluation="Containment in 40 minutes; status page update was late.",
        improvements="Pre-write the status page template for database outages.",
    )
    assert set(held.participants.all()) == {team["ic2"], team["tl"]}  # from the incident's roles
    assert held.next_reminder_at is None and held.recorded_by == team["ic2"]
    participants_history = held.history.first().participants.values_list("user", flat=True)
    assert set(participants_history) == {team["ic2"].pk, team["tl"].pk}


def test_drill_outcome_is_validated(team):
    drill, _ = services.drill_schedule_for_quarter(quarter="2027-Q1", now=Q1_OPENS)
    with pytest.raises(DomainError) as error:
        services.drill_record_outcome(
            drill=drill, by=team["ic"], now=Q1_OPENS, held_at=Q1_OPENS, evaluation="  "
        )
    assert error.value.field == "evaluation"
    with pytest.raises(DomainError) as error:
        services.drill_record_outcome(
            drill=drill,
            by=team["ic"],
            now=Q1_OPENS,
            held_at=Q1_OPENS + timedelta(days=1),
            evaluation="ok",
        )
    assert error.value.field == "held_at"


def test_moving_a_drill_restarts_its_reminders_but_the_quarterly_one_stays_in_its_quarter(team):
    drill, _ = services.drill_schedule_for_quarter(quarter="2027-Q1", now=Q1_OPENS)
    moved = services.drill_update(
        drill=drill, by=team["ic"], scheduled_for=datetime(2027, 3, 2, 15, tzinfo=UTC)
    )
    assert moved.next_reminder_at == datetime(2027, 2, 23, 8, tzinfo=UTC)
    with pytest.raises(DomainError):
        services.drill_update(
            drill=drill, by=team["ic"], scheduled_for=datetime(2027, 4, 2, tzinfo=UTC)
        )
    extra = services.drill_create(
        by=team["ic"],
        now=Q1_OPENS,
        title="Tabletop: insider threat",
        scenario="A departing engineer copies the customer export.",
        incident_type="insider_threat",
        severity="P1",
        scheduled_for=datetime(2027, 3, 10, 10, tzinfo=UTC),
        participants=[team["sec"], team["sec2"]],
    )
    assert extra.quarter == "2027-Q1" and not extra.auto_scheduled
    assert Drill.objects.filter(quarter="2027-Q1").count() == 2


# --- reminders -----------------------------------------------------------------------------
def sweep(at):
    counts = reminders.send_preparedness_reminders(now=at)
    deliveries_relay(now=at)  # the outbox's beat relay: sends through the email backend
    return counts


def test_review_reminders_go_to_the_commanders_once_per_stage_and_stop_when_done(team):
    services.procedure_review_open_for_quarter(quarter="2027-Q1", now=Q1_OPENS)
    assert sweep(datetime(2027, 1, 24, 7, tzinfo=UTC))["reviews"] == 0
    week_before = datetime(2027, 1, 24, 8, 5, tzinfo=UTC)
    assert sweep(week_before)["reviews"] == 1
    assert sweep(week_before + timedelta(minutes=30))["reviews"] == 0  # the next sweep
    commanders = ["ic2@harborlist.test", "ic@harborlist.test"]
    assert sent_to("Procedure review 2027-Q1 due in a week") == commanders

    # Beat missed the due day: the first sweep after it sends only the overdue nag.
    late = datetime(2027, 2, 1, 9, tzinfo=UTC)
    assert sweep(late)["reviews"] == 1
    assert sent_to("Procedure review 2027-Q1 overdue") == commanders
    assert sent_to("due today") == []
    review = ProcedureReview.objects.get()
    assert review.next_reminder_at == datetime(2027, 2, 8, 8, tzinfo=UTC)
    keys = set(Delivery.objects.values_list("idempotency_key", flat=True))
    assert f"preparedness:review:{review.pk}:2027-01-31:overdue-1:email:{team['ic'].pk}" in keys

    services.procedure_review_complete(
        review=review, by=team["ic"], outcome=ReviewOutcome.NO_CHANGES, now=late
    )
    mail.outbox.clear()
    assert sweep(datetime(2027, 2, 8, 9, tzinfo=UTC))["reviews"] == 0
    assert mail.outbox == []


def test_a_review_with_a_reviewer_reminds_only_the_reviewer(team):
    services.procedure_review_open_for_quarter(
        quarter="2027-Q1", now=Q1_OPENS, reviewer=team["sec"]
    )
    sweep(datetime(2027, 1, 31, 8, 30, tzinfo=UTC))
    assert sent_to("Procedure review 2027-Q1 due today") == ["sec@harborlist.test"]


def test_a_reminder_is_never_sent_twice_even_if_the_clock_is_rewound(team):
    review, _ = services.procedure_review_open_for_quarter(quarter="2027-Q1", now=Q1_OPENS)
    at = datetime(2027, 1, 31, 9, tzinfo=UTC)
    sweep(at)
    first = len(mail.outbox)
    assert first == 2
    # Someone resets the counter (say, a restored backup): the outbox key still holds.
    ProcedureReview.objects.filter(pk=review.pk).update(reminders_sent=0, next_reminder_at=at)
    sweep(at)
    assert len(mail.outbox) == first


def test_drill_and_contact_reminders_reach_their_owners(team):
    services.drill_schedule_for_quarter(quarter="2027-Q1", now=Q1_OPENS, facilitator=team["ic2"])
    services.contact_verification_open_for_quarter(quarter="2027-Q1", now=Q1_OPENS)
    counts = sweep(datetime(2027, 1, 8, 8, 5, tzinfo=UTC))  # a week before the 15th
    assert counts["contact_verifications"] == 6 and counts["drills"] == 0
    assert len(sent_to("Please confirm your contact details (2027-Q1)")) == 6
    # The responder confirms; the others are nagged once overdue.
    verification = ContactVerification.objects.get(user=team["resp"])
    services.contact_verification_confirm(
        verification=verification, by=team["resp"], now=datetime(2027, 1, 10, tzinfo=UTC)
    )
    mail.outbox.clear()
    sweep(datetime(2027, 1, 16, 8, 5, tzinfo=UTC))
    overdue = sent_to("contact details (2027-Q1) — overdue")
    assert len(overdue) == 5 and "resp@harborlist.test" not in overdue

    mail.outbox.clear()
    counts = sweep(datetime(2027, 2, 9, 8, 5, tzinfo=UTC))  # the drill day
    assert counts["drills"] == 1
    assert sent_to("Drill today at 14:00 UTC") == ["ic2@harborlist.test"]


def test_training_reminds_its_person_before_and_at_expiry_unless_renewed(team):
    record, created = services.training_record_add(
        user=team["resp"],
        topic=TrainingTopic.SECURITY_AWARENESS,
        completed_on=date(2026, 3, 15),
        by=team["ic"],
        now=datetime(2026, 3, 16, tzinfo=UTC),
    )
    assert created and record.expires_on == date(2027, 3, 15)
    assert record.next_reminder_at == datetime(2027, 2, 13, 8, tzinfo=UTC)
    again, created = services.training_record_add(
        user=team["resp"],
        topic=TrainingTopic.SECURITY_AWARENESS,
        completed_on=date(2026, 3, 15),
        by=team["ic"],
        now=datetime(2026, 3, 17, tzinfo=UTC),
    )
    assert (again.pk, created) == (record.pk, False)

    sweep(datetime(2027, 2, 13, 9, tzinfo=UTC))
    assert sent_to("Your Security awareness training expires within 30 days") == [
        "resp@harborlist.test"
    ]
    services.training_record_add(
        user=team["resp"],
        topic=TrainingTopic.SECURITY_AWARENESS,
        completed_on=date(2027, 3, 1),
        by=team["ic"],
        now=datetime(2027, 3, 1, 12, tzinfo=UTC),
    )
    record.refresh_from_db()
    assert record.next_reminder_at is None  # superseded: no "expired" mail
    mail.outbox.clear()
    sweep(datetime(2027, 3, 15, 9, tzinfo=UTC))
    assert mail.outbox == []


def test_training_validity_months_can_be_configured(team, settings):
    settings.HARBORMASTER_TRAINING_VALIDITY_MONTHS = 24
    record, _ = services.training_record_add(
        user=team["resp"],
        topic=TrainingTopic.TOOL_USAGE_AND_ACCESS,
        completed_on=date(2026, 3, 15),
        by=team["ic"],
        now=datetime(2026, 3, 16, tzinfo=UTC),
    )
    assert record.expires_on == date(2028, 3, 15)
    with pytest.raises(DomainError):
        services.training_record_add(
            user=team["resp"],
            topic=TrainingTopic.TOOL_USAGE_AND_ACCESS,
            completed_on=date(2026, 3, 20),
            by=team["ic"],
            now=datetime(2026, 3, 16, tzinfo=UTC),  # completed in the future
        )


# --- contact verification ------------------------------------------------------------------
def test_confirming_stamps_the_contact_point_and_only_the_person_or_a_commander_may(team):
    services.contact_verification_open_for_quarter(quarter="2027-Q1", now=Q1_OPENS)
    mine = ContactVerification.objects.get(user=team["resp"])
    with pytest.raises(DomainError):
        services.contact_verification_confirm(verification=mine, by=team["sec"], now=Q1_OPENS)
    at = Q1_OPENS + timedelta(days=2)
    done = services.contact_verification_confirm(
        verification=mine, by=team["resp"], now=at, email="resp.oncall@harborlist.test"
    )
    contact = ContactPoint.objects.get(user=team["resp"])
    assert contact.verified_at == at and contact.email == "resp.oncall@harborlist.test"
    assert "updated email" in contact.history.first().history_change_reason
    assert done.verified_by == team["resp"] and done.next_reminder_at is None
    assert done.confirmed_contact["email"] == "resp.oncall@harborlist.test"

    someone = ContactVerification.objects.get(user=team["sec2"])
    services.contact_verification_confirm(verification=someone, by=team["ic"], now=at)
    assert ContactPoint.objects.get(user=team["sec2"]).verified_at == at


# --- selectors -----------------------------------------------------------------------------
def test_training_coverage_per_group_hand_computed(team, django_assert_num_queries):
    on = date(2027, 1, 20)
    add = lambda user, topic, completed: services.training_record_add(  # noqa: E731
        user=team[user],
        topic=topic,
        completed_on=completed,
        by=team["ic"],
        now=datetime(2027, 1, 20, tzinfo=UTC),
    )
    for topic in TrainingTopic.values:
        add("ic", topic, date(2026, 6, 1))  # ic: all four current
        add("resp", topic, date(2025, 6, 1))  # resp: all four expired on 2026-06-01
    add("ic2", TrainingTopic.SECURITY_AWARENESS, date(2026, 2, 1))  # current until 2027-02-01
    add("tl", TrainingTopic.COMMUNICATION_PROTOCOLS, date(2027, 1, 5))
    add("gone", TrainingTopic.SECURITY_AWARENESS, date(2026, 6, 1))  # inactive: not counted

    with django_assert_num_queries(1):
        coverage = {row["group"]: row for row in selectors.training_coverage(on=on)}

    assert StaffGroup.AUDITOR not in coverage
    ic = coverage[StaffGroup.INCIDENT_COMMANDER]
    assert ic["members"] == 2 and ic["fully_trained"] == 1 and ic["coverage_rate"] == 0.5
    assert ic["by_topic"][TrainingTopic.SECURITY_AWARENESS] == 2
    assert ic["by_topic"][TrainingTopic.TOOL_USAGE_AND_ACCESS] == 1
    responders = coverage[StaffGroup.RESPONDER]  # resp and tl (gone is inactive)
    assert responders["members"] == 2 and responders["fully_trained"] == 0
    assert responders["by_topic"][TrainingTopic.COMMUNICATION_PROTOCOLS] == 1
    assert responders["coverage_rate"] == 0.0
    assert coverage[StaffGroup.COMMUNICATIONS_LEAD] == {
        "group": StaffGroup.COMMUNICATIONS_LEAD.value,
        "members": 0,
        "by_topic": dict.fromkeys(TrainingTopic.values, 0),
        "fully_trained": 0,
        "coverage_rate": None,
    }
    # The day ic2's training expires it no longer counts.
    later = {r["group"]: r for r in selectors.training_coverage(on=date(2027, 2, 1))}
    assert later[StaffGroup.INCIDENT_COMMANDER]["by_topic"][TrainingTopic.SECURITY_AWARENESS] == 1


def test_contact_verification_status_and_quarter_windows(team, django_assert_num_queries):
    services.contact_verification_open_for_quarter(quarter="2027-Q1", now=Q1_OPENS)
    services.contact_verification_confirm(
        verification=ContactVerification.objects.get(user=team["resp"]),
        by=team["resp"],
        now=Q1_OPENS,
    )
    with django_assert_num_queries(1):
        status = selectors.contact_verification_status(
            "2027-Q1", now=datetime(2027, 1, 16, tzinfo=UTC)
        )
    assert status == {"due": 6, "verified": 1, "overdue": 5}
    assert selectors.contact_verification_status(
        "2027-Q1", now=datetime(2027, 1, 15, 23, tzinfo=UTC)
    ) == {"due": 6, "verified": 1, "overdue": 0}
    assert selectors.contact_verification_status("2027-Q2") == {
        "due": 0,
        "verified": 0,
        "overdue": 0,
    }

    q1 = services.quarter_open(quarter="2027-Q1", now=Q1_OPENS)
    q2 = services.quarter_open(quarter="2027-Q2", now=Q1_OPENS)
    # Q1's review completed in April counts for Q2's report too (completed in Q2).
    services.procedure_review_complete(
        review=q1.review,
        by=team["ic"],
        outcome=ReviewOutcome.NO_CHANGES,
        now=datetime(2027, 4, 2, tzinfo=UTC),
    )
    start, end = selectors.quarter_bounds("2027-Q2")
    assert set(selectors.reviews_in(start, end)) == {q1.review, q2.review}
    assert set(selectors.reviews_in(*selectors.quarter_bounds("2027-Q1"))) == {q1.review}
    drills = list(selectors.drills_in(start, end))
    assert drills == [q2.drill] and drills[0].participant_count == 0

"""Settling preparedness reminders (a demo load): the stage that is past is recorded as
sent without sending, the clock moves to the next stage, and that stage still goes out."""

from datetime import UTC, datetime

import pytest
from django.core import mail

from incidents.models import Delivery
from incidents.outbox.services import deliveries_relay
from reporting.preparedness import reminders, services
from reporting.preparedness.models import ProcedureReview

pytestmark = pytest.mark.django_db

Q1_OPENS = datetime(2027, 1, 1, 9, 0, tzinfo=UTC)
WEEK_BEFORE = datetime(2027, 1, 24, 8, 5, tzinfo=UTC)  # the "due in a week" stage is past
LATE = datetime(2027, 2, 1, 9, tzinfo=UTC)  # past the due day


def test_a_settled_stage_is_not_sent_and_the_next_one_is(people):
    services.procedure_review_open_for_quarter(quarter="2027-Q1", now=Q1_OPENS)
    settled = reminders.preparedness_reminders_settle(now=WEEK_BEFORE)
    assert settled["reviews"] == 1
    review = ProcedureReview.objects.get()
    assert review.reminders_sent == 1
    assert review.next_reminder_at > WEEK_BEFORE
    assert review.history.first().history_change_reason == reminders.DEMO_SETTLED_REASON
    assert reminders.send_preparedness_reminders(now=WEEK_BEFORE)["reviews"] == 0
    assert not Delivery.objects.exists()

    assert reminders.send_preparedness_reminders(now=LATE)["reviews"] == 1
    deliveries_relay(now=LATE)
    assert [m.subject for m in mail.outbox] == ["Procedure review 2027-Q1 overdue"] * len(
        mail.outbox
    )
    assert mail.outbox


def test_the_demo_settler_says_what_it_settled(people):
    services.procedure_review_open_for_quarter(quarter="2027-Q1", now=Q1_OPENS)
    assert reminders.demo_reminders_settle(now=LATE) == "1 preparedness reminder(s) marked as sent"
    assert reminders.send_preparedness_reminders(now=LATE)["reviews"] == 0
    assert not Delivery.objects.exists()

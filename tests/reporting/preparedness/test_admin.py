"""Preparedness in the admin: flows through the services, status filters in SQL, scoping
and permissions per staff group, query budgets on the list pages."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents.choices import StaffGroup
from incidents.models import ContactPoint, Incident
from reporting.preparedness import services
from reporting.preparedness.choices import ReviewOutcome, TrainingTopic
from reporting.preparedness.models import (
    ContactVerification,
    Drill,
    ProcedureReview,
    TrainingRecord,
)
from tests.incidents.builders import UserFactory

pytestmark = pytest.mark.django_db

Q1_OPENS = datetime(2027, 1, 1, 9, tzinfo=UTC)
TODAY = datetime(2027, 2, 3, 10, tzinfo=UTC)  # Q1 review overdue, contact verifications too


@pytest.fixture
def clock():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def quarter(people, clock):
    """Q1 2027 opened on time; nothing done yet."""
    return services.quarter_open(quarter="2027-Q1", now=Q1_OPENS)


def login(client, user):
    client.force_login(user)
    return client


def url(name, *args):
    return reverse(f"admin:reporting_{name}", args=args)


def queries_for(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured)


# --- procedure reviews -------------------------------------------------------------------------
def test_completing_a_review_in_the_admin_goes_through_the_service(client, people, quarter):
    review = quarter.review
    login(client, people["ic"])
    change = url("procedurereview_change", review.pk)
    page = client.get(change)
    assert page.status_code == 200 and b"Complete the review" in page.content

    refused = client.post(
        change,
        {"reviewer": "", "due_on": "2027-01-31", "procedure_version": "", "outcome": "updated"},
    )
    assert refused.status_code == 200  # the form again, with the error
    assert "Describe the changes made" in refused.content.decode()
    review.refresh_from_db()
    assert not review.is_done

    response = client.post(
        change,
        {
            "reviewer": "",
            "due_on": "2027-01-31",
            "procedure_version": "v2027.1",
            "outcome": ReviewOutcome.UPDATED,
            "changes_made": "Contact list moved to the on-call tool.",
        },
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.completed_by == people["ic"] and review.outcome == ReviewOutcome.UPDATED
    assert review.procedure_version == "v2027.1"
    assert review.next_reminder_at is None
    reasons = list(review.history.values_list("history_change_reason", flat=True))
    assert any(r.startswith("Review completed") for r in reasons)
    assert review.history.first().history_user == people["ic"]


def test_adding_a_review_opens_it_for_the_quarter_with_the_default_due_date(client, people, clock):
    login(client, people["ic"])
    response = client.post(
        url("procedurereview_add"),
        {"quarter": "2027-q2", "reviewer": people["sec"].pk, "due_on": "", "procedure_version": ""},
    )
    assert response.status_code == 302
    review = ProcedureReview.objects.get()
    assert (review.quarter, review.due_on, review.reviewer) == (
        "2027-Q2",
        date(2027, 4, 30),
        people["sec"],
    )
    duplicate = client.post(url("procedurereview_add"), {"quarter": "2027-Q2", "due_on": ""})
    assert duplicate.status_code == 200 and ProcedureReview.objects.count() == 1
    bad = client.post(url("procedurereview_add"), {"quarter": "2027-Q9", "due_on": ""})
    assert bad.status_code == 200 and "Not a quarter" in bad.content.decode()


def test_review_list_filters_by_status_in_sql_and_highlights_overdue(client, people, quarter):
    services.procedure_review_open_for_quarter(quarter="2027-Q2", now=Q1_OPENS)  # due 30 Apr
    services.procedure_review_open_for_quarter(quarter="2026-Q4", now=Q1_OPENS)
    services.procedure_review_complete(
        review=ProcedureReview.objects.get(quarter="2026-Q4"),
        by=people["ic"],
        outcome=ReviewOutcome.NO_CHANGES,
        now=Q1_OPENS,
    )
    login(client, people["auditor"])  # view-only, sees the lists

    def quarters(status):
        response = client.get(url("procedurereview_changelist"), {"status": status})
        assert response.status_code == 200
        return sorted(r.quarter for r in response.context["cl"].result_list)

    assert quarters("overdue") == ["2027-Q1"]
    assert quarters("done") == ["2026-Q4"]
    assert quarters("scheduled") == ["2027-Q2"]
    assert quarters("due") == []
    page = client.get(url("procedurereview_changelist")).content.decode()
    assert 'color:#c62828;font-weight:bold">Overdue' in page


def test_due_status_is_the_week_before(client, people, clock):
    services.contact_verification_open_for_quarter(quarter="2027-Q1", now=Q1_OPENS)
    ContactVerification.objects.filter(user=people["resp"]).update(due_on=date(2027, 2, 10))
    ContactVerification.objects.filter(user=people["sec"]).update(due_on=date(2027, 2, 11))
    login(client, people["ic"])
    response = client.get(url("contactverification_changelist"), {"status": "due"})
    assert [v.user for v in response.context["cl"].result_list] == [people["resp"]]
    response = client.get(url("contactverification_changelist"), {"status": "scheduled"})
    assert [v.user for v in response.context["cl"].result_list] == [people["sec"]]


# --- drills --------------------------------------------------------------------------------
def test_run_as_incident_button_opens_the_drill_incident(client, people, quarter):
    drill = quarter.drill
    login(client, people["ic"])
    page = client.get(url("drill_change", drill.pk)).content.decode()
    assert url("drill_run", drill.pk) in page and "Run as incident" in page

    response = client.post(url("drill_run", drill.pk))
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:incidents_incident_change", args=[incident.pk])
    assert incident.is_drill
    drill.refresh_from_db()
    assert drill.incident == incident
    again = client.post(url("drill_run", drill.pk))  # a second click: refused, no new incident
    assert again.status_code == 302 and Incident.objects.count() == 1
    page = client.get(url("drill_change", drill.pk)).content.decode()
    assert "Run as incident" not in page and "Drill incident" in page


def test_running_a_drill_asks_for_confirmation_first(client, people, quarter):
    drill = quarter.drill
    login(client, people["ic"])
    confirm = client.get(url("drill_run", drill.pk))
    assert confirm.status_code == 200
    html = confirm.content.decode()
    assert "Run the drill" in html and f"[DRILL] {drill.title}" in html
    assert "Yes, run it as an incident" in html and 'method="post"' in html
    assert url("drill_change", drill.pk) in html  # "No, go back"
    assert not Incident.objects.exists()  # a GET runs nothing
    drill.refresh_from_db()
    assert drill.incident is None
    assert client.post(url("drill_run", drill.pk)).status_code == 302
    assert Incident.objects.get().is_drill
    # Once it runs, the confirmation page leads back to the drill.
    again = client.get(url("drill_run", drill.pk))
    assert again.status_code == 302 and again["Location"] == url("drill_change", drill.pk)


def test_a_responder_cannot_run_or_change_drills(client, people, quarter):
    drill = quarter.drill
    login(client, people["resp"])
    assert client.get(url("drill_changelist")).status_code == 200  # may view
    assert client.post(url("drill_run", drill.pk)).status_code == 403
    assert client.get(url("drill_run", drill.pk)).status_code == 403
    assert client.get(url("drill_add")).status_code == 403
    changed = client.post(
        url("drill_change", drill.pk),
        {
            "title": "Renamed by a responder",
            "scenario": drill.scenario,
            "incident_type": drill.incident_type,
            "severity": drill.severity,
            "scheduled_for_0": "2027-02-09",
            "scheduled_for_1": "14:00:00",
        },
    )
    assert changed.status_code == 403
    drill.refresh_from_db()
    assert drill.title != "Renamed by a responder"
    assert not Incident.objects.exists()


def _plan(drill, **changes):
    return {
        "title": drill.title,
        "scenario": drill.scenario,
        "incident_type": drill.incident_type,
        "severity": drill.severity,
        "scheduled_for_0": "2027-02-09",
        "scheduled_for_1": "14:00:00",
        "facilitator": drill.facilitator_id or "",
        "participants": [p.pk for p in drill.participants.all()],
        "evaluation": "",
        "improvements": "",
        **changes,
    }


def test_recording_the_outcome_keeps_the_invited_participants(client, people, quarter):
    """The outcome form leaves participants untouched: the invited stay, and whoever held a
    role on the drill incident is added (was: replaced by the role holders)."""
    drill = quarter.drill
    login(client, people["ic"])
    change = url("drill_change", drill.pk)
    invited = {
        "facilitator": people["ic"].pk,
        "participants": [people["resp"].pk, people["sec2"].pk],
    }
    assert client.post(change, _plan(drill, **invited)).status_code == 302
    assert client.post(url("drill_run", drill.pk)).status_code == 302
    drill.refresh_from_db()
    outcome = {"held_at_0": "2027-02-02", "held_at_1": "14:00:00", "evaluation": "Went well."}
    assert client.post(change, _plan(drill, **outcome)).status_code == 302
    drill.refresh_from_db()
    assert drill.is_done
    assert set(drill.participants.all()) == {people["resp"], people["sec2"], people["ic"]}


def test_a_security_drill_stays_need_to_know(client, people, clock):
    """Run by a commander outside the Security Lead group with a Security Lead
    facilitating: the incident opens, but its starter stays on the drill page and sees no
    link to it; the facilitator (its commander) can open it."""
    drill = services.drill_create(
        by=people["ic"],
        now=Q1_OPENS,
        title="Credential stuffing tabletop",
        scenario="Login failures spike from one ASN.",
        incident_type="unauthorized_access",
        severity="P1",
        scheduled_for=datetime(2027, 2, 9, 14, tzinfo=UTC),
        facilitator=people["sec"],
    )
    login(client, people["ic"])
    response = client.post(url("drill_run", drill.pk))
    incident = Incident.objects.get()
    assert incident.is_drill and incident.category == "security"
    assert response.status_code == 302 and response["Location"] == url("drill_change", drill.pk)
    page = client.get(url("drill_change", drill.pk), follow=True).content.decode()
    assert "only the Security Lead group" in page
    assert reverse("admin:incidents_incident_change", args=[incident.pk]) not in page
    incident_page = reverse("admin:incidents_incident_change", args=[incident.pk])
    assert client.get(incident_page).status_code == 302  # "doesn't exist", back to the index
    login(client, people["sec"])
    assert incident_page in client.get(url("drill_change", drill.pk)).content.decode()
    assert client.get(incident_page).status_code == 200


@pytest.mark.parametrize(
    "model", ["drill", "procedurereview", "trainingrecord", "contactverification"]
)
def test_malformed_ids_are_not_found_not_a_500(client, people, quarter, model):
    login(client, people["ic"])
    change = client.get(f"/admin/reporting/{model}/abc/change/")
    assert change.status_code == 302  # the admin's "doesn't exist" redirect
    assert client.get(f"/admin/reporting/{model}/abc/history/").status_code == 404


def test_recording_the_drill_outcome_in_the_admin(client, people, quarter):
    drill = quarter.drill
    login(client, people["ic"])
    change = url("drill_change", drill.pk)
    base = {
        "title": drill.title,
        "scenario": drill.scenario,
        "incident_type": drill.incident_type,
        "severity": drill.severity,
        "scheduled_for_0": "2027-02-09",
        "scheduled_for_1": "14:00:00",
        "facilitator": people["ic"].pk,
        "participants": [people["resp"].pk, people["sec"].pk],
        "evaluation": "",
        "improvements": "",
    }
    # Planning: a facilitator and the invited participants, no outcome yet.
    assert client.post(change, base).status_code == 302
    drill.refresh_from_db()
    assert drill.facilitator == people["ic"] and drill.participants.count() == 2
    assert not drill.is_done

    missing = client.post(change, {**base, "held_at_0": "2027-02-02", "held_at_1": "14:00:00"})
    assert missing.status_code == 200 and "Evaluate the drill" in missing.content.decode()
    future = client.post(
        change,
        {**base, "held_at_0": "2027-03-02", "held_at_1": "14:00:00", "evaluation": "fine"},
    )
    assert future.status_code == 200 and "in the future" in future.content.decode()

    done = client.post(
        change,
        {
            **base,
            "held_at_0": "2027-02-02",
            "held_at_1": "14:00:00",
            "evaluation": "Paging worked; the status page lagged.",
            "improvements": "Status page template.",
        },
    )
    assert done.status_code == 302
    drill.refresh_from_db()
    assert drill.held_at == datetime(2027, 2, 2, 14, tzinfo=UTC)
    assert drill.recorded_by == people["ic"] and drill.next_reminder_at is None
    assert drill.history.first().history_change_reason == "Drill held"


def test_drill_list_budget_does_not_grow_with_rows(client, people, quarter):
    login(client, people["ic"])
    few = queries_for(client, url("drill_changelist"))
    for number in range(12):
        drill = services.drill_create(
            by=people["ic"],
            now=Q1_OPENS,
            title=f"Tabletop {number}",
            scenario="…",
            incident_type="ddos",
            severity="P2",
            scheduled_for=Q1_OPENS + timedelta(days=number),
            facilitator=people["sec"],
            participants=[people["resp"], people["sec2"]],
        )
        if number % 3 == 0:  # some run as incidents: the incident column must not N+1
            services.drill_run_as_incident(drill=drill, by=people["ic"], now=Q1_OPENS)
    assert Drill.objects.filter(incident__isnull=False).count() == 4
    assert queries_for(client, url("drill_changelist")) == few
    assert few <= 12


def test_review_list_budget_with_reviewers_and_completed_reviews(client, people, quarter):
    login(client, people["auditor"])
    few = queries_for(client, url("procedurereview_changelist"))
    for year in range(2015, 2027):
        for number in (1, 3):
            review, _ = services.procedure_review_open_for_quarter(
                quarter=f"{year}-Q{number}", now=Q1_OPENS
            )
            services.procedure_review_update(review=review, by=people["ic"], reviewer=people["sec"])
            if number == 1:
                services.procedure_review_complete(
                    review=review, by=people["ic"], outcome=ReviewOutcome.NO_CHANGES, now=Q1_OPENS
                )
    assert ProcedureReview.objects.filter(completed_by__isnull=False).count() == 12
    assert queries_for(client, url("procedurereview_changelist")) == few
    assert few <= 11


# --- training ------------------------------------------------------------------------------
def test_adding_training_in_the_admin_and_coverage_above_the_list(client, people, clock):
    login(client, people["ic"])
    response = client.post(
        url("trainingrecord_add"),
        {
            "user": people["resp"].pk,
            "topic": TrainingTopic.SECURITY_AWARENESS,
            "completed_on": "2027-01-20",
            "expires_on": "",
            "provider": "Phishing workshop",
            "evidence_url": "",
            "notes": "",
        },
    )
    assert response.status_code == 302
    record = TrainingRecord.objects.get()
    assert record.expires_on == date(2028, 1, 20) and record.recorded_by == people["ic"]
    assert record.history.first().history_user == people["ic"]
    future = client.post(
        url("trainingrecord_add"),
        {"user": people["resp"].pk, "topic": "tool_usage_and_access", "completed_on": "2027-03-01"},
    )
    assert future.status_code == 200 and "in the future" in future.content.decode()
    assert TrainingRecord.objects.count() == 1

    page = client.get(url("trainingrecord_changelist"))
    html = page.content.decode()
    assert 'id="training-coverage"' in html
    responder_row = next(r for r in page.context["coverage"] if r["group"] == "Responder")
    assert responder_row["by_topic"][TrainingTopic.SECURITY_AWARENESS] == 1
    # Records are evidence: viewable, not editable.
    assert client.post(url("trainingrecord_change", record.pk), {}).status_code == 403


def test_responders_see_only_their_own_training_and_auditors_everything(client, people, clock):
    for person in ("resp", "sec", "ic"):
        services.training_record_add(
            user=people[person],
            topic=TrainingTopic.COMMUNICATION_PROTOCOLS,
            completed_on=date(2026, 6, 1),
            by=people["ic"],
            now=TODAY,
        )
    login(client, people["resp"])
    mine = client.get(url("trainingrecord_changelist")).context["cl"].result_list
    assert [r.user for r in mine] == [people["resp"]]
    others = TrainingRecord.objects.exclude(user=people["resp"]).first()
    assert client.get(url("trainingrecord_change", others.pk)).status_code == 302  # not found
    assert client.get(url("trainingrecord_add")).status_code == 403
    login(client, people["auditor"])
    assert client.get(url("trainingrecord_changelist")).context["cl"].result_count == 3


def test_training_list_filters_and_budget(client, people, clock):
    login(client, people["ic"])
    few = queries_for(client, url("trainingrecord_changelist"))
    for number in range(10):
        person = UserFactory(username=f"trainee{number}", groups=[StaffGroup.RESPONDER])
        services.training_record_add(
            user=person,
            topic=TrainingTopic.INCIDENT_RESPONSE_PROCEDURES,
            completed_on=date(2026, 2, 20) if number % 2 else date(2026, 2, 1),
            by=people["ic"],
            now=TODAY,
        )
    assert queries_for(client, url("trainingrecord_changelist")) == few
    assert few <= 11  # coverage table included: one aggregate query
    expired = client.get(url("trainingrecord_changelist"), {"validity": "expired"})
    expiring = client.get(url("trainingrecord_changelist"), {"validity": "expiring"})
    assert expired.context["cl"].result_count == 5  # expired 1 Feb 2027
    assert expiring.context["cl"].result_count == 5  # expires 20 Feb 2027
    by_group = client.get(url("trainingrecord_changelist"), {"group": "Incident Commander"})
    assert by_group.context["cl"].result_count == 0


# --- contact verification ------------------------------------------------------------------
def test_a_responder_confirms_their_own_contact_details(client, people, quarter):
    login(client, people["resp"])
    listing = client.get(url("contactverification_changelist"))
    rows = list(listing.context["cl"].result_list)
    assert [v.user for v in rows] == [people["resp"]]  # only their own
    mine = rows[0]

    other = ContactVerification.objects.get(user=people["sec"])
    assert client.get(url("contactverification_confirm", other.pk)).status_code == 404

    page = client.get(url("contactverification_confirm", mine.pk))
    assert page.status_code == 200
    bad = client.post(url("contactverification_confirm", mine.pk), {"email": "not-an-address"})
    assert bad.status_code == 200
    mine.refresh_from_db()
    assert not mine.is_done
    response = client.post(
        url("contactverification_confirm", mine.pk),
        {"email": "resp.pager@harborlist.test", "chat_handle": "U0RESP"},
    )
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.verified_by == people["resp"]
    contact = ContactPoint.objects.get(user=people["resp"])
    assert (contact.email, contact.chat_handle) == ("resp.pager@harborlist.test", "U0RESP")
    assert contact.verified_at == TODAY


def test_confirm_action_for_commanders_and_query_budget(client, people, quarter):
    login(client, people["ic"])
    listing = url("contactverification_changelist")
    few = queries_for(client, listing)
    for number in range(8):
        UserFactory(username=f"late{number}", groups=[StaffGroup.RESPONDER])
    opened = services.contact_verification_open_for_quarter(quarter="2027-Q1", now=TODAY)
    for verification in opened[:4]:  # confirmed rows show who confirmed: no N+1 on verified_by
        services.contact_verification_confirm(
            verification=verification, by=verification.user, now=TODAY
        )
    assert queries_for(client, listing) == few
    assert few <= 11
    overdue = client.get(listing, {"status": "overdue"}).context["cl"].result_count
    assert overdue == 4  # the opened-on-time ones (the late joiners got a week from today)

    chosen = ContactVerification.objects.filter(user__username__in=["sec", "sec2"])
    response = client.post(
        listing,
        {"action": "confirm_selected", "_selected_action": [v.pk for v in chosen]},
    )
    assert response.status_code == 302
    assert ContactVerification.objects.filter(verified_by=people["ic"]).count() == 2
    assert ContactPoint.objects.filter(verified_at=TODAY).count() == 4 + 2  # late joiners + 2


def test_verification_history_is_read_only_and_scoped(client, people, quarter):
    mine = ContactVerification.objects.get(user=people["resp"])
    other = ContactVerification.objects.get(user=people["sec"])
    login(client, people["resp"])
    assert client.get(url("contactverification_history", mine.pk)).status_code == 200
    assert client.get(url("contactverification_history", other.pk)).status_code == 404
    version = mine.history.first().history_id
    revert = url("contactverification_simple_history", mine.pk, version)
    assert client.post(revert, {}).status_code == 403
    assert not Drill.objects.filter(incident__isnull=False).exists()


def test_an_over_long_contact_email_is_a_form_error(client, people, quarter):
    mine = ContactVerification.objects.get(user=people["resp"])
    login(client, people["resp"])
    too_long = "a" * 60 + "@" + ("b" * 60 + ".") * 4 + "test"  # 309 characters, a valid form
    assert len(too_long) > ContactPoint._meta.get_field("email").max_length
    response = client.post(url("contactverification_confirm", mine.pk), {"email": too_long})
    assert response.status_code == 200
    assert "at most 254 characters" in response.content.decode()
    mine.refresh_from_db()
    assert not mine.is_done
    assert not ContactPoint.objects.filter(user=people["resp"], email=too_long).exists()

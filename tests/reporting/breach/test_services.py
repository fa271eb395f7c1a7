"""Breach assessments, notification obligations and their clocks, the closing rule and bad
input (clear errors, never a half-written record)."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from incidents import services as incident_services
from incidents.choices import IncidentType, Status
from incidents.domain import DomainError
from reporting.breach import services
from reporting.breach.choices import ObligationStatus
from reporting.models import NotificationObligation, Regime, RegimeStage
from tests.incidents.builders import changeform_post_data
from tests.reporting.builders import T0, gdpr_assessment, obligation, regimes

pytestmark = pytest.mark.django_db


def test_the_regimes_are_seeded_as_data_with_version_and_source():
    codes = set(Regime.objects.values_list("code", flat=True))
    assert {
        "gdpr-33",
        "gdpr-34",
        "nis2",
        "dora",
        "sec-8k",
        "hipaa",
        "pci-dss",
        "colorado",
        "texas",
    } <= codes
    gdpr = RegimeStage.objects.get(regime__code="gdpr-33")
    assert (gdpr.anchor, gdpr.amount, gdpr.unit) == ("awareness", 72, "hours")
    keys = [item["key"] for item in gdpr.required_contents]
    assert {
        "nature",
        "approx_data_subjects",
        "dpo_contact",
        "likely_consequences",
        "measures",
    } <= set(keys)
    sec = RegimeStage.objects.get(regime__code="sec-8k")
    assert (sec.anchor, sec.amount, sec.unit) == ("determination", 4, "business_days")
    assert sec.holiday_calendar == "us_federal"
    assert sec.business_day_zone == "America/New_York"
    dora = {s.code: s for s in RegimeStage.objects.filter(regime__code="dora")}
    assert (dora["initial"].anchor, dora["initial"].amount) == ("classification", 4)
    assert (dora["initial"].cap_anchor, dora["initial"].cap_amount) == ("awareness", 24)
    assert dora["intermediate"].anchor == "previous_stage"
    assert (dora["final"].amount, dora["final"].unit) == (1, "calendar_months")
    assert all(s.rule_version and s.source for s in RegimeStage.objects.all())
    texas_ag = RegimeStage.objects.get(regime__code="texas", code="attorney-general")
    assert (texas_ag.applicability, texas_ag.threshold) == ("state_residents_gte", 250)


def test_gdpr_obligation_is_due_72_hours_after_awareness(open_breach, people):
    incident = open_breach()
    aware = T0 + timedelta(hours=2)
    assessment = services.breach_assessment_start(
        incident=incident,
        user=people["sec"],
        awareness_at=aware,
        awareness_reason="SOC confirmed exfiltration",
        regimes=regimes("gdpr-33", "gdpr-34"),
        now=T0 + timedelta(hours=3),
    )
    art33 = obligation(assessment, "gdpr-33", "notification")
    assert art33.status == ObligationStatus.PENDING
    assert art33.due_at == aware + timedelta(hours=72)
    assert art33.recipient == "Lead supervisory authority"
    assert art33.next_reminder_at == art33.due_at - timedelta(hours=24)
    # Art. 34 waits for the high-risk decision; it has no fixed clock.
    art34 = obligation(assessment, "gdpr-34", "data-subjects")
    assert art34.status == ObligationStatus.PENDING and art34.due_at is None
    assert "not yet decided" in art34.rationale

    services.breach_assessment_decide_high_risk(
        assessment=assessment,
        high_risk=False,
        rationale="Data was encrypted at rest with keys not exposed",
        user=people["sec"],
        now=T0 + timedelta(hours=4),
    )
    art34.refresh_from_db()
    assert art34.status == ObligationStatus.NOT_REQUIRED
    assert "no high risk" in art34.rationale


def test_changing_awareness_needs_a_reason_moves_the_clock_and_is_in_history(open_breach, people):
    incident = open_breach()
    assessment = services.breach_assessment_start(
        incident=incident, user=people["sec"], regimes=regimes("gdpr-33"), now=T0
    )
    art33 = obligation(assessment, "gdpr-33", "notification")
    assert art33.due_at is None  # no awareness time yet
    with pytest.raises(DomainError):
        services.breach_assessment_set_time(
            assessment=assessment, anchor="awareness", at=T0, reason=" ", user=people["sec"]
        )
    services.breach_assessment_set_time(
        assessment=assessment,
        anchor="awareness",
        at=T0,
        reason="Alert triaged as a breach",
        user=people["sec"],
        now=T0 + timedelta(minutes=5),
    )
    earlier = T0 - timedelta(hours=5)
    services.breach_assessment_set_time(
        assessment=assessment,
        anchor="awareness",
        at=earlier,
        reason="Log review: the SOC saw it at 04:00 already",
        user=people["ic"],
        now=T0 + timedelta(hours=1),
    )
    assessment.refresh_from_db()
    assert assessment.awareness_set_by == people["ic"]
    art33.refresh_from_db()
    assert art33.due_at == earlier + timedelta(hours=72)
    rows = list(assessment.history.order_by("history_date", "history_id"))
    assert [r.awareness_at for r in rows][-2:] == [T0, earlier]
    assert rows[-1].history_user == people["ic"]
    assert "Log review" in rows[-1].history_change_reason
    assert "Awareness time" in rows[-1].history_change_reason


def test_a_stage_anchored_on_the_previous_one_counts_from_its_actual_submission(
    open_breach, people
):
    incident = open_breach()
    classified = T0 + timedelta(hours=1)
    assessment = services.breach_assessment_start(
        incident=incident, user=people["sec"], regimes=regimes("dora"), now=T0 + timedelta(hours=2)
    )
    services.breach_assessment_set_time(
        assessment=assessment,
        anchor="classification",
        at=classified,
        reason="Major under RTS 2025/301 criteria",
        user=people["sec"],
        now=T0 + timedelta(hours=2),
    )
    initial = obligation(assessment, "dora", "initial")
    intermediate = obligation(assessment, "dora", "intermediate")
    assert initial.due_at == classified + timedelta(hours=4)
    assert intermediate.due_at is None
    submitted = T0 + timedelta(hours=3, minutes=10)
    services.obligation_submit(
        obligation=initial,
        user=people["sec"],
        submitted_at=submitted,
        reference_number="DORA-2026-0001",
        now=T0 + timedelta(hours=4),
    )
    intermediate.refresh_from_db()
    assert intermediate.anchor_at == submitted
    assert intermediate.due_at == submitted + timedelta(hours=72)
    final = obligation(assessment, "dora", "final")
    assert final.due_at is None
    services.obligation_submit(
        obligation=intermediate,
        user=people["sec"],
        submitted_at=datetime(2026, 6, 3, 10, tzinfo=UTC),
        now=datetime(2026, 6, 3, 11, tzinfo=UTC),
    )
    final.refresh_from_db()
    assert final.due_at == datetime(2026, 7, 3, 10, tzinfo=UTC)


def test_dora_initial_report_is_never_later_than_24_hours_after_awareness(open_breach, people):
    incident = open_breach()
    now = T0 + timedelta(hours=23)
    assessment = services.breach_assessment_start(
        incident=incident,
        user=people["sec"],
        regimes=regimes("dora"),
        awareness_at=T0,
        awareness_reason="SOC ticket confirmed exfiltration",
        now=now,
    )
    initial = obligation(assessment, "dora", "initial")
    assert initial.due_at is None  # not classified as major yet: no clock
    services.breach_assessment_set_time(
        assessment=assessment,
        anchor="classification",
        at=T0 + timedelta(hours=22),
        reason="Major under RTS 2025/301 criteria",
        user=people["sec"],
        now=now,
    )
    initial.refresh_from_db()
    # 4 h after classification would be T0 + 26 h; the 24 h outer bound comes first.
    assert initial.due_at == T0 + timedelta(hours=24)
    assert initial.next_reminder_at is not None and initial.next_reminder_at <= initial.due_at


NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("determined", "due"),
    [
        # Tuesday before Thanksgiving: Wed 25, (Thu 26 Thanksgiving), Fri 27, Mon 30, Tue 1
        # December; due by 17:30 that Tuesday in New York.
        (datetime(2026, 11, 24, 10, tzinfo=NEW_YORK), datetime(2026, 12, 1, 17, 30)),
        # Friday 22:00 in New York is already Saturday in UTC; counting UTC days would
        # start on Monday and end a day early. Mon 23, Tue 24, Wed 25, Fri 27.
        (datetime(2026, 11, 20, 22, tzinfo=NEW_YORK), datetime(2026, 11, 27, 17, 30)),
        # Monday 21:00 EST (Tuesday 02:00 UTC): Tue, Wed, Thu, Fri -- not Monday in UTC.
        (datetime(2026, 11, 2, 21, tzinfo=NEW_YORK), datetime(2026, 11, 6, 17, 30)),
    ],
)
def test_sec_8k_deadline_counts_new_york_business_days(open_breach, people, determined, due):
    determined = determined.astimezone(UTC)
    incident = open_breach(at=determined - timedelta(days=1))
    assessment = services.breach_assessment_start(
        incident=incident, user=people["sec"], regimes=regimes("sec-8k"), now=determined
    )
    services.breach_assessment_set_time(
        assessment=assessment,
        anchor="determination",
        at=determined,
        reason="Disclosure committee found it material",
        user=people["sec"],
        now=determined,
    )
    filing = obligation(assessment, "sec-8k", "8k")
    assert filing.due_at == due.replace(tzinfo=NEW_YORK)
    # EDGAR dates a filing made after 17:30 Eastern the next business day.
    assert filing.due_at.astimezone(NEW_YORK).time() == time(17, 30)


@pytest.mark.parametrize("zone", ["America/Gotham", "Europe", "America", "posixrules", "../x"])
def test_a_stage_business_day_zone_must_be_a_real_time_zone(zone):
    stage = RegimeStage.objects.get(regime__code="sec-8k")
    stage.business_day_zone = zone
    with pytest.raises(ValidationError) as caught:
        stage.full_clean()
    assert "business_day_zone" in caught.value.message_dict


def test_a_local_end_of_day_needs_its_zone():
    stage = RegimeStage.objects.get(regime__code="sec-8k")
    stage.business_day_zone = ""
    with pytest.raises(ValidationError) as caught:
        stage.full_clean()
    assert "business_day_ends" in caught.value.message_dict


def test_the_regime_stage_admin_shows_a_bad_zone_as_a_form_error(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "r@x.test", "pw"))
    stage = RegimeStage.objects.get(regime__code="sec-8k")
    url = reverse("admin:reporting_regimestage_change", args=[stage.pk])
    response = client.post(url, changeform_post_data(client.get(url), business_day_zone="Europe"))
    assert response.status_code == 200
    assert "IANA time zone" in response.content.decode()


def test_seeded_regimes_and_stages_have_a_baseline_history_row():
    for model in (Regime, RegimeStage):
        seeded = set(model.objects.values_list("pk", flat=True))
        baseline = model.history.filter(history_type="+").values_list("id", flat=True)
        assert seeded and seeded == set(baseline)
    for stage in RegimeStage.objects.all():
        stage.full_clean()  # the seeded rules pass the checks an edit must pass
    sec = RegimeStage.objects.get(regime__code="sec-8k").history.get(history_type="+")
    assert sec.business_day_zone == "America/New_York"
    assert "Seeded" in sec.history_change_reason


def test_a_stage_outer_bound_needs_its_event_and_amount():
    stage = RegimeStage.objects.get(regime__code="gdpr-33")
    stage.cap_anchor = "awareness"
    with pytest.raises(ValidationError) as caught:
        stage.full_clean()
    assert "cap_amount" in caught.value.message_dict
    stage.cap_anchor, stage.cap_amount = "previous_stage", 24
    with pytest.raises(ValidationError) as caught:
        stage.full_clean()
    assert "cap_anchor" in caught.value.message_dict


def test_submission_snapshots_the_gdpr_art_33_3_fields(open_breach, people):
    incident = open_breach()
    assessment = services.breach_assessment_start(
        incident=incident,
        user=people["sec"],
        awareness_at=T0,
        awareness_reason="confirmed",
        regimes=regimes("gdpr-33"),
        now=T0,
    )
    services.breach_assessment_update(
        assessment=assessment,
        user=people["sec"],
        nature="Exfiltration of the customer table via a leaked API token",
        data_categories="names, e-mail addresses",
        data_subject_categories="customers",
        approx_data_subjects=12000,
        approx_records=15000,
        likely_consequences="Phishing",
        measures="Token revoked; customers informed",
        dpo_contact="dpo@harborlist.test",
        now=T0,
    )
    art33 = obligation(assessment, "gdpr-33", "notification")
    done = services.obligation_submit(
        obligation=art33,
        user=people["sec"],
        reference_number="DPC-123",
        now=T0 + timedelta(hours=10),
    )
    snapshot = done.content_snapshot
    assert snapshot["approx_data_subjects"]["value"] == 12000
    assert snapshot["dpo_contact"]["value"] == "dpo@harborlist.test"
    assert snapshot["measures"]["value"].startswith("Token revoked")
    assert snapshot["nature"]["label"].startswith("Art. 33(3)(a)")
    assert done.status == ObligationStatus.SUBMITTED
    assert done.submitted_by == people["sec"]
    with pytest.raises(DomainError):
        services.obligation_submit(
            obligation=art33, user=people["sec"], now=T0 + timedelta(hours=11)
        )


def test_thresholds_decide_which_state_stages_apply(open_breach, people):
    incident = open_breach()
    assessment = services.breach_assessment_start(
        incident=incident, user=people["sec"], regimes=regimes("texas", "colorado"), now=T0
    )
    services.breach_assessment_set_time(
        assessment=assessment,
        anchor="determination",
        at=T0,
        reason="Counsel",
        user=people["sec"],
        now=T0,
    )
    services.breach_assessment_update(
        assessment=assessment,
        user=people["sec"],
        residents_by_state={"TX": 300, "CO": 120},
        now=T0,
    )
    texas_ag = obligation(assessment, "texas", "attorney-general")
    colorado_ag = obligation(assessment, "colorado", "attorney-general")
    assert texas_ag.status == ObligationStatus.PENDING
    assert texas_ag.due_at == T0 + timedelta(days=30)
    assert colorado_ag.status == ObligationStatus.NOT_REQUIRED
    assert "120 residents of CO < 500" in colorado_ag.rationale
    # A person's decision is kept; it needs a rationale.
    with pytest.raises(DomainError):
        services.obligation_mark_not_required(obligation=texas_ag, rationale="", user=people["sec"])
    services.obligation_mark_not_required(
        obligation=texas_ag, rationale="Counsel: exemption applies", user=people["sec"], now=T0
    )
    services.breach_assessment_update(
        assessment=assessment, user=people["sec"], residents_by_state={"TX": 301}, now=T0
    )
    texas_ag.refresh_from_db()
    assert texas_ag.status == ObligationStatus.NOT_REQUIRED
    assert texas_ag.decided_by == people["sec"]


def _close(incident, user, now):
    incident.refresh_from_db()
    if incident.status != Status.RESOLVED:
        incident_services.incident_transition(
            incident=incident,
            to_status=Status.RESOLVED,
            user=user,
            resolution_summary="fixed",
            now=now,
        )
    return incident_services.incident_transition(
        incident=incident,
        to_status=Status.CLOSED,
        user=user,
        now=now,
        reason="Open work tracked in OPS-1",
    )


def test_a_data_breach_cannot_close_without_a_breach_assessment(open_breach, people):
    # P3: no post-mortem is required, so only the breach rule stands in the way.
    incident = open_breach(severity="P3")
    with pytest.raises(DomainError, match="breach assessment"):
        _close(incident, people["sec"], T0 + timedelta(days=1))
    incident.refresh_from_db()
    assert incident.status != Status.CLOSED
    services.breach_assessment_start(incident=incident, user=people["sec"], now=T0)
    assert _close(incident, people["sec"], T0 + timedelta(days=1)).status == Status.CLOSED


def test_personal_data_on_any_incident_needs_the_assessment_too(open_breach, people):
    incident = open_breach(
        type=IncidentType.SERVICE_OUTAGE, personal_data_involved=True, severity="P3"
    )
    with pytest.raises(DomainError, match="breach assessment"):
        _close(incident, people["sec"], T0 + timedelta(days=1))
    plain = open_breach(type=IncidentType.SERVICE_OUTAGE, title="Slow checkout", severity="P3")
    assert _close(plain, people["sec"], T0 + timedelta(days=1)).status == Status.CLOSED


# --- bad input: clear errors, never a 500 or a half-written record -------------------------------
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("residents_by_state", "CO=-3", "whole number"),
        ("residents_by_state", "CO=many", "whole number"),
        ("residents_by_state", "CO=1.5", "whole number"),
        ("residents_by_state", "CO 120", "write it as CO=120"),
        ("residents_by_state", "=4", "write it as CO=120"),
        ("residents_by_state", "!!=4", "not a state"),
        ("residents_by_state", "CO=1\nCO=2", "more than one line"),
        ("residents_by_state", "co=1\nCO=2", "given twice"),
    ],
)
def test_assessment_admin_refuses_malformed_facts_with_a_form_error(
    client, open_breach, people, field, value, message
):
    assessment = services.breach_assessment_start(
        incident=open_breach(), user=people["sec"], regimes=regimes("colorado"), now=T0
    )
    client.force_login(people["sec"])
    url = reverse("admin:reporting_breachassessment_change", args=[assessment.pk])
    response = client.post(url, changeform_post_data(client.get(url), **{field: value}))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["adminform"].form.errors[field]
    assessment.refresh_from_db()
    assert getattr(assessment, field) in ({}, [])


def test_the_service_normalises_state_codes_and_refuses_bad_counts(open_breach, people):
    assessment = services.breach_assessment_start(
        incident=open_breach(), user=people["sec"], regimes=regimes("colorado"), now=T0
    )
    services.breach_assessment_update(
        assessment=assessment, user=people["sec"], residents_by_state={"co": 600}, now=T0
    )
    assessment.refresh_from_db()
    assert assessment.residents_by_state == {"CO": 600}
    with pytest.raises(DomainError) as caught:
        services.breach_assessment_update(
            assessment=assessment, user=people["sec"], residents_by_state={"TX": 1.5}, now=T0
        )
    assert caught.value.field == "residents_by_state"


def test_obligation_admin_refuses_contents_lines_without_a_key(client, open_breach, people):
    _incident, art33 = gdpr_assessment(open_breach, people)
    client.force_login(people["sec"])
    url = reverse("admin:reporting_notificationobligation_change", args=[art33.pk])
    page = client.get(url)
    assert "null" not in page.context["adminform"].form["contents"].as_widget()
    for contents in ("just text", "=no key"):
        data = changeform_post_data(page, record="submit", contents=contents)
        response = client.post(url, data)
        assert response.status_code == 200, contents
        assert "write it as nature=Credentials exposed" in response.content.decode()
    art33.refresh_from_db()
    assert art33.status == ObligationStatus.PENDING
    data = changeform_post_data(page, record="submit", contents="nature=Phished token")
    assert client.post(url, data).status_code == 302
    art33.refresh_from_db()
    assert art33.status == ObligationStatus.SUBMITTED
    assert art33.content_snapshot["nature"]["value"] == "Phished token"


def test_assessment_admin_takes_residents_as_lines_and_jurisdictions_as_a_list(
    client, open_breach, people
):
    assessment = services.breach_assessment_start(
        incident=open_breach(), user=people["sec"], regimes=regimes("colorado"), now=T0
    )
    client.force_login(people["sec"])
    url = reverse("admin:reporting_breachassessment_change", args=[assessment.pk])
    page = client.get(url)
    html = page.content.decode()
    assert ">null<" not in html and 'value="null"' not in html
    assert "[]" not in page.context["adminform"].form["jurisdictions"].as_widget()
    data = changeform_post_data(
        page, residents_by_state="co=120\n\nTX = 40\n", jurisdictions="EU, US-CO\nUS-TX"
    )
    assert client.post(url, data).status_code == 302
    assessment.refresh_from_db()
    assert assessment.residents_by_state == {"CO": 120, "TX": 40}
    assert assessment.jurisdictions == ["EU", "US-CO", "US-TX"]
    form = client.get(url).context["adminform"].form
    assert form["residents_by_state"].value() == "CO=120\nTX=40"
    assert form["jurisdictions"].value() == "EU, US-CO, US-TX"
    # Unchanged, the page saves without touching them (no change recorded).
    before = assessment.history.count()
    assert client.post(url, changeform_post_data(client.get(url))).status_code == 302
    assert assessment.history.count() == before


def test_obligation_admin_refuses_a_submission_before_the_clock_started(
    client, open_breach, people
):
    _incident, art33 = gdpr_assessment(open_breach, people)
    client.force_login(people["sec"])
    url = reverse("admin:reporting_notificationobligation_change", args=[art33.pk])
    data = changeform_post_data(
        client.get(url),
        record="submit",
        submitted_at_0=(T0 - timedelta(days=1)).strftime("%Y-%m-%d"),
        submitted_at_1=T0.strftime("%H:%M:%S"),
    )
    response = client.post(url, data)
    assert response.status_code == 200
    assert "before the event that starts this notification" in response.content.decode()
    art33.refresh_from_db()
    assert art33.status == ObligationStatus.PENDING and art33.submitted_at is None


def test_required_contents_naming_times_or_relations_snapshot_plain_values(open_breach, people):
    _incident, art33 = gdpr_assessment(open_breach, people)
    stage = art33.stage
    stage.required_contents = [
        *stage.required_contents,
        {"key": "awareness_at", "label": "Became aware"},
        {"key": "incident", "label": "Not an assessment fact"},
        {"key": "awareness_set_by", "label": "Not a fact either"},
    ]
    stage.full_clean()
    stage.save()
    submitted = services.obligation_submit(
        obligation=art33, user=people["sec"], now=T0 + timedelta(hours=3)
    )
    snapshot = submitted.content_snapshot
    assert snapshot["awareness_at"]["value"] == "2026-06-01T09:00:00.000000Z"
    assert snapshot["incident"]["value"] is None
    assert snapshot["awareness_set_by"]["value"] is None


@pytest.mark.parametrize(
    "contents",
    [
        {"key": "nature"},  # a list is expected
        [{"label": "no key"}],
        [{"key": "has space", "label": "x"}],
        [{"key": "nature", "label": "a"}, {"key": "nature", "label": "b"}],
        [{"key": "nature", "label": "a", "extra": 1}],
        ["nature"],
    ],
)
def test_a_stage_required_contents_must_be_key_label_objects(contents):
    stage = RegimeStage.objects.get(regime__code="gdpr-33")
    stage.required_contents = contents
    with pytest.raises(ValidationError) as caught:
        stage.full_clean()
    assert "required_contents" in caught.value.message_dict


def test_breach_register_export_with_a_bad_filter_goes_back_to_the_list(client, people):
    client.force_login(people["sec"])
    response = client.get(reverse("admin:reporting_breachassessment_export") + "?nonsense__field=3")
    assert response.status_code == 302
    assert response.url == reverse("admin:reporting_breachassessment_changelist") + "?e=1"


def test_the_service_refuses_a_submission_before_the_clock_started(open_breach, people):
    _incident, art33 = gdpr_assessment(open_breach, people)
    with pytest.raises(DomainError, match="starts this notification") as caught:
        services.obligation_submit(
            obligation=art33,
            user=people["sec"],
            submitted_at=T0 - timedelta(minutes=1),
            now=T0 + timedelta(hours=1),
        )
    assert caught.value.field == "submitted_at"


def test_reopening_the_high_risk_decision_puts_art34_back_to_waiting(client, open_breach, people):
    assessment = services.breach_assessment_start(
        incident=open_breach(),
        user=people["sec"],
        awareness_at=T0,
        awareness_reason="confirmed",
        regimes=regimes("gdpr-33", "gdpr-34"),
        now=T0,
    )
    services.breach_assessment_decide_high_risk(
        assessment=assessment, high_risk=False, rationale="Encrypted", user=people["sec"], now=T0
    )
    art34 = obligation(assessment, "gdpr-34", "data-subjects")
    assert art34.status == ObligationStatus.NOT_REQUIRED
    client.force_login(people["sec"])
    url = reverse("admin:reporting_breachassessment_change", args=[assessment.pk])
    data = changeform_post_data(
        client.get(url), high_risk="unknown", high_risk_rationale="Key may have leaked after all"
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assessment.refresh_from_db()
    assert assessment.high_risk is None
    assert "Reopened" in assessment.history.latest().history_change_reason
    art34.refresh_from_db()
    assert art34.status == ObligationStatus.PENDING and "not yet decided" in art34.rationale


def test_a_changed_stage_recipient_reaches_pending_obligations_only(open_breach, people):
    _incident, art33 = gdpr_assessment(open_breach, people)
    stage = art33.stage
    stage.recipient = "Irish Data Protection Commission"
    stage.save()
    services.breach_assessment_update(
        assessment=art33.assessment, user=people["sec"], measures="Rotated keys", now=T0
    )
    art33.refresh_from_db()
    assert art33.recipient == "Irish Data Protection Commission"
    services.obligation_submit(obligation=art33, user=people["sec"], now=T0 + timedelta(hours=1))
    stage.recipient = "Someone else"
    stage.save()
    services.breach_assessment_update(
        assessment=art33.assessment, user=people["sec"], measures="Rotated keys twice", now=T0
    )
    art33.refresh_from_db()
    assert art33.recipient == "Irish Data Protection Commission"  # what was notified stays


def test_security_leads_may_edit_regimes_and_stages(client, people):
    client.force_login(people["sec"])
    stage = RegimeStage.objects.get(regime__code="gdpr-33")
    page = client.get(reverse("admin:reporting_regimestage_change", args=[stage.pk]))
    assert page.status_code == 200 and b'name="_save"' in page.content
    assert people["sec"].has_perm("reporting.change_regime")
    client.force_login(people["ic"])
    assert not people["ic"].has_perm("reporting.change_regimestage")
    read_only = client.get(reverse("admin:reporting_regimestage_change", args=[stage.pk]))
    assert read_only.status_code == 200 and b'name="_save"' not in read_only.content


def test_the_hhs_annual_notice_can_be_submitted_before_year_end(open_breach, people):
    """Its clock counts from 1 January after discovery, but HHS takes it any time after the
    discovery: the floor is the discovery, not the year end."""
    discovered = T0 - timedelta(days=3)
    assessment = services.breach_assessment_start(
        incident=open_breach(), user=people["sec"], regimes=regimes("hipaa"), now=T0
    )
    services.breach_assessment_set_time(
        assessment=assessment,
        anchor="discovery",
        at=discovered,
        reason="Found in the logs",
        user=people["sec"],
        now=T0,
    )
    services.breach_assessment_update(
        assessment=assessment, user=people["sec"], approx_data_subjects=40, now=T0
    )
    annual = NotificationObligation.objects.get(
        assessment=assessment, stage__anchor="discovery_year_end"
    )
    assert annual.anchor_at == datetime(2027, 1, 1, tzinfo=UTC)
    with pytest.raises(DomainError, match="before the event"):
        services.obligation_submit(
            obligation=annual,
            user=people["sec"],
            submitted_at=discovered - timedelta(hours=1),
            now=T0,
        )
    submitted = services.obligation_submit(obligation=annual, user=people["sec"], now=T0)
    assert submitted.status == ObligationStatus.SUBMITTED and submitted.submitted_at == T0


def test_changing_a_high_risk_decision_needs_a_new_rationale(client, open_breach, people):
    assessment = services.breach_assessment_start(
        incident=open_breach(), user=people["sec"], regimes=regimes("gdpr-34"), now=T0
    )
    services.breach_assessment_decide_high_risk(
        assessment=assessment, high_risk=False, rationale="Encrypted", user=people["sec"], now=T0
    )
    client.force_login(people["sec"])
    url = reverse("admin:reporting_breachassessment_change", args=[assessment.pk])
    response = client.post(url, changeform_post_data(client.get(url), high_risk="unknown"))
    assert response.status_code == 200
    assert "Say why the decision changes" in response.content.decode()
    assessment.refresh_from_db()
    assert assessment.high_risk is False

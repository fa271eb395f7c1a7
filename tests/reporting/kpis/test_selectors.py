"""KPI selectors against a hand-computed data set (tests/reporting/kpis/data.py), and
the pure KPI rules (reporting.kpis.domain) without a database."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incidents.models import Incident
from incidents.selectors import incidents_visible_to
from reporting.kpis import domain
from reporting.kpis.selectors import (
    kpi_breakdown,
    kpi_frequency,
    kpi_incidents,
    kpi_report,
    kpi_summary,
)
from tests.incidents.builders import IncidentFactory, RoleAssignmentFactory, UserFactory
from tests.reporting.kpis.data import (
    END,
    EXPECTED_P1,
    EXPECTED_SUMMARY,
    NOW,
    START,
    build_world,
)

# --- pure rules ----------------------------------------------------------------------------


def test_percentile_cont_interpolates_between_the_nearest_ranks():
    values = [21600, 300, 3600, 600]
    assert domain.percentile_cont(values, 0.5) == 2100
    assert domain.percentile_cont(values, 0.9) == pytest.approx(16200)
    assert domain.percentile_cont(values, 0) == 300
    assert domain.percentile_cont(values, 1) == 21600
    assert domain.percentile_cont([7], 0.9) == 7
    assert domain.percentile_cont([], 0.5) is None
    with pytest.raises(ValueError):
        domain.percentile_cont([1], 1.5)


@given(st.lists(st.floats(0, 1e7), min_size=1, max_size=40), st.sampled_from([0.5, 0.9]))
def test_percentile_lies_between_min_and_max_and_is_monotonic(values, fraction):
    result = domain.percentile_cont(values, fraction)
    assert min(values) - 1e-6 <= result <= max(values) + 1e-6
    assert domain.percentile_cont(values, 0.5) <= domain.percentile_cont(values, 0.9) + 1e-6


def test_rate_and_rounding():
    assert domain.rate(1, 3) == 0.3333
    assert domain.rate(0, 0) is None
    assert domain.round_seconds(1.23456) == 1.235
    assert domain.round_seconds(None) is None
    assert domain.round_hours(None) == 0


@pytest.mark.parametrize(
    ("moment", "period", "key"),
    [
        (datetime(2026, 3, 2, 10, tzinfo=UTC), "month", "2026-03"),
        (datetime(2026, 3, 2, 10, tzinfo=UTC), "week", "2026-W10"),
        (datetime(2026, 3, 2, 10, tzinfo=UTC), "quarter", "2026-Q1"),
        (datetime(2026, 12, 31, 23, tzinfo=UTC), "quarter", "2026-Q4"),
        # ISO weeks cross years: 1 Jan 2027 is a Friday in week 53 of 2026.
        (datetime(2027, 1, 1, 12, tzinfo=UTC), "week", "2026-W53"),
        (datetime(2024, 12, 30, 0, tzinfo=UTC), "week", "2025-W01"),
    ],
)
def test_period_key(moment, period, key):
    assert domain.period_key(moment, period) == key


def test_periods_between_lists_every_period_touching_the_range():
    assert domain.periods_between(START, END, "month") == ["2026-03", "2026-04"]
    assert domain.periods_between(START, END, "quarter") == ["2026-Q1", "2026-Q2"]
    weeks = domain.periods_between(START, END, "week")
    assert weeks[0] == "2026-W09" and weeks[-1] == "2026-W18" and len(weeks) == 10
    assert domain.period_label("2026-03") == "Mar 2026"
    assert domain.period_label("2026-W09") == "Week 9, 2026"
    assert domain.period_label("2026-Q1") == "Q1 2026"


def test_kpi_window_defaults_validates_and_treats_a_to_date_as_inclusive():
    now = datetime(2026, 5, 10, 12, tzinfo=UTC)
    window = domain.kpi_window(start=None, end=None, now=now)
    assert (window.start, window.end) == (now - timedelta(days=90), now)
    window = domain.kpi_window(start=date(2026, 3, 1), end=date(2026, 4, 30), now=now)
    assert window.start == START and window.end == END
    with pytest.raises(domain.WindowError) as error:
        domain.kpi_window(start=date(2026, 5, 1), end=date(2026, 4, 30), now=now)
    assert error.value.field == "from"
    with pytest.raises(domain.WindowError) as error:
        domain.kpi_window(start=date(2016, 1, 1), end=date(2026, 1, 1), now=now)
    assert error.value.field == "to"


# --- SQL selectors -------------------------------------------------------------------------


@pytest.fixture
def world(db):
    return build_world()


def _kpis(**filters):
    return kpi_incidents(Incident.objects.all(), start=START, end=END, **filters)


def test_kpi_incidents_excludes_drills_and_the_outside_of_the_window(world):
    refs = set(_kpis().values_list("reference", flat=True))
    assert refs == {f"INC-KPI-{x}" for x in "ABCDEF"}


def test_kpi_incidents_filters_and_counts_a_two_service_incident_once(world):
    checkout, search = world.services["checkout"], world.services["search"]
    assert _kpis(service_ids=[checkout.pk, search.pk]).count() == 3  # A, B, C
    assert _kpis(severities=["P1"]).count() == 2
    assert _kpis(categories=["security"]).count() == 1
    assert _kpis(types=["service_outage", "ui_issue"]).count() == 3


def test_summary_matches_the_hand_computed_numbers(world, django_assert_num_queries):
    incidents = _kpis()
    with django_assert_num_queries(1):
        summary = kpi_summary(incidents, now=NOW)
    assert summary == EXPECTED_SUMMARY


def test_sla_pending_becomes_breached_once_the_deadline_passed(world):
    later = world.incidents["E"].response_due_at + timedelta(seconds=1)
    sla = kpi_summary(_kpis(), now=later)["sla"]
    assert (sla["met"], sla["breached"], sla["pending"]) == (2, 3, 0)
    assert sla["compliance_rate"] == 0.4


def test_summary_of_nothing_is_zeros_and_nones(db):
    summary = kpi_summary(Incident.objects.none(), now=NOW)
    assert summary["incidents"] == 0
    assert summary["mttr"] == {
        "count": 0,
        "missing": 0,
        "mean_seconds": None,
        "p50_seconds": None,
        "p90_seconds": None,
    }
    assert summary["sla"]["compliance_rate"] is None
    assert summary["postmortems"]["completion_rate"] is None


def test_breakdown_by_severity(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        groups = kpi_breakdown(_kpis(), group_by="severity", now=NOW)
    assert [g["group"] for g in groups] == ["P0", "P1", "P2", "P3"]
    assert [g["incidents"] for g in groups] == [1, 2, 2, 1]
    assert groups[1] == EXPECTED_P1
    p0 = groups[0]
    assert p0["mttd"] == {
        "count": 1,
        "missing": 0,
        "mean_seconds": 300.0,
        "p50_seconds": 300.0,
        "p90_seconds": 300.0,
    }
    assert p0["mtta"]["missing"] == 1 and p0["mtta"]["mean_seconds"] is None
    assert p0["sla"]["breached"] == 1 and p0["sla"]["compliance_rate"] == 0.0
    assert p0["postmortems"] == {"required": 0, "completed": 0, "completion_rate": None}
    p2 = groups[2]
    assert p2["sla"] == {
        "met": 1,
        "breached": 0,
        "pending": 0,
        "not_applicable": 1,
        "compliance_rate": 1.0,
    }


@pytest.mark.parametrize("group_by", domain.GROUP_BYS)
def test_report_is_summary_and_breakdown_in_one_query(world, group_by, django_assert_num_queries):
    incidents = _kpis()
    with django_assert_num_queries(1):
        summary, groups = kpi_report(incidents, group_by=group_by, now=NOW)
    assert summary == EXPECTED_SUMMARY
    assert groups == kpi_breakdown(incidents, group_by=group_by, now=NOW)
    empty = kpi_report(Incident.objects.none(), group_by=group_by, now=NOW)
    assert empty == (kpi_summary(Incident.objects.none(), now=NOW), [])
    nothing_in_range = kpi_incidents(Incident.objects.all(), start=END, end=END)
    assert kpi_report(nothing_in_range, group_by=group_by, now=NOW) == empty


def test_breakdown_sums_back_to_the_summary(world):
    for group_by in ("severity", "category", "type", "month"):
        groups = kpi_breakdown(_kpis(), group_by=group_by, now=NOW)
        assert sum(g["incidents"] for g in groups) == 6, group_by
        assert sum(g["escalations_fired"] for g in groups) == 6, group_by
        assert sum(g["mttd"]["missing"] for g in groups) == 2, group_by


def test_breakdown_by_service_counts_an_incident_once_per_service(world):
    groups = kpi_breakdown(_kpis(), group_by="service", now=NOW)
    checkout, search = world.services["checkout"], world.services["search"]
    by_label = {g["label"]: g for g in groups}
    assert [g["group"] for g in groups] == [*sorted([checkout.pk, search.pk]), None]
    assert by_label["checkout"]["incidents"] == 2  # A, B
    assert by_label["search"]["incidents"] == 2  # A, C
    assert by_label["(no service)"]["incidents"] == 3  # D, E, F
    assert by_label["checkout"]["mttr"]["mean_seconds"] == 14400.0  # (7200 + 21600) / 2
    assert by_label["search"]["escalations_fired"] == 5
    assert by_label["(no service)"]["escalations_fired"] == 1


def test_breakdown_by_month_and_category(world):
    months = kpi_breakdown(_kpis(), group_by="month", now=NOW)
    assert [(g["group"], g["label"], g["incidents"]) for g in months] == [
        ("2026-03", "Mar 2026", 3),
        ("2026-04", "Apr 2026", 3),
    ]
    assert months[0]["mtta"]["mean_seconds"] == 1200.0  # A 600, B 1800
    categories = kpi_breakdown(_kpis(), group_by="category", now=NOW)
    assert [(g["group"], g["incidents"]) for g in categories] == [
        ("application", 2),
        ("operational", 3),
        ("security", 1),
    ]
    with pytest.raises(ValueError):
        kpi_breakdown(_kpis(), group_by="colour")


def test_frequency_by_month_week_and_quarter(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = kpi_frequency(_kpis(), period="month", by="severity")
    assert [(r["period"], r["group"], r["count"]) for r in rows] == [
        ("2026-03", "P1", 1),
        ("2026-03", "P2", 2),
        ("2026-04", "P0", 1),
        ("2026-04", "P1", 1),
        ("2026-04", "P3", 1),
    ]
    assert rows[0]["label"] == "P1 — High"
    weeks = kpi_frequency(_kpis(), period="week", by="category")
    assert [(r["period"], r["group"], r["count"]) for r in weeks] == [
        ("2026-W10", "operational", 1),
        ("2026-W11", "application", 1),
        ("2026-W12", "operational", 1),
        ("2026-W14", "security", 1),
        ("2026-W17", "operational", 1),
        ("2026-W18", "application", 1),
    ]
    quarters = kpi_frequency(_kpis(), period="quarter", by="type")
    assert {(r["period"], r["group"]): r["count"] for r in quarters} == {
        ("2026-Q1", "service_outage"): 1,
        ("2026-Q1", "software_bug"): 1,
        ("2026-Q1", "performance_degradation"): 1,
        ("2026-Q2", "data_breach"): 1,
        ("2026-Q2", "service_outage"): 1,
        ("2026-Q2", "ui_issue"): 1,
    }


def test_frequency_by_service_counts_each_service(world):
    rows = kpi_frequency(_kpis(), period="quarter", by="service")
    counts = {(r["period"], r["label"]): r["count"] for r in rows}
    assert counts == {
        ("2026-Q1", "checkout"): 2,
        ("2026-Q1", "search"): 1,
        ("2026-Q1", "(no service)"): 1,
        ("2026-Q2", "search"): 1,
        ("2026-Q2", "(no service)"): 2,
    }
    with pytest.raises(ValueError):
        kpi_frequency(_kpis(), period="day", by="service")
    with pytest.raises(ValueError):
        kpi_frequency(_kpis(), period="week", by="month")


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 1, 1, 0, 0, tzinfo=UTC),
        datetime(2027, 1, 1, 12, 0, tzinfo=UTC),
        datetime(2024, 12, 30, 0, 0, tzinfo=UTC),
        datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC),
        datetime(2021, 1, 3, 23, 0, tzinfo=UTC),
    ],
)
@pytest.mark.parametrize("period", domain.PERIODS)
def test_sql_period_keys_equal_the_python_definition(db, moment, period):
    IncidentFactory(detected_at=moment)
    rows = kpi_frequency(
        kpi_incidents(
            Incident.objects.all(),
            start=moment - timedelta(days=1),
            end=moment + timedelta(days=1),
        ),
        period=period,
        by="severity",
    )
    assert [r["period"] for r in rows] == [domain.period_key(moment, period)]


def test_sql_percentiles_equal_the_python_definition_for_many_sizes(db):
    """Both backends' SQL (percentile_cont / the window formulation) against
    domain.percentile_cont, for group sizes 1 … 12 at once."""
    base = datetime(2026, 3, 1, tzinfo=UTC)
    expected = {}
    severities = ["P0", "P1", "P2", "P3"]
    for size in range(1, 13):
        values = [((size * 7919 + i * 104729) % 86400) + 0.25 for i in range(size)]
        for value in values:
            detected = base + timedelta(days=size)
            IncidentFactory(
                detected_at=detected,
                acknowledged_at=detected + timedelta(seconds=value),
                severity=severities[size % 4],
                title=f"size {size}",
            )
        expected[size] = values
    groups = kpi_breakdown(
        kpi_incidents(Incident.objects.all(), start=base, end=base + timedelta(days=30)),
        group_by="severity",
        now=base,
    )
    by_severity = {g["group"]: g for g in groups}
    for severity in severities:
        values = [
            v for size, vs in expected.items() if severities[size % 4] == severity for v in vs
        ]
        mtta = by_severity[severity]["mtta"]
        assert mtta["count"] == len(values)
        assert mtta["p50_seconds"] == domain.round_seconds(domain.percentile_cont(values, 0.5))
        assert mtta["p90_seconds"] == domain.round_seconds(domain.percentile_cont(values, 0.9))
        assert mtta["mean_seconds"] == domain.round_seconds(sum(values) / len(values))


def test_need_to_know_scope_leaves_out_security_incidents_the_user_may_not_see(world):
    responder = UserFactory(username="kpi-responder")
    visible = kpi_incidents(incidents_visible_to(responder), start=START, end=END)
    summary = kpi_summary(visible, now=NOW)
    assert summary["incidents"] == 5  # C (data breach) is hidden
    assert summary["customer_impact"]["users_affected"] == 2100
    assert summary["escalations_fired"] == 3
    # Holding a role on C makes it visible again.
    RoleAssignmentFactory(incident=world.incidents["C"], user=responder)
    visible = kpi_incidents(incidents_visible_to(responder), start=START, end=END)
    assert kpi_summary(visible, now=NOW) == EXPECTED_SUMMARY

"""Query budgets of the compliance, audit and KPI pages and endpoints
(tests/query_budget.py)."""

from tests.query_budget import admin_changelists


def test_reporting_pages_and_endpoints_stay_within_their_query_counts(demo_admin, query_budget):
    for name, url in admin_changelists("reporting").items():
        query_budget.measure(name, lambda url=url: demo_admin.get(url))
    pages = {
        "admin kpi dashboard": "/admin/kpis/",
        "api audit events": "/api/v1/audit/events/",
        "api kpis": "/api/v1/reports/kpis/",
        "api kpis frequency": "/api/v1/reports/kpis/frequency/",
    }
    for name, url in pages.items():
        query_budget.measure(name, lambda url=url: demo_admin.get(url))
    query_budget.check()

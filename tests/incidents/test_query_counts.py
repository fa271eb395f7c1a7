"""Query budgets of the incident pages and hot API endpoints (tests/query_budget.py)."""

from incidents.models import Incident
from tests.query_budget import admin_changelists


def test_incident_pages_and_endpoints_stay_within_their_query_counts(demo_admin, query_budget):
    for name, url in admin_changelists("incidents").items():
        query_budget.measure(name, lambda url=url: demo_admin.get(url))
    incident = Incident.objects.order_by("detected_at", "pk").last()
    query_budget.measure(
        "admin incident change page",
        lambda: demo_admin.get(f"/admin/incidents/incident/{incident.pk}/change/"),
    )
    query_budget.measure("admin index", lambda: demo_admin.get("/admin/"))
    query_budget.measure("status page", lambda: demo_admin.get("/status/"))
    query_budget.measure("status feed", lambda: demo_admin.get("/status/feed.atom"))
    api = {
        "api incident list": "/api/v1/incidents/",
        "api incident detail": f"/api/v1/incidents/{incident.reference}/",
        "api incident timeline": f"/api/v1/incidents/{incident.reference}/timeline/",
        "api incident roles": f"/api/v1/incidents/{incident.reference}/roles/",
        "api incident history": f"/api/v1/incidents/{incident.reference}/history/",
        "api status": "/api/v1/status/",
    }
    for name, url in api.items():
        query_budget.measure(name, lambda url=url: demo_admin.get(url))
    query_budget.check()

"""Query budgets of the post-incident pages and endpoints (tests/query_budget.py)."""

from postmortems.models import PostMortem
from tests.query_budget import admin_changelists


def test_postmortem_pages_stay_within_their_query_counts(demo_admin, query_budget):
    for name, url in admin_changelists("postmortems").items():
        query_budget.measure(name, lambda url=url: demo_admin.get(url))
    postmortem = PostMortem.objects.select_related("incident").order_by("pk").first()
    reference = postmortem.incident.reference
    query_budget.measure(
        "admin postmortem change page",
        lambda: demo_admin.get(f"/admin/postmortems/postmortem/{postmortem.pk}/change/"),
    )
    query_budget.measure(
        "api postmortem json", lambda: demo_admin.get(f"/api/v1/incidents/{reference}/postmortem/")
    )
    query_budget.measure(
        "api postmortem markdown",
        lambda: demo_admin.get(f"/api/v1/incidents/{reference}/postmortem.md"),
    )
    query_budget.check()

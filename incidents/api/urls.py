"""/api/v1/ (namespace "api"). The ingestion routes are included from config/urls.py."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .audit import AuditEventsView, EvidencePackView
from .postmortem import PostMortemJsonView, PostMortemMarkdownView
from .reports import KpiExportView, KpiFrequencyView, KpiReportView
from .status import StatusView
from .views import IncidentViewSet

app_name = "api"

router = SimpleRouter(trailing_slash=True)
router.register("incidents", IncidentViewSet, basename="incident")

urlpatterns = [
    path("status/", StatusView.as_view(), name="status"),
    path(
        "incidents/<str:reference>/postmortem.md",
        PostMortemMarkdownView.as_view(),
        name="incident-postmortem-md",
    ),
    path(
        "incidents/<str:reference>/postmortem/",
        PostMortemJsonView.as_view(),
        name="incident-postmortem",
    ),
    # Audit trail and evidence packs (reporting app; docs/audit.md).
    path("audit/events/", AuditEventsView.as_view(), name="audit-events"),
    path(
        "incidents/<str:reference>/evidence.zip",
        EvidencePackView.as_view(),
        name="incident-evidence",
    ),
    # KPIs and their exports (reporting app; docs/kpis.md).
    path("reports/kpis/", KpiReportView.as_view(), name="reports-kpis"),
    path("reports/kpis/frequency/", KpiFrequencyView.as_view(), name="reports-kpis-frequency"),
    path("reports/kpis/export/", KpiExportView.as_view(), name="reports-kpis-export"),
    *router.urls,
]

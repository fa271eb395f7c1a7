"""Reporting routes under /api/v1/ (namespace "api", given by config/urls.py): the audit
trail and evidence packs (docs/audit.md), the KPIs and their exports (docs/kpis.md)."""

from django.urls import path

from .audit.api import AuditEventsView, EvidencePackView
from .kpis.api import KpiExportView, KpiFrequencyView, KpiReportView

urlpatterns = [
    path("audit/events/", AuditEventsView.as_view(), name="audit-events"),
    path(
        "incidents/<str:reference>/evidence.zip",
        EvidencePackView.as_view(),
        name="incident-evidence",
    ),
    path("reports/kpis/", KpiReportView.as_view(), name="reports-kpis"),
    path("reports/kpis/frequency/", KpiFrequencyView.as_view(), name="reports-kpis-frequency"),
    path("reports/kpis/export/", KpiExportView.as_view(), name="reports-kpis-export"),
]

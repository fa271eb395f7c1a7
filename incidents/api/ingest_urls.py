"""Alert ingestion endpoints under /api/v1/ingest/."""

from django.urls import path

from .ingest import AlertmanagerIngestView, CloudWatchIngestView, GenericIngestView

urlpatterns = [
    path("cloudwatch/", CloudWatchIngestView.as_view(), name="ingest-cloudwatch"),
    path("alertmanager/", AlertmanagerIngestView.as_view(), name="ingest-alertmanager"),
    path("generic/", GenericIngestView.as_view(), name="ingest-generic"),
]

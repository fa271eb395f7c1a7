"""Alert ingestion endpoints (/api/v1/ingest/...). Filled in by the ingestion work."""

urlpatterns: list = []

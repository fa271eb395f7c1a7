"""The incident routes under /api/v1/ (namespace "api", given by config/urls.py, which also
collects the post-mortem and reporting routes). The ingestion routes are in ingest_urls."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .communications import IncidentCommunicationsView
from .status import StatusView
from .views import IncidentViewSet

router = SimpleRouter(trailing_slash=True)
router.register("incidents", IncidentViewSet, basename="incident")

urlpatterns = [
    path("status/", StatusView.as_view(), name="status"),
    path(
        "incidents/<str:reference>/communications/",
        IncidentCommunicationsView.as_view(),
        name="incident-communications",
    ),
    *router.urls,
]

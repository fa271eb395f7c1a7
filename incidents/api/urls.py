"""/api/v1/ (namespace "api"). The ingestion routes are included from config/urls.py."""

from rest_framework.routers import SimpleRouter

from .views import IncidentViewSet

app_name = "api"

router = SimpleRouter(trailing_slash=True)
router.register("incidents", IncidentViewSet, basename="incident")

urlpatterns = router.urls

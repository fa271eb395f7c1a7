from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from incidents.api.errors import api_catch_all
from incidents.api.urls import urlpatterns as incident_api
from postmortems.api.urls import urlpatterns as postmortem_api
from reporting.api_urls import urlpatterns as reporting_api


def healthz(request):
    return JsonResponse({"status": "ok"})


admin.site.site_header = "Harbormaster"
admin.site.site_title = "Harbormaster"
admin.site.index_title = "Incident response, compliance and audit"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("healthz", healthz, name="healthz"),
    # The KPI dashboard and quarterly report (admin pages; before the admin's own URLs).
    path("admin/kpis/", include("reporting.dashboard.urls")),
    path("admin/", admin.site.urls),
    # The public status page (no login).
    path("status/", include("incidents.status_page.urls")),
    # One-click acknowledge links sent in pages (login as the paged person).
    path("page/", include("incidents.paging.urls")),
    # REST API: OpenAPI schema, offline docs (assets from drf-spectacular-sidecar), v1.
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/ingest/", include("incidents.api.ingest_urls")),
    # Each app serves its own API; one namespace "api" for all of them.
    path("api/v1/", include((incident_api + postmortem_api + reporting_api, "api"))),
    # Anything else under /api/: 404 in the API's JSON shape, with DEBUG on too.
    re_path(r"^api/", api_catch_all),
]

# Under /api/ these answer in the API's JSON error shape; elsewhere Django's pages.
handler400 = "incidents.api.errors.handler400"
handler403 = "incidents.api.errors.handler403"
handler404 = "incidents.api.errors.handler404"
handler500 = "incidents.api.errors.handler500"

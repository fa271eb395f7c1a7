from django.contrib import admin
from django.http import JsonResponse
from django.urls import path
from django.views.generic import RedirectView


def healthz(request):
    return JsonResponse({"status": "ok"})


admin.site.site_header = "Harbormaster"
admin.site.site_title = "Harbormaster"
admin.site.index_title = "Incident response, compliance and audit"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
]

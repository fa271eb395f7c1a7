"""Admin pages outside any model admin: /admin/kpis/ (the dashboard) and the quarterly report.
Each view wraps itself in admin.site.admin_view (login, staff, CSRF) and checks permissions."""

from django.contrib import admin
from django.urls import path

from . import views

app_name = "kpis"

urlpatterns = [
    path("", admin.site.admin_view(views.dashboard_view), name="dashboard"),
    path("quarterly/", admin.site.admin_view(views.quarterly_report_view), name="quarterly"),
]

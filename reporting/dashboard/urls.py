"""Admin pages outside any model admin: /admin/kpis/ (the dashboard) and the quarterly report.
Each view wraps itself in admin.site.admin_view (login, staff, CSRF) and checks permissions."""

app_name = "kpis"

urlpatterns: list = []

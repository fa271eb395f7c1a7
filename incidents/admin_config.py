"""The admin app with Harbormaster's site (incidents.admin.site.HarbormasterAdminSite) as
`admin.site`. Kept outside incidents.admin: INSTALLED_APPS imports it before the models
are ready."""

from django.contrib.admin.apps import AdminConfig


class HarbormasterAdminConfig(AdminConfig):
    default_site = "incidents.admin.site.HarbormasterAdminSite"

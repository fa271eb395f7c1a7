from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _after_migrate(sender, using="default", **kwargs):
    from .audit.tables import history_tables, m2m_history_tables
    from .audit.triggers import install_triggers
    from .permissions import sync_reporting_permissions

    history_tables.cache_clear()
    m2m_history_tables.cache_clear()
    install_triggers(using)
    sync_reporting_permissions(using)


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = "Compliance and audit"

    def ready(self):
        from .breach import incident_page, signals  # noqa: F401

        incident_page.register()

        from .dashboard import home

        home.register()  # the staff home's reporting panel and links

        from incidents.demo.registry import register_clock_settler, register_demo_loader

        from .preparedness.demo import load_demo_preparedness
        from .preparedness.reminders import demo_reminders_settle

        register_demo_loader("reporting.preparedness", load_demo_preparedness)
        register_clock_settler("reporting.preparedness", demo_reminders_settle)

        post_migrate.connect(_after_migrate, sender=self, dispatch_uid="reporting.after_migrate")

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PostmortemsConfig(AppConfig):
    name = "postmortems"
    verbose_name = "Post-incident"

    def ready(self):
        from . import incident_page, signals  # noqa: F401
        from .permissions import sync_permissions

        incident_page.register()

        post_migrate.connect(sync_permissions, dispatch_uid="postmortems.sync_permissions")

        from incidents.demo.registry import register_before_close, register_clock_settler

        from .demo import publish_for_demo
        from .services import demo_reminders_settle

        # A demo incident's required post-mortem is published before the demo closes it.
        register_before_close("postmortems", publish_for_demo)
        # After a demo load, reminders already past are recorded as sent without sending.
        register_clock_settler("postmortems", demo_reminders_settle)

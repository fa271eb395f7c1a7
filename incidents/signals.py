from django.db.models.signals import post_migrate
from django.dispatch import receiver
from simple_history.signals import pre_create_historical_record

from .middleware import current_request_id


@receiver(pre_create_historical_record)
def stamp_request_id(sender, instance, history_instance, **kwargs):
    if hasattr(history_instance, "request_id") and not history_instance.request_id:
        history_instance.request_id = current_request_id.get()


@receiver(post_migrate)
def sync_group_permissions(sender, **kwargs):
    # Permissions exist only after post_migrate created them; grant them idempotently
    # so models added later (and their history) are covered too.
    from django.apps import apps

    if sender is not list(apps.get_app_configs())[-1]:
        return
    from .permissions import sync_staff_group_permissions

    sync_staff_group_permissions(using=kwargs.get("using", "default"))

from django.db.models.signals import post_migrate
from django.dispatch import receiver
from simple_history.signals import pre_create_historical_record

from .middleware import current_request_id
from .permissions import sync_staff_group_permissions


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
    sync_staff_group_permissions(using=kwargs.get("using", "default"))


def _update_last_login_without_history(sender, user, **kwargs):
    # A login is not a change to the person's record; keep it out of the audit history.
    from django.contrib.auth.models import update_last_login

    user.skip_history_when_saving = True
    try:
        update_last_login(sender, user, **kwargs)
    finally:
        del user.skip_history_when_saving


def _replace_last_login_receiver():
    from django.contrib.auth.models import update_last_login
    from django.contrib.auth.signals import user_logged_in

    if user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login"):
        user_logged_in.connect(
            _update_last_login_without_history, dispatch_uid="update_last_login_no_history"
        )


_replace_last_login_receiver()

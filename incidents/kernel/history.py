"""Saving a tracked model with who changed it and why (django-simple-history)."""

from django.core.exceptions import FieldDoesNotExist


def change_reason_fits(instance, reason: str) -> str:
    """`reason`, cut to the length of the history table's change-reason column (none with
    SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD, as configured here)."""
    history = getattr(type(instance), "history", None)
    model = getattr(history, "model", None)
    if model is None:
        return reason
    try:
        limit = model._meta.get_field("history_change_reason").max_length
    except FieldDoesNotExist:
        return reason
    return reason if limit is None else reason[:limit]


def history_save(instance, *, user, reason: str, **save_kwargs) -> None:
    """Save `instance`; its history row records `user` (None for beat and integrations)
    and `reason`. Services call this instead of `save()` on tracked models."""
    instance._history_user = user
    instance._change_reason = change_reason_fits(instance, reason)
    instance.save(**save_kwargs)


def history_m2m_set(
    instance, field_name: str, values, *, user, reason: str, add: bool = False
) -> None:
    """Replace the many-to-many `field_name` of `instance` with `values` (`add=True`: add
    them to the current ones); the m2m history row records `user` and `reason`. Services
    call this instead of setting `_history_user`/`_change_reason` before `.set()`/`.add()`."""
    instance._history_user = user
    instance._change_reason = change_reason_fits(instance, reason)
    manager = getattr(instance, field_name)
    if add:
        manager.add(*values)
    else:
        manager.set(values)

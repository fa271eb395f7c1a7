"""An invalid choice names the valid ones, wherever a person or an integration sends a choice.

`valid_values_text` is the one list format (the API's fields in incidents.api.fields and the
alert parsers use it with values; forms with labels). `ValidChoicesFormMixin` gives every
static-choice field of a Django form such a message, just before the form validates (so
choices set in `__init__` are included)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import forms

# Beyond this many, the list ends with "and N more" (a model picker can hold dozens).
MAX_LISTED = 25


def valid_values_text(values: Iterable[Any]) -> str:
    """`P0, P1, P2, P3`: the non-blank values in order, at most MAX_LISTED of them."""
    items = [str(value) for value in values if str(value) != ""]
    text = ", ".join(items[:MAX_LISTED])
    if len(items) > MAX_LISTED:
        text += f" and {len(items) - MAX_LISTED} more"
    return text


def invalid_choice_text(value: Any, values: Iterable[Any]) -> str:
    """The API's wording, for code that checks a choice itself (the alert parsers)."""
    return f'"{value}" is not a valid choice. Valid values: {valid_values_text(values)}.'


def _flat(choices: Any, *, values: bool) -> list[str]:
    """A form field's choices as labels (or values), optgroups opened, blank choice left out."""
    flat: list[str] = []
    for value, label in choices:
        if isinstance(label, list | tuple):
            flat.extend(_flat(label, values=values))
        elif value not in ("", None):
            flat.append(str(value if values else label))
    return flat


def list_valid_choices(fields: Mapping[str, forms.Field], *, values: bool = False) -> None:
    """Set each static ChoiceField's (and MultipleChoiceField's) invalid-choice message to
    name the valid choices: by their labels for people (admin forms), by their values for
    integrations (`values=True`, the API's query filters). Model choice fields (a queryset,
    possibly thousands of rows) keep Django's message."""
    for field in fields.values():
        if not isinstance(field, forms.ChoiceField) or isinstance(field, forms.ModelChoiceField):
            continue
        flat = _flat(field.choices, values=values)
        if not flat:
            continue
        # Django formats the message with %(value)s: a % in a label must not be read as one.
        listed = valid_values_text(flat).replace("%", "%%")
        field.error_messages["invalid_choice"] = (
            f'"%(value)s" is not a valid choice. Valid values: {listed}.'
            if values
            else f'Select a valid choice. "%(value)s" is not one of: {listed}.'
        )


class ValidChoicesFormMixin:
    """For a Form or ModelForm (first among the bases): invalid choices list the valid ones,
    by label; `list_choice_values = True` lists the values instead (for integrations)."""

    fields: dict[str, forms.Field]
    list_choice_values = False

    def full_clean(self) -> None:
        list_valid_choices(self.fields, values=self.list_choice_values)
        super().full_clean()  # type: ignore[misc]


class ValidChoicesModelForm(ValidChoicesFormMixin, forms.ModelForm):
    """The admin's default form (incidents.admin.base): model choices list the valid ones."""

"""Build the POST a browser would send from an admin page's rendered forms."""

from django import forms
from django.contrib.admin.widgets import AdminSplitDateTime
from django.utils import timezone


def _put(data: dict, name: str, field, value) -> None:
    if isinstance(field.widget, forms.SplitDateTimeWidget | AdminSplitDateTime):
        if value in (None, ""):
            data[f"{name}_0"], data[f"{name}_1"] = "", ""
            return
        if isinstance(value, list):
            data[f"{name}_0"], data[f"{name}_1"] = value
            return
        local = timezone.localtime(value)
        data[f"{name}_0"] = local.strftime("%Y-%m-%d")
        data[f"{name}_1"] = local.strftime("%H:%M:%S")
        return
    if isinstance(field, forms.BooleanField):
        if value:
            data[name] = "on"
        return
    if isinstance(field, forms.ModelMultipleChoiceField):
        data[name] = [str(getattr(v, "pk", v)) for v in (value or [])]
        return
    if value is None:
        data[name] = ""
        return
    data[name] = str(getattr(value, "pk", value))


def _form_data(data: dict, form) -> None:
    for name, field in form.fields.items():
        _put(data, form.add_prefix(name), field, form[name].value())


def changeform_post_data(response, **overrides) -> dict:
    """The form of an admin add/change page, as submitted unchanged, plus `overrides`."""
    data: dict = {}
    _form_data(data, response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        _form_data(data, formset.management_form)
        for form in formset.forms:
            _form_data(data, form)
    for key, value in overrides.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def inline_prefix(response, model_name: str, add_only: bool) -> str:
    """Prefix of the role/timeline inline: the add-only one is the one without rows."""
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        if formset.model._meta.model_name != model_name:
            continue
        if add_only == (not formset.queryset.exists() and formset.extra > 0):
            return formset.prefix
    raise AssertionError(f"no {'add-only ' if add_only else ''}inline for {model_name}")

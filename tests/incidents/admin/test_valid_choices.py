"""Admin forms: an invalid choice (a stale page, a hand-made POST) names the valid choices
by their labels, on the incident page, on default admin forms and on other apps' forms."""

import pytest
from django.contrib import admin
from django.urls import reverse

from incidents.kernel.valid_choices import ValidChoicesFormMixin
from reporting.breach.forms import ObligationForm
from reporting.preparedness.forms import DrillForm
from tests.incidents.builders import changeform_post_data

pytestmark = pytest.mark.django_db

SEVERITIES = "P0 — Critical, P1 — High, P2 — Medium, P3 — Low."


def test_incident_add_with_unknown_severity_lists_the_severities(admin_client):
    add = reverse("admin:incidents_incident_add")
    data = changeform_post_data(
        admin_client.get(add),
        title="Card payments failing",
        severity="P9",
        type="service_outage",
        detection_source="support_ticket",
    )
    response = admin_client.post(add, data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["severity"] == [f'Select a valid choice. "P9" is not one of: {SEVERITIES}']
    assert "is not one of: P0 — Critical" in response.content.decode()


def test_default_admin_form_lists_the_choices(admin_client):
    add = reverse("admin:incidents_service_add")
    data = changeform_post_data(admin_client.get(add), name="payments", tier="7")
    response = admin_client.post(add, data)
    assert response.status_code == 200
    (message,) = response.context["adminform"].form.errors["tier"]
    assert message.startswith('Select a valid choice. "7" is not one of: Tier 1 — business')


def test_reporting_forms_list_the_choices():
    drill = DrillForm(data={"title": "x", "severity": "P9", "incident_type": "ufo"})
    assert not drill.is_valid()
    assert drill.errors["severity"] == [f'Select a valid choice. "P9" is not one of: {SEVERITIES}']
    obligation = ObligationForm(data={"record": "bogus"})
    assert not obligation.is_valid()
    assert obligation.errors["record"] == [
        'Select a valid choice. "bogus" is not one of: Record the notification as submitted, '
        "Record that it is not required."
    ]


def _edits_a_choice(model, form) -> bool:
    choices = {field.name for field in model._meta.fields if field.choices}
    named = form._meta.fields  # None: the admin's default form, every field
    return bool(choices) and (named is None or bool(set(named) & choices))


def test_every_admin_form_of_ours_lists_the_choices():
    ours = ("incidents", "postmortems", "reporting")
    without = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in ours
        and _edits_a_choice(model, model_admin.form)
        and not issubclass(model_admin.form, ValidChoicesFormMixin)
    ]
    assert without == []

"""incidents.kernel.valid_choices: the one list of valid choices for forms and parsers."""

from django import forms

from incidents.kernel.valid_choices import (
    MAX_LISTED,
    ValidChoicesFormMixin,
    invalid_choice_text,
    list_valid_choices,
    valid_values_text,
)


class _Form(ValidChoicesFormMixin, forms.Form):
    colour = forms.ChoiceField(choices=[("", "---------"), ("r", "Red"), ("g", "Green 100%")])
    shapes = forms.MultipleChoiceField(
        choices=[("Round", [("c", "Circle"), ("o", "Oval")]), ("s", "Square")], required=False
    )
    late = forms.ChoiceField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Choices set after the form is built are listed too.
        self.fields["late"].choices = [("x", "Ex")]


def test_form_lists_labels_without_the_blank_choice():
    form = _Form(data={"colour": "b", "shapes": ["c", "t"], "late": "y"})
    assert not form.is_valid()
    assert form.errors["colour"] == ['Select a valid choice. "b" is not one of: Red, Green 100%.']
    assert form.errors["shapes"] == [
        'Select a valid choice. "t" is not one of: Circle, Oval, Square.'
    ]
    assert form.errors["late"] == ['Select a valid choice. "y" is not one of: Ex.']


def test_values_for_integrations():
    form = _Form(data={"colour": "b"})
    form.list_choice_values = True
    assert not form.is_valid()
    assert form.errors["colour"] == ['"b" is not a valid choice. Valid values: r, g.']


def test_model_choice_fields_keep_djangos_message():
    field = forms.ModelChoiceField(queryset=None)
    before = dict(field.error_messages)
    list_valid_choices({"user": field})
    assert field.error_messages == before


def test_long_lists_are_cut():
    text = valid_values_text(range(MAX_LISTED + 3))
    assert text.endswith(f"{MAX_LISTED - 1} and 3 more")
    assert invalid_choice_text("P9", ["P0", "", "P1"]) == (
        '"P9" is not a valid choice. Valid values: P0, P1.'
    )

"""The API's choice fields: an invalid choice names the valid values, e.g.
`"P9" is not a valid choice. Valid values: P0, P1, P2, P3.` Every serializer of every app's
API uses these (ModelSerializers through `ModelSerializer`, whose generated choice fields
are ours too); tests/incidents/api/test_fields.py checks that none uses DRF's own."""

from __future__ import annotations

from rest_framework import serializers

from ..kernel.valid_choices import valid_values_text


class _ListsValidValues:
    default_error_messages = {
        "invalid_choice": '"{input}" is not a valid choice. Valid values: {valid}.',
    }

    def fail(self, key, **kwargs):
        if key == "invalid_choice":
            kwargs.setdefault("valid", valid_values_text(self.choices))  # type: ignore[attr-defined]
        return super().fail(key, **kwargs)  # type: ignore[misc]


class ChoiceField(_ListsValidValues, serializers.ChoiceField):
    pass


class MultipleChoiceField(_ListsValidValues, serializers.MultipleChoiceField):
    pass


# The base of the API's ModelSerializers: fields generated from model choices are ours. (No
# docstring: drf-spectacular would give it to every subclass without one as its description.)
class ModelSerializer(serializers.ModelSerializer):
    serializer_choice_field = ChoiceField

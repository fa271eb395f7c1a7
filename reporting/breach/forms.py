"""Admin forms of the breach records; saving goes through reporting.breach.services."""

from django import forms

from incidents.kernel.valid_choices import ValidChoicesFormMixin

from . import domain
from .models import BreachAssessment, NotificationObligation
from .services import ANCHOR_NAMES, FACT_FIELDS, submission_too_early

TIME_FIELDS = tuple(f"{name}_at" for name in ANCHOR_NAMES)
REASON_FIELDS = tuple(f"{name}_reason" for name in ANCHOR_NAMES)


class LinesMappingField(forms.CharField):
    """A mapping typed as one "KEY=value" line each (e.g. "CO=120"), never as JSON. The
    value is an object again after cleaning; the service checks it as before."""

    widget = forms.Textarea(attrs={"rows": 4, "cols": 40})

    def __init__(self, *, example: str, whole_numbers: bool = False, **kwargs):
        self.example, self.whole_numbers = example, whole_numbers
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, dict):
            return "\n".join(f"{key}={item}" for key, item in value.items())
        return "" if value is None else value

    def to_python(self, value):
        if isinstance(value, dict):
            return value
        mapping: dict = {}
        for number, raw in enumerate((value or "").splitlines(), start=1):
            line = raw.strip()
            if not line:
                continue
            key, sep, item = line.partition("=")
            key, item = key.strip(), item.strip()
            if not sep or not key:
                raise forms.ValidationError(
                    f'Line {number} ("{line}"): write it as {self.example}, one per line.'
                )
            if self.whole_numbers:
                if not item.lstrip("-").isdigit():
                    raise forms.ValidationError(
                        f'Line {number} ("{line}"): the number after "=" must be a whole '
                        f"number, as in {self.example}."
                    )
                mapping.setdefault(key, []).append(int(item))
            else:
                mapping.setdefault(key, []).append(item)
        for key, items in mapping.items():
            if len(items) > 1:
                raise forms.ValidationError(f"{key} is given on more than one line.")
        return {key: items[0] for key, items in mapping.items()}


class NameListField(forms.CharField):
    """A list of names typed separated by commas (or one per line): "EU, US-CO"."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(item) for item in value)
        return "" if value is None else value

    def to_python(self, value):
        if isinstance(value, list):
            return value
        text = (value or "").replace("\n", ",")
        return [name.strip() for name in text.split(",") if name.strip()]


def _fact(clean, value):
    try:
        return clean(value)
    except domain.FactError as error:
        raise forms.ValidationError(str(error)) from None


class BreachAssessmentForm(ValidChoicesFormMixin, forms.ModelForm):
    residents_by_state = LinesMappingField(
        label="Residents per state",
        example="CO=120",
        whole_numbers=True,
        help_text="Affected residents per US state, one per line: CO=120.",
    )
    jurisdictions = NameListField(
        label="Jurisdictions",
        help_text="Separated by commas: EU, US-CO.",
    )

    class Meta:
        model = BreachAssessment
        fields = [
            *FACT_FIELDS,
            "regimes",
            *TIME_FIELDS,
            *REASON_FIELDS,
            "high_risk",
            "high_risk_rationale",
        ]
        widgets = {"regimes": forms.CheckboxSelectMultiple}

    def clean_residents_by_state(self):
        return _fact(domain.clean_residents_by_state, self.cleaned_data.get("residents_by_state"))

    def clean_jurisdictions(self):
        return _fact(domain.clean_jurisdictions, self.cleaned_data.get("jurisdictions"))

    def clean(self):
        data = super().clean()
        for name in ANCHOR_NAMES:
            time_field, reason_field = f"{name}_at", f"{name}_reason"
            if time_field not in self.changed_data:
                continue
            reason = (data.get(reason_field) or "").strip()
            unchanged = bool(self.instance.pk) and reason == getattr(self.instance, reason_field)
            if not reason or (unchanged and getattr(self.instance, time_field) is not None):
                self.add_error(reason_field, "Give the reason for this time (it is audited).")
        decided = {"high_risk", "high_risk_rationale"} & set(self.changed_data)
        rationale = (data.get("high_risk_rationale") or "").strip()
        reopened = "high_risk" in self.changed_data and data.get("high_risk") is None
        if decided and (data.get("high_risk") is not None or reopened) and not rationale:
            self.add_error("high_risk_rationale", "A high-risk decision needs its rationale.")
        elif (
            "high_risk" in self.changed_data
            and self.instance.high_risk is not None
            and "high_risk_rationale" not in self.changed_data
        ):
            # The old decision's rationale would be recorded as the reason for the change.
            self.add_error(
                "high_risk_rationale", "Say why the decision changes (replace the rationale)."
            )
        return data


class ObligationForm(ValidChoicesFormMixin, forms.ModelForm):
    RECORD_CHOICES = [
        ("", "—"),
        ("submit", "Record the notification as submitted"),
        ("not_required", "Record that it is not required"),
    ]
    record = forms.ChoiceField(choices=RECORD_CHOICES, required=False)
    contents = LinesMappingField(
        label="Contents",
        example="nature=Credentials exposed",
        help_text=(
            "What was notified, one field per line as key=text (defaults from the assessment)."
        ),
    )

    class Meta:
        model = NotificationObligation
        fields = [
            "record",
            "submitted_at",
            "reference_number",
            "recipient",
            "contents",
            "rationale",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stage = getattr(self.instance, "stage", None) if self.instance.pk else None
        keys = [item.get("key") for item in (stage.required_contents or [])] if stage else []
        if keys and "contents" in self.fields:
            self.fields["contents"].help_text += " Keys: " + ", ".join(k for k in keys if k) + "."

    def clean_contents(self):
        return self.cleaned_data.get("contents") or {}

    def clean(self):
        data = super().clean()
        submitted_at = data.get("submitted_at")
        if data.get("record") == "submit" and submitted_at:
            too_early = submission_too_early(self.instance, submitted_at)
            if too_early:
                self.add_error("submitted_at", too_early)
        if data.get("record") == "not_required" and not (data.get("rationale") or "").strip():
            self.add_error("rationale", "Say why this notification is not required.")
        return data

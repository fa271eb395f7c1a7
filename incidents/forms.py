"""Admin forms. They validate input; the services do the writing."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from .choices import ResponseRole, Status
from .kernel.valid_choices import ValidChoicesFormMixin
from .models import ChecklistItem, Incident, RoleAssignment, TimelineEntry


class IncidentForm(ValidChoicesFormMixin, forms.ModelForm):
    # The version the editor loaded; a save against a newer one is a conflict.
    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Incident
        fields = [
            "title",
            "summary",
            "severity",
            "type",
            "detection_source",
            "is_drill",
            "started_at",
            "detected_at",
            "affected_services",
            "users_affected",
            "customer_impact",
            "business_impact",
            "data_integrity_impact",
            "security_implications",
            "personal_data_involved",
        ]

    change_reason = forms.CharField(
        required=False,
        max_length=200,
        help_text="Why you are making this change (kept in the history).",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["loaded_version"].initial = self.instance.version
        elif "detected_at" in self.fields:
            self.fields["detected_at"].required = False
            self.fields["detected_at"].help_text = "Leave empty for now."

    def clean(self):
        cleaned = super().clean()
        now = timezone.now()
        detected_at = cleaned.get("detected_at") or self.instance.detected_at or now
        if "detected_at" in self.fields and cleaned.get("detected_at") and detected_at > now:
            self.add_error("detected_at", "Detection time cannot be in the future.")
        started_at = cleaned.get("started_at")
        if started_at and started_at > detected_at:
            self.add_error("started_at", "The start cannot be after detection.")
        if self.instance.pk:
            self._check_version(cleaned.get("loaded_version"))
        return cleaned

    def _check_version(self, submitted):
        # Lock the row for the rest of the admin's transaction so nobody slips in between
        # this check and the save.
        current = (
            Incident.objects.select_for_update()
            .filter(pk=self.instance.pk)
            .values_list("version", flat=True)
            .first()
        )
        if submitted is None or current != submitted:
            raise forms.ValidationError(
                "Someone else changed this incident while you were editing it. "
                "Your changes were not saved: reload the page to see theirs, then apply "
                "yours again.",
                code="conflict",
            )


class TransitionForm(ValidChoicesFormMixin, forms.Form):
    resolution_summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), required=False, label="Resolution summary"
    )
    cancel_reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Why cancel"
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Note")

    def __init__(self, *args, to_status: str, from_status: str, **kwargs):
        super().__init__(*args, **kwargs)
        if to_status != Status.RESOLVED:
            del self.fields["resolution_summary"]
        else:
            self.fields["resolution_summary"].required = True
        if to_status != Status.CANCELLED:
            del self.fields["cancel_reason"]
        else:
            self.fields["cancel_reason"].required = True
            self.fields["cancel_reason"].help_text = "For example: false alarm, duplicate of …"
        if from_status == Status.RESOLVED and to_status == Status.INVESTIGATING:
            self.fields["reason"].required = True
            self.fields["reason"].label = "Why reopen"
        elif to_status in (Status.RESOLVED, Status.CANCELLED):
            del self.fields["reason"]


class AssignRoleForm(ValidChoicesFormMixin, forms.ModelForm):
    # The blank choice keeps an untouched extra row unchanged, so the page saves without it.
    role = forms.ChoiceField(choices=[("", "---------"), *ResponseRole.choices])
    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_active=True, is_staff=True).order_by("username")
    )

    class Meta:
        model = RoleAssignment
        fields = ["role", "user"]

    def clean(self):
        cleaned = super().clean()
        role, user = cleaned.get("role"), cleaned.get("user")
        if role and user and self.instance.incident_id:
            holder = RoleAssignment.objects.filter(
                incident_id=self.instance.incident_id, role=role, relieved_at__isnull=True
            ).first()
            if holder and holder.user_id == user.pk:
                self.add_error("user", f"{user} is already the {ResponseRole(role).label}.")
        return cleaned


class AddNoteForm(ValidChoicesFormMixin, forms.ModelForm):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 2, "cols": 80}))
    at = forms.DateTimeField(
        required=False, label="When", help_text="Leave empty for now; set it to back-date."
    )

    class Meta:
        model = TimelineEntry
        fields = ["text", "at"]

    def clean_at(self):
        at = self.cleaned_data.get("at")
        if at and at > timezone.now():
            raise forms.ValidationError("A note cannot be dated in the future.")
        return at


class ChecklistItemForm(ValidChoicesFormMixin, forms.ModelForm):
    done = forms.BooleanField(required=False)

    class Meta:
        model = ChecklistItem
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["done"].initial = self.instance.is_done

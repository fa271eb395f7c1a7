"""Admin for API keys: create (the plain key is shown once, in the success message),
change name or scopes, revoke. Keys are never deleted: they are who made API changes."""

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html

from ..domain import DomainError
from ..kernel.valid_choices import ValidChoicesFormMixin
from ..models import ApiKey, ApiScope
from ..services import api_keys as keys
from .base import ReadOnlyHistoryAdmin


class ApiKeyForm(ValidChoicesFormMixin, forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=ApiScope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="incidents:security lets the key see security incidents at all.",
    )

    class Meta:
        model = ApiKey
        fields = ["name", "scopes"]

    def clean_scopes(self):
        try:
            return keys.parse_scopes(self.cleaned_data["scopes"])
        except DomainError as error:
            raise forms.ValidationError(error.message) from None


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyHistoryAdmin):
    form = ApiKeyForm
    list_display = ["name", "prefix", "scope_list", "state", "last_used_at", "created_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix"]
    readonly_fields = ["prefix", "user", "created_by", "created_at", "last_used_at", "revoked_at"]
    list_select_related = ["user"]
    actions = ["revoke_selected"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        if obj.revoked_at is not None:
            return ["name", "scopes", *self.readonly_fields]
        return self.readonly_fields

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "scopes"]
        return ["name", "scopes", *self.readonly_fields]

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Scopes")
    def scope_list(self, obj):
        return ", ".join(obj.scopes or [])

    @admin.display(description="State", ordering="revoked_at")
    def state(self, obj):
        if obj.revoked_at is None:
            return format_html('<span style="color:#2e7d32">{}</span>', "active")
        return format_html(
            '<span style="color:#c62828">revoked {}</span>',
            timezone.localtime(obj.revoked_at).strftime("%Y-%m-%d %H:%M"),
        )

    def save_model(self, request, obj, form, change):
        if change:
            updated = keys.api_key_update(
                api_key=obj.pk,
                user=request.user,
                name=form.cleaned_data.get("name"),
                scopes=form.cleaned_data.get("scopes"),
            )
            obj.__dict__.update(updated.__dict__)
            return
        created, raw_key = keys.api_key_create(
            name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"], user=request.user
        )
        obj.pk = created.pk
        obj.__dict__.update(created.__dict__)
        self.message_user(
            request,
            format_html(
                "API key created. Copy it now, it is not shown again: <code>{}</code>", raw_key
            ),
            messages.WARNING,
        )

    def save_related(self, request, form, formsets, change):
        pass  # no relations edited here

    @admin.action(description="Revoke selected API keys", permissions=["change"])
    def revoke_selected(self, request, queryset):
        revoked = 0
        for api_key in queryset.filter(revoked_at__isnull=True):
            keys.api_key_revoke(api_key=api_key, user=request.user)
            revoked += 1
        self.message_user(request, f"Revoked {revoked} API key(s).", messages.SUCCESS)

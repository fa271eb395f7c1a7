"""Admin for post-mortems (edit, submit, publish, export), their action items (one list
across every post-mortem) and the post-incident checklists. Writes go through services."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone

from incidents.admin.base import IncidentScopedAdminMixin, ReadOnlyHistoryAdmin
from incidents.choices import Severity
from incidents.domain import DomainError
from incidents.kernel.durations import format_duration

from . import services
from .models import (
    OPEN_ACTION_STATUSES,
    ActionItem,
    PostIncidentTask,
    PostMortem,
    PostMortemStatus,
)
from .selectors import postmortem_markdown

URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}


class ActionItemInline(admin.TabularInline):
    model = ActionItem
    formfield_overrides = URL_FIELDS
    fields = ["description", "owner", "due_date", "status", "ticket_url"]
    extra = 1
    can_delete = False
    autocomplete_fields = ["owner"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("owner")

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("postmortems.change_actionitem") and not (
            obj and obj.status == PostMortemStatus.PUBLISHED
        )

    def has_add_permission(self, request, obj=None):
        return request.user.has_perm("postmortems.add_actionitem")


@admin.register(PostMortem)
class PostMortemAdmin(IncidentScopedAdminMixin, ReadOnlyHistoryAdmin):
    list_display = ["incident", "severity", "status", "owner", "due_at", "review_meeting_at"]
    list_filter = ["status", "incident__severity", ("due_at", admin.DateFieldListFilter)]
    search_fields = ["incident__reference", "incident__title", "root_cause"]
    list_select_related = ["incident", "owner"]
    autocomplete_fields = ["owner"]
    inlines = [ActionItemInline]
    change_form_template = "admin/postmortems/postmortem/change_form.html"
    fieldsets = [
        (None, {"fields": [("incident", "status"), "owner", ("due_at", "review_meeting_at")]}),
        (
            "Incident Summary",
            {"fields": ["occurred_at", "duration_display", "impact", "root_cause"]},
        ),
        ("Timeline", {"fields": ["timeline"]}),
        ("Review", {"fields": ["went_well", "could_improve", "lessons_learned"]}),
        (
            "Approval",
            {"fields": [("submitted_at", "submitted_by"), ("approved_by", "published_at")]},
        ),
    ]

    def has_add_permission(self, request):
        return False  # opened on resolution

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        fixed = ["incident", "status", "duration_display", "submitted_at", "submitted_by",
                 "approved_by", "published_at"]  # fmt: skip
        if obj is not None and obj.status == PostMortemStatus.PUBLISHED:
            return fixed + list(services.EDITABLE_FIELDS)
        return fixed

    @admin.display(description="Severity", ordering="incident__severity")
    def severity(self, obj):
        return obj.incident.severity

    @admin.display(description="Duration")
    def duration_display(self, obj):
        return format_duration(obj.duration, unknown="ongoing") if obj else "—"

    def save_model(self, request, obj, form, change):
        fields = {
            n: form.cleaned_data[n] for n in services.EDITABLE_FIELDS if n in form.changed_data
        }
        if fields:
            updated = services.postmortem_update(postmortem=obj.pk, user=request.user, **fields)
            obj.__dict__.update(updated.__dict__)

    def save_formset(self, request, form, formset, change):
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.forms:
            if not inline_form.has_changed() or not hasattr(inline_form, "cleaned_data"):
                continue
            data = inline_form.cleaned_data
            if inline_form.instance.pk is None:
                services.action_item_add(
                    postmortem=form.instance,
                    description=data["description"],
                    owner=data["owner"],
                    due_date=data["due_date"],
                    ticket_url=data.get("ticket_url", ""),
                    user=request.user,
                )
            else:
                services.action_item_update(
                    item=inline_form.instance.pk,
                    user=request.user,
                    **{n: data[n] for n in inline_form.changed_data if n in data},
                )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            actions = [
                ("Export Markdown", reverse("admin:postmortems_postmortem_export", args=[obj.pk]))
            ]
            if self.has_change_permission(request, obj):
                # Submitting posts the change form itself: the edits are saved first.
                context["postmortem_submit"] = obj.status == PostMortemStatus.DRAFT
                if obj.status == PostMortemStatus.IN_REVIEW:
                    actions.append(("Return to draft", self._step_url(obj, "return")))
                    if request.user.has_perm("postmortems.approve_postmortem"):
                        actions.append(("Approve and publish", self._step_url(obj, "publish")))
                        # Four eyes: approving one's own submission needs a reason.
                        context["postmortem_override_reason"] = (
                            request.user.is_superuser and obj.submitted_by_id == request.user.pk
                        )
            context["postmortem_actions"] = actions
        return super().render_change_form(request, context, add, change, form_url, obj)

    def response_change(self, request, obj):
        if "_submit_for_review" not in request.POST:
            return super().response_change(request, obj)
        try:
            services.postmortem_submit(postmortem=obj, user=request.user)
        except DomainError as error:
            self.message_user(request, f"Saved, but not submitted: {error.message}", messages.ERROR)
        else:
            self.message_user(
                request,
                f"Post-mortem {obj.incident.reference}: saved and submitted for review.",
                messages.SUCCESS,
            )
        return HttpResponseRedirect(reverse("admin:postmortems_postmortem_change", args=[obj.pk]))

    def _step_url(self, obj, step):
        return reverse("admin:postmortems_postmortem_step", args=[obj.pk, step])

    def get_urls(self):
        return [
            path(
                "<int:object_id>/export.md",
                self.admin_site.admin_view(self.export_view),
                name="postmortems_postmortem_export",
            ),
            path(
                "<int:object_id>/step/<str:step>/",
                self.admin_site.admin_view(self.step_view),
                name="postmortems_postmortem_step",
            ),
            *super().get_urls(),
        ]

    def _get(self, request, object_id):
        obj = self.get_queryset(request).select_related("incident").filter(pk=object_id).first()
        if obj is None:
            raise Http404("No such post-mortem.")
        return obj

    def export_view(self, request, object_id):
        obj = self._get(request, object_id)
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        response = HttpResponse(
            postmortem_markdown(obj), content_type="text/markdown; charset=utf-8"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="{obj.incident.reference}-postmortem.md"'
        )
        return response

    def step_view(self, request, object_id, step):
        obj = self._get(request, object_id)
        if request.method != "POST" or not self.has_change_permission(request, obj):
            raise PermissionDenied
        try:
            if step == "submit":
                services.postmortem_submit(postmortem=obj, user=request.user)
            elif step == "return":
                services.postmortem_return(postmortem=obj, user=request.user)
            elif step == "publish":
                services.postmortem_publish(
                    postmortem=obj,
                    approver=request.user,
                    override_reason=request.POST.get("override_reason", ""),
                )
            else:
                raise Http404("Unknown step.")
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
        else:
            self.message_user(
                request, f"Post-mortem {obj.incident.reference}: done.", messages.SUCCESS
            )
        return HttpResponseRedirect(reverse("admin:postmortems_postmortem_change", args=[obj.pk]))


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Overdue"), ("no", "Not overdue")]

    def queryset(self, request, queryset):
        today = timezone.now().date()
        if self.value() == "yes":
            return queryset.filter(status__in=OPEN_ACTION_STATUSES, due_date__lt=today)
        if self.value() == "no":
            return queryset.exclude(status__in=OPEN_ACTION_STATUSES, due_date__lt=today)
        return queryset


class OpenActionFilter(admin.SimpleListFilter):
    title = "open or done"
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("yes", "Open"), ("no", "Done or dropped"), ("all", "All")]

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": (self.value() or "yes") == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or "yes"
        if value == "yes":
            return queryset.filter(status__in=OPEN_ACTION_STATUSES)
        if value == "no":
            return queryset.exclude(status__in=OPEN_ACTION_STATUSES)
        return queryset


class SeverityFilter(admin.SimpleListFilter):
    title = "incident severity"
    parameter_name = "severity"

    def lookups(self, request, model_admin):
        return Severity.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(postmortem__incident__severity=self.value())
        return queryset


@admin.register(ActionItem)
class ActionItemAdmin(IncidentScopedAdminMixin, ReadOnlyHistoryAdmin):
    """Open action items across every post-mortem."""

    incident_path = "postmortem__incident"

    formfield_overrides = URL_FIELDS

    list_display = [
        "description",
        "owner",
        "due_date",
        "status",
        "incident",
        "severity",
        "ticket_url",
    ]
    list_filter = [OpenActionFilter, OverdueFilter, SeverityFilter, "owner", "status"]
    search_fields = [
        "description",
        "ticket_url",
        "postmortem__incident__reference",
        "owner__username",
    ]
    list_select_related = ["owner", "postmortem__incident"]
    ordering = ["due_date", "id"]
    show_full_result_count = False
    fields = [
        "postmortem",
        "description",
        "owner",
        "due_date",
        "status",
        "ticket_url",
        "completed_at",
    ]
    readonly_fields = ["postmortem", "completed_at"]
    autocomplete_fields = ["owner"]

    def has_add_permission(self, request):
        return False  # added on the post-mortem

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Incident", ordering="postmortem__incident__reference")
    def incident(self, obj):
        return obj.postmortem.incident.reference

    @admin.display(description="Severity", ordering="postmortem__incident__severity")
    def severity(self, obj):
        return obj.postmortem.incident.severity

    def save_model(self, request, obj, form, change):
        services.action_item_update(
            item=obj.pk,
            user=request.user,
            **{n: form.cleaned_data[n] for n in form.changed_data if n in form.cleaned_data},
        )


class PostIncidentTaskForm(forms.ModelForm):
    """Only "Done" is edited here; services.task_set_done stamps who and when."""

    done = forms.BooleanField(required=False, label="Done")

    class Meta:
        model = PostIncidentTask
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "done" in self.fields:
            self.fields["done"].initial = bool(self.instance.pk and self.instance.is_done)


@admin.register(PostIncidentTask)
class PostIncidentTaskAdmin(IncidentScopedAdminMixin, ReadOnlyHistoryAdmin):
    form = PostIncidentTaskForm
    list_display = ["text", "incident", "stage", "due_at", "done_at", "owner"]
    list_filter = ["stage", ("done_at", admin.EmptyFieldListFilter), "incident__severity"]
    search_fields = ["text", "incident__reference"]
    list_select_related = ["incident", "owner"]
    fields = ["incident", "stage", "text", "owner", "due_at", "done", "done_at", "done_by"]
    readonly_fields = ["incident", "stage", "text", "owner", "due_at", "done_at", "done_by"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        services.task_set_done(task=obj.pk, done=form.cleaned_data["done"], user=request.user)

"""Admin building blocks shared by every app: history is evidence, so it is read-only, and
rows that belong to an incident are need-to-know like the incident."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from simple_history.admin import SimpleHistoryAdmin

from ..kernel.errors import DomainError
from ..kernel.valid_choices import ValidChoicesModelForm
from ..selectors import incidents_visible_to, incidents_withheld_from


def visible_incident_rows(request, queryset, incident_path: str = "incident"):
    """`queryset` narrowed to rows whose incident (reached through `incident_path`) the
    person may see (incidents.selectors.incidents_visible_to)."""
    visible = incidents_visible_to(request.user).values("pk")
    return queryset.filter(**{f"{incident_path}__in": visible})


def withheld_notice(request, *, rows=None, incident_path: str = "incident") -> int:
    """Say on the page how many rows are kept from this person (need-to-know), so a list is
    never a silent gap: security incidents, or, given `rows` (a queryset of another model
    whose incident `incident_path` reaches), those of its rows that belong to security
    incidents. Counted over all of them, whatever the search or filters (a filtered count
    would let a search probe the hidden incidents). Returns the count."""
    hidden = incidents_withheld_from(request.user)
    if hidden.query.is_empty():  # superusers: no query
        return 0
    if rows is None:
        withheld = hidden.count()
        noun = "security incident" if withheld == 1 else "security incidents"
    else:
        withheld = rows.filter(**{f"{incident_path}__in": hidden.values("pk")}).count()
        opts = rows.model._meta
        name = opts.verbose_name if withheld == 1 else opts.verbose_name_plural
        noun = f"{name} of security incidents"
    if withheld and request.method in ("GET", "HEAD"):
        verb = "is" if withheld == 1 else "are"
        messages.info(request, f"{withheld} {noun} {verb} not shown: need-to-know.")
    return withheld


class IncidentScopedAdminMixin:
    """For admins of rows that belong to an incident: the list, the change page and the
    history show only rows of incidents the person may see.

    incident_path         how a row reaches its incident ("incident", "postmortem__incident")
    superuser_sees_all    superusers also see rows that belong to no incident
    rows_without_incident rows that belong to no incident are shown to everyone"""

    incident_path = "incident"
    superuser_sees_all = False
    rows_without_incident = False

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if self.superuser_sees_all and request.user.is_superuser:
            return queryset
        scoped = visible_incident_rows(request, queryset, self.incident_path)
        if self.rows_without_incident:
            return queryset.filter(**{f"{self.incident_path}__isnull": True}) | scoped
        return scoped

    def changelist_view(self, request, extra_context=None):
        withheld_notice(
            request, rows=self.model._default_manager.all(), incident_path=self.incident_path
        )
        return super().changelist_view(request, extra_context)


class ReadOnlyHistoryAdmin(SimpleHistoryAdmin):
    """History pages show who, when, why, request id and field-level before/after.
    Nobody reverts or edits a historical version, and history never reveals an object
    the viewer may not see (the object must be in this admin's get_queryset)."""

    history_list_display = ["request_id"]
    # Unless an admin has its own form: an invalid choice lists the valid ones.
    form = ValidChoicesModelForm
    # Rows a migration creates once (the spec's reference data): edited, never added or
    # deleted in the admin.
    fixed_rows = False

    def has_add_permission(self, request, *args):
        return not self.fixed_rows and super().has_add_permission(request, *args)

    def has_delete_permission(self, request, obj=None):
        return not self.fixed_rows and super().has_delete_permission(request, obj)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as error:
            # Raised by a service inside the admin's transaction, which has rolled back:
            # nothing of this request was saved. Say why and send the person back.
            self.message_user(request, f"Not saved: {error.message}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def _require_visible(self, request, object_id):
        pk_name = self.model._meta.pk.attname
        try:
            visible = self.get_queryset(request).filter(**{pk_name: object_id}).exists()
        except (ValueError, ValidationError):
            raise Http404 from None  # a malformed id names nothing
        # Deleted objects' history is shown only to those who see everything.
        if not visible and not request.user.is_superuser:
            raise Http404

    def history_view(self, request, object_id, extra_context=None):
        self._require_visible(request, object_id)
        if not hasattr(self.model._meta, "simple_history_manager_attribute"):
            # Rows stored once and never changed (alerts, audit seals) keep no simple-history
            # records: their history is Django's log of admin actions.
            response = admin.ModelAdmin.history_view(self, request, object_id, extra_context)
            response.template_name = "admin/object_history.html"
            return response
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied("History is read-only.")
        self._require_visible(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def revert_disabled(self, request, obj=None):
        return True


class ReadOnlyAdmin(ReadOnlyHistoryAdmin):
    """For rows that only services write (timeline, role assignments): listed for search
    and audit, never edited here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    """Rows written by services, shown on their parent's page; `fields` are all read-only."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AddOnlyInline(admin.TabularInline):
    """Empty rows to fill in; the parent admin's save_formset hands each to a service."""

    form = ValidChoicesModelForm
    extra = 1
    can_delete = False
    add_permission: str = ""

    def get_queryset(self, request):
        return super().get_queryset(request).none()

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        return request.user.has_perm(self.add_permission)

    def has_view_permission(self, request, obj=None):
        # Nothing to show but rows to fill in: no empty section for who may not add (auditors).
        return self.has_add_permission(request, obj)


__all__ = [
    "AddOnlyInline",
    "IncidentScopedAdminMixin",
    "ReadOnlyAdmin",
    "ReadOnlyHistoryAdmin",
    "ReadOnlyInline",
    "admin",
    "visible_incident_rows",
    "withheld_notice",
]

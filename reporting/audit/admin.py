"""Audit admin: the sealed log (read-only) with its export page, checkpoints, verifier
runs, and the evidence pack of one incident."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from incidents.admin.base import ReadOnlyAdmin
from incidents.kernel import streaming
from incidents.selectors import incidents_visible_to, user_sees_all_security

from ..permissions import AUDIT_PERM
from .evidence import evidence_pack
from .export import (
    FORMATS,
    WITHHELD_HEADER,
    AuditFilter,
    export_lines,
    hidden_security_incidents,
    with_withheld_notice,
    withheld_notice_text,
)
from .forms import AuditExportForm
from .models import AuditCheckpoint, AuditSeal, AuditVerification

__all__ = ["AUDIT_PERM", "audit_download", "audit_filter_for"]


def audit_download(filters: AuditFilter, fmt: str, *, name: str = "audit") -> StreamingHttpResponse:
    """The trail as a streamed CSV / JSON Lines attachment (memory stays flat). When rows of
    security incidents are withheld, the `X-Withheld-Count` header says how many incidents,
    and a CSV ends with a notice row."""
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    withheld = withheld_count(filters)
    response = streaming.streamed_attachment(
        with_withheld_notice(export_lines(filters, fmt), fmt, withheld),
        content_type=FORMATS[fmt][0],
        filename=f"{name}-{stamp}.{fmt}",
    )
    response[WITHHELD_HEADER] = str(withheld)
    return response


def withheld_count(filters: AuditFilter) -> int:
    """How many security incidents' rows the need-to-know filter leaves out (all of them,
    not only those the other criteria would match)."""
    if filters.hidden_incidents is None:
        return 0
    return filters.hidden_incidents.count()


def audit_filter_for(request, **criteria) -> AuditFilter:
    """Criteria plus need-to-know: rows of security incidents the reader may not see are left
    out."""
    return AuditFilter(
        **criteria,
        hidden_incidents=hidden_security_incidents(
            sees_all_security=user_sees_all_security(request.user),
            visible=incidents_visible_to(request.user),
        ),
    )


@admin.register(AuditSeal)
class AuditSealAdmin(ReadOnlyAdmin):
    list_display = ["sequence", "model", "history_id", "hash", "sealed_at"]
    list_filter = ["model"]
    search_fields = ["=sequence", "=history_id", "hash"]
    show_full_result_count = False
    change_list_template = "admin/reporting/auditseal/change_list.html"

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(AUDIT_PERM) or super().has_view_permission(request, obj)

    def get_urls(self):
        custom = [
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name="reporting_audit_export",
            ),
            path(
                "evidence/<int:incident_id>/",
                self.admin_site.admin_view(self.evidence_view),
                name="reporting_evidence_pack",
            ),
        ]
        return custom + super().get_urls()

    def export_view(self, request):
        """Auditors download the trail (CSV or JSON Lines), streamed."""
        if not request.user.has_perm(AUDIT_PERM):
            raise PermissionDenied
        form = AuditExportForm(
            request.GET if "format" in request.GET else None,
            visible_incidents=incidents_visible_to(request.user),
        )
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            filters = audit_filter_for(
                request,
                since=data["since"],
                until=data["until"],
                models=[data["model"]] if data["model"] else [],
                object_id=str(data["object_id"]) if data["object_id"] else None,
                user=data["user"] or None,
                incident=data["incident"] or None,
            )
            return audit_download(filters, data["format"])
        withheld = withheld_count(audit_filter_for(request))
        if withheld:
            messages.info(request, withheld_notice_text(withheld))
        context = {
            **self.admin_site.each_context(request),
            "title": "Export the audit trail",
            "opts": self.model._meta,
            "form": form,
        }
        return TemplateResponse(request, "admin/reporting/audit_export.html", context)

    def evidence_view(self, request, incident_id):
        if not request.user.has_perm(AUDIT_PERM):
            raise PermissionDenied
        incident = incidents_visible_to(request.user).filter(pk=incident_id).first()
        if incident is None:
            raise Http404("No such incident.")
        handle = evidence_pack(
            incident,
            hidden_incidents=hidden_security_incidents(
                sees_all_security=user_sees_all_security(request.user),
                visible=incidents_visible_to(request.user),
            ),
            requested_by=request.user,
        )
        return FileResponse(
            handle, as_attachment=True, filename=f"evidence-{incident.reference}.zip"
        )


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdmin):
    list_display = ["first_sequence", "last_sequence", "count", "last_hash", "created_at", "key_id"]
    list_filter = ["key_id", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["last_hash"]
    date_hierarchy = "created_at"


@admin.register(AuditVerification)
class AuditVerificationAdmin(ReadOnlyAdmin):
    list_display = [
        "started_at",
        "ok",
        "first_sequence",
        "last_sequence",
        "checked",
        "first_bad_sequence",
        "incident",
    ]
    list_filter = ["ok"]

"""The KPI dashboard and the quarterly compliance report: admin pages (wrapped in
admin.site.admin_view by urls.py) that read through the selectors the API uses."""

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from incidents.selectors import incidents_visible_to, user_sees_all_security

from ..kpis.selectors import kpi_breakdown, kpi_incidents, kpi_summary
from ..preparedness.choices import TrainingTopic
from ..preparedness.selectors import (
    contact_verification_status,
    drills_in,
    quarter_bounds,
    quarter_of,
    reviews_in,
    training_coverage,
)
from . import domain, selectors
from .forms import KpiFilterForm, QuarterForm

VIEW_PERMISSION = "incidents.view_incident"
EXPORT_FORMATS = ("csv", "xlsx", "json")
EXPORT_ROWS = (("kpis", "KPIs"), ("incidents", "Incidents behind them"))
# Each quarterly section shows only to those allowed to view its records (deny by default).
SECTION_PERMISSIONS = {
    "breaches": "reporting.view_breachassessment",
    "drills": "reporting.view_drill",
    "reviews": "reporting.view_procedurereview",
    # Coverage and verification counts are about everyone, so the "all" permissions.
    "training": "reporting.view_all_training",
    "contacts": "reporting.view_all_contact_verifications",
}


def _require_view_permission(request) -> None:
    if not request.user.has_perm(VIEW_PERMISSION):
        raise PermissionDenied


def _export_url(fmt: str, rows: str, params: list[tuple]) -> str:
    path = reverse("api:reports-kpis-export")
    return f"{path}?{urlencode([('format', fmt), ('rows', rows), *params])}"


def _export_links(form: KpiFilterForm) -> list[dict]:
    """Links to the KPI export API with the dashboard's filters (staff sessions may call it)."""
    data = form.cleaned_data
    params = [("from", data["from"].isoformat()), ("to", data["to"].isoformat())]
    params += [(name, value) for name in ("severity", "category", "type") for value in data[name]]
    params += [("service", service.pk) for service in data["service"]]
    params.append(("group_by", data["group_by"]))
    return [
        {
            "rows": rows,
            "label": label,
            "links": [(fmt.upper(), _export_url(fmt, rows, params)) for fmt in EXPORT_FORMATS],
        }
        for rows, label in EXPORT_ROWS
    ]


def dashboard_view(request):
    _require_view_permission(request)
    now = timezone.now()
    form = KpiFilterForm(request.GET, now=now)
    context = {
        **admin.site.each_context(request),
        "title": "KPI dashboard",
        "form": form,
        "sees_all_security": user_sees_all_security(request.user),
    }
    if form.is_valid():
        data = form.cleaned_data
        start, end = data["window"].start, data["window"].end
        incidents = selectors.dashboard_incidents(
            request.user,
            start=start,
            end=end,
            severities=data["severity"],
            categories=data["category"],
            types=data["type"],
            services=data["service"],
        )
        context.update(
            selectors.dashboard_data(
                incidents, start=start, end=end, group_by=data["group_by"], now=now
            )
        )
        context.update(
            group_by=data["group_by"],
            group_by_label=dict(form.fields["group_by"].choices)[data["group_by"]],
            exports=_export_links(form),
            range_start=start,
            range_end=end - timedelta(days=1),
        )
    return TemplateResponse(request, "reporting/dashboard/dashboard.html", context)


def quarterly_report_view(request):
    _require_view_permission(request)
    now = timezone.now()
    data = request.GET.copy()
    if not data.get("quarter"):
        data["quarter"] = quarter_of(now)  # the running quarter; earlier ones by choice
    form = QuarterForm(data)
    context = {
        **admin.site.each_context(request),
        "title": "Quarterly compliance report",
        "form": form,
        "generated_at": now,
        "sees_all_security": user_sees_all_security(request.user),
    }
    if not form.is_valid():
        return TemplateResponse(request, "reporting/dashboard/quarterly.html", context)

    quarter = form.cleaned_data["quarter"]
    start, end = quarter_bounds(quarter)
    visible = incidents_visible_to(request.user)
    incidents = kpi_incidents(visible, start=start, end=end)
    summary = kpi_summary(incidents, now=now)
    allowed = {name: request.user.has_perm(perm) for name, perm in SECTION_PERMISSIONS.items()}
    context.update(
        title=f"Quarterly compliance report {quarter}",
        quarter=quarter,
        quarter_start=start,
        quarter_last_day=(end - timedelta(days=1)).date(),
        summary=summary,
        tiles=domain.summary_tiles(summary),
        by_severity=domain.breakdown_table(kpi_breakdown(incidents, group_by="severity", now=now)),
        by_category=domain.breakdown_table(kpi_breakdown(incidents, group_by="category", now=now)),
        allowed=allowed,
        section_permissions=SECTION_PERMISSIONS,
    )
    if allowed["breaches"]:
        context.update(
            obligations=selectors.obligations_by_stage(
                selectors.obligations_in(visible, start=start, end=end), now=now
            ),
            breaches=selectors.breach_rows(selectors.breaches_in(visible, start=start, end=end)),
        )
    if allowed["drills"]:
        context["drills"] = list(drills_in(start, end))
    if allowed["reviews"]:
        context["reviews"] = list(reviews_in(start, end).select_related("reviewer"))
    if allowed["training"]:
        # Coverage as it stood on the quarter's last day (or today, for the running quarter).
        on = min(context["quarter_last_day"], now.date())
        context.update(
            training_on=on,
            training=domain.training_table(training_coverage(on=on), TrainingTopic.choices),
        )
    if allowed["contacts"]:
        context["contacts"] = contact_verification_status(quarter, now=now)
    return TemplateResponse(request, "reporting/dashboard/quarterly.html", context)

"""The breach register as a streamed CSV (one row per assessment, spreadsheet-safe cells).
Assessments withheld from the reader (need-to-know) are counted in the `X-Withheld-Count`
header and a closing notice row, never a silent gap."""

from django.http import StreamingHttpResponse

from incidents.kernel import streaming
from incidents.kernel.spreadsheets import spreadsheet_text

from .choices import ObligationStatus

REGISTER_COLUMNS = [
    "incident",
    "title",
    "severity",
    "incident_status",
    "awareness_at",
    "personal_data_involved",
    "approx_data_subjects",
    "approx_records",
    "high_risk",
    "high_risk_rationale",
    "regimes",
    "obligations_pending",
    "obligations_submitted",
    "obligations_not_required",
    "next_due_at",
    "measures",
    "likely_consequences",
]


WITHHELD_HEADER = "X-Withheld-Count"


def register_csv_response(queryset, *, withheld: int = 0) -> StreamingHttpResponse:
    queryset = queryset.select_related("incident").prefetch_related("regimes", "obligations")

    def rows():
        yield REGISTER_COLUMNS
        for item in queryset.iterator(chunk_size=500):
            obligations = list(item.obligations.all())
            pending = [o for o in obligations if o.status == ObligationStatus.PENDING]
            due = min((o.due_at for o in pending if o.due_at), default=None)
            cells = [
                item.incident.reference,
                item.incident.title,
                item.incident.severity,
                item.incident.status,
                item.awareness_at.isoformat() if item.awareness_at else "",
                item.personal_data_involved,
                item.approx_data_subjects if item.approx_data_subjects is not None else "",
                item.approx_records if item.approx_records is not None else "",
                "" if item.high_risk is None else item.high_risk,
                item.high_risk_rationale,
                "; ".join(r.name for r in item.regimes.all()),
                len(pending),
                sum(o.status == ObligationStatus.SUBMITTED for o in obligations),
                sum(o.status == ObligationStatus.NOT_REQUIRED for o in obligations),
                due.isoformat() if due else "",
                item.measures,
                item.likely_consequences,
            ]
            yield [spreadsheet_text(cell) for cell in cells]
        if withheld:
            plural = "assessment is" if withheld == 1 else "assessments are"
            yield [f"# {withheld} breach {plural} not shown: need-to-know."]

    response = streaming.streamed_attachment(
        streaming.csv_lines(rows()),
        content_type="text/csv; charset=utf-8",
        filename="breach-register.csv",
    )
    response[WITHHELD_HEADER] = str(withheld)
    return response

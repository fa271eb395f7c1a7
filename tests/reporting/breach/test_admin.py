"""The breach admin pages: starting an assessment from the incident page, editing it through
the service, the breach register and its export, obligations and regimes."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from reporting.breach import services
from reporting.breach.choices import ObligationStatus
from reporting.models import BreachAssessment, NotificationObligation, Regime
from tests.incidents.builders import changeform_post_data
from tests.reporting.builders import T0, gdpr_assessment, obligation, regimes

pytestmark = pytest.mark.django_db


# --- admin ---------------------------------------------------------------------------------
def test_the_incident_page_starts_the_assessment(client, open_breach, people):
    incident = open_breach()
    client.force_login(people["sec"])
    page = client.get(reverse("admin:incidents_incident_change", args=[incident.pk]))
    start = reverse("admin:reporting_breachassessment_start", args=[incident.pk])
    assert start in page.content.decode()
    assert client.get(start).status_code == 200
    response = client.post(start)
    assessment = BreachAssessment.objects.get(incident=incident)
    assert response.url == reverse("admin:reporting_breachassessment_change", args=[assessment.pk])
    page = client.get(response.url)
    assert page.status_code == 200
    page = client.get(reverse("admin:incidents_incident_change", args=[incident.pk]))
    assert response.url in page.content.decode()


def test_a_responder_cannot_start_one_and_need_to_know_hides_the_incident(
    client, open_breach, people
):
    incident = open_breach()
    client.force_login(people["resp"])
    start = reverse("admin:reporting_breachassessment_start", args=[incident.pk])
    assert client.post(start).status_code == 404  # security incident, no role: not visible
    assert not BreachAssessment.objects.exists()


def test_admin_edit_of_awareness_goes_through_the_service_with_its_reason(
    client, open_breach, people
):
    incident = open_breach()
    assessment = services.breach_assessment_start(
        incident=incident, user=people["sec"], regimes=regimes("gdpr-33"), now=T0
    )
    client.force_login(people["sec"])
    url = reverse("admin:reporting_breachassessment_change", args=[assessment.pk])
    page = client.get(url)
    data = changeform_post_data(
        page,
        awareness_at_0="2026-06-01",
        awareness_at_1="08:00:00",
        awareness_reason="",
    )
    response = client.post(url, data)
    assert response.status_code == 200  # refused: the reason is required
    assert "reason" in response.content.decode()
    data["awareness_reason"] = "SOC ticket 4411"
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assessment.refresh_from_db()
    assert assessment.awareness_at == datetime(2026, 6, 1, 8, tzinfo=UTC)
    assert assessment.awareness_set_by == people["sec"]
    latest = assessment.history.latest()
    assert "SOC ticket 4411" in latest.history_change_reason
    assert obligation(assessment, "gdpr-33", "notification").due_at == datetime(
        2026, 6, 4, 8, tzinfo=UTC
    )


def test_the_breach_register_lists_every_breach_and_exports_csv(client, open_breach, people):
    notified, _ = gdpr_assessment(open_breach, people)
    services.obligation_submit(
        obligation=NotificationObligation.objects.get(assessment__incident=notified),
        user=people["sec"],
        now=T0 + timedelta(hours=2),
    )
    silent = open_breach(title="-Laptop lost, disk encrypted", at=T0 + timedelta(hours=1))
    services.breach_assessment_start(incident=silent, user=people["sec"], now=T0)
    client.force_login(people["sec"])
    listing = client.get(reverse("admin:reporting_breachassessment_changelist"))
    assert listing.status_code == 200
    body = listing.content.decode()
    assert notified.reference in body and silent.reference in body
    filtered = client.get(reverse("admin:reporting_breachassessment_changelist") + "?notified=none")
    assert silent.reference in filtered.content.decode()
    assert notified.reference not in filtered.content.decode()

    export = client.get(reverse("admin:reporting_breachassessment_export"))
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    by_ref = {row["incident"]: row for row in rows}
    assert set(by_ref) == {notified.reference, silent.reference}
    assert by_ref[notified.reference]["obligations_submitted"] == "1"
    assert by_ref[silent.reference]["obligations_submitted"] == "0"
    # A title a spreadsheet would run as a formula is written inert.
    assert by_ref[silent.reference]["title"] == "'-Laptop lost, disk encrypted"


def test_obligation_admin_records_a_submission(client, open_breach, people):
    _incident, art33 = gdpr_assessment(open_breach, people)
    client.force_login(people["sec"])
    url = reverse("admin:reporting_notificationobligation_change", args=[art33.pk])
    page = client.get(url)
    assert page.status_code == 200
    data = changeform_post_data(page, record="submit", reference_number="DPC-9")
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    art33.refresh_from_db()
    assert art33.status == ObligationStatus.SUBMITTED
    assert art33.reference_number == "DPC-9"
    assert art33.submitted_by == people["sec"]


def test_regimes_are_editable_in_admin_with_history(client, people, django_user_model):
    admin_user = django_user_model.objects.create_superuser("root", "root@x.test", "pw")
    client.force_login(admin_user)
    regime = Regime.objects.get(code="gdpr-33")
    assert client.get(reverse("admin:reporting_regime_change", args=[regime.pk])).status_code == 200
    assert (
        client.get(reverse("admin:reporting_regime_history", args=[regime.pk])).status_code == 200
    )


def test_the_assessment_page_reads_its_clocks_in_words(client, open_breach, people, settings):
    settings.TIME_ZONE = "UTC"
    _, gdpr = gdpr_assessment(open_breach, people)
    client.force_login(people["sec"])
    page = client.get(
        reverse("admin:reporting_breachassessment_change", args=[gdpr.assessment_id])
    ).content.decode()
    assert "Clock started" in page and "Anchor at" not in page
    assert f"{gdpr.due_at:%Y-%m-%d %H:%M}" in page  # 72 h after awareness, as people write it
    assert f"{T0 + timedelta(hours=72):%Y-%m-%d %H:%M}" == f"{gdpr.due_at:%Y-%m-%d %H:%M}"

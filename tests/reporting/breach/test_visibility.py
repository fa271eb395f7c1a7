"""Need-to-know in the compliance admin: the Auditor group reads every breach record, the
evidence pack and the audit trail of a security incident and changes nothing; anyone else
who may not see the incident is told how many rows are withheld, never a silent gap."""

import csv
import io
import json
import zipfile

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from incidents.choices import StaffGroup
from reporting.models import BreachAssessment
from tests.incidents.builders import UserFactory, changeform_post_data
from tests.reporting.builders import gdpr_assessment

pytestmark = pytest.mark.django_db

REGISTER = "/admin/reporting/breachassessment/"
OBLIGATIONS = "/admin/reporting/notificationobligation/"


def _body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_auditor_reads_the_breach_register_and_its_obligations(client, open_breach, people):
    incident, obligation = gdpr_assessment(open_breach, people)
    assessment = BreachAssessment.objects.get(incident=incident)
    client.force_login(people["auditor"])
    register = client.get(REGISTER)
    assert register.status_code == 200
    assert incident.reference in register.content.decode()
    assert "1 breach assessment" in register.content.decode()
    assert not [m for m in _messages(register) if "not shown" in m]
    page = client.get(reverse("admin:reporting_breachassessment_change", args=[assessment.pk]))
    assert page.status_code == 200
    assert b'name="_save"' not in page.content  # read-only
    assert (
        client.get(
            reverse("admin:reporting_breachassessment_history", args=[assessment.pk])
        ).status_code
        == 200
    )
    assert incident.reference in client.get(OBLIGATIONS).content.decode()
    change = reverse("admin:reporting_notificationobligation_change", args=[obligation.pk])
    assert client.get(change).status_code == 200
    export = client.get(reverse("admin:reporting_breachassessment_export"))
    rows = list(csv.DictReader(io.StringIO(_body(export))))
    assert [row["incident"] for row in rows] == [incident.reference]
    assert export["X-Withheld-Count"] == "0"


def test_auditor_cannot_change_a_breach_record(client, open_breach, people):
    incident, obligation = gdpr_assessment(open_breach, people)
    assessment = BreachAssessment.objects.get(incident=incident)
    client.force_login(people["sec"])
    url = reverse("admin:reporting_breachassessment_change", args=[assessment.pk])
    data = changeform_post_data(client.get(url), approx_data_subjects="999")
    client.force_login(people["auditor"])
    assert client.post(url, data).status_code == 403
    obligation_url = reverse("admin:reporting_notificationobligation_change", args=[obligation.pk])
    assert client.post(obligation_url, {"status": "submitted"}).status_code == 403
    start = reverse("admin:reporting_breachassessment_start", args=[incident.pk])
    assert client.post(start).status_code in {302, 403}
    assessment.refresh_from_db()
    assert assessment.approx_data_subjects != 999
    obligation.refresh_from_db()
    assert obligation.status == "pending"


def test_register_says_how_many_assessments_are_withheld(client, open_breach, people):
    gdpr_assessment(open_breach, people)
    # A commander with no role on this security incident may read breach records in general.
    client.force_login(_other_commander())
    register = client.get(REGISTER)
    assert register.status_code == 200
    assert "1 breach assessment of security incidents is not shown: need-to-know." in _messages(
        register
    )
    # The count ignores the search: a search cannot probe the hidden rows.
    searched = client.get(REGISTER, {"q": "no such words"})
    assert "1 breach assessment of security incidents is not shown: need-to-know." in _messages(
        searched
    )
    obligations = client.get(OBLIGATIONS)
    assert any("notification obligation" in m and "not shown" in m for m in _messages(obligations))


def test_register_export_ends_with_a_withheld_notice(client, open_breach, people):
    gdpr_assessment(open_breach, people)
    client.force_login(_other_commander(with_register=True))
    export = client.get(reverse("admin:reporting_breachassessment_export"))
    assert export.status_code == 200
    assert export["X-Withheld-Count"] == "1"
    lines = _body(export).splitlines()
    assert lines[-1] == "# 1 breach assessment is not shown: need-to-know."
    assert len(lines) == 2  # the header and the notice, no row of the hidden incident


def _other_commander(*, with_register: bool = False):
    user = UserFactory(username="ic-elsewhere", groups=[StaffGroup.INCIDENT_COMMANDER])
    if with_register:
        user.user_permissions.add(
            Permission.objects.get(
                content_type__app_label="reporting", codename="view_breach_register"
            )
        )
    return user


def test_auditor_downloads_the_evidence_pack_of_a_security_incident(client, open_breach, people):
    incident, _obligation = gdpr_assessment(open_breach, people)
    client.force_login(people["auditor"])
    response = client.get(reverse("admin:reporting_evidence_pack", args=[incident.pk]))
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = set(archive.namelist())
    assert {"incident.json", "reporting/breachassessment.json", "audit/events.jsonl"} <= names
    events = [json.loads(line) for line in archive.read("audit/events.jsonl").splitlines()]
    assert events and {e["incident"] for e in events} == {incident.reference}
    # Someone who may not see it gets not-found, as for an incident that does not exist.
    client.force_login(people["resp"])
    assert client.get(reverse("admin:reporting_evidence_pack", args=[incident.pk])).status_code in {
        403,
        404,
    }

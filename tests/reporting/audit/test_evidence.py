"""Evidence pack: one ZIP per incident, every file listed with its SHA-256 in the manifest."""

import hashlib
import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from incidents.models import ApiScope
from incidents.services.api_keys import api_key_create
from reporting.audit.chain import sign
from reporting.breach import reminders, services
from reporting.models import Regime
from tests.reporting.builders import T0

pytestmark = pytest.mark.django_db


@pytest.fixture
def breach_with_record(open_breach, people):
    incident = open_breach()
    assessment = services.breach_assessment_start(
        incident=incident,
        user=people["sec"],
        awareness_at=T0,
        awareness_reason="confirmed",
        regimes=list(Regime.objects.filter(code="gdpr-33")),
        now=T0 + timedelta(minutes=1),
    )
    reminders.obligation_reminders_dispatch(now=T0 + timedelta(hours=60))  # a reminder delivery
    return incident, assessment


def _open(content: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(content))


def _check_pack(archive: zipfile.ZipFile, reference: str, settings) -> dict:
    manifest_bytes = archive.read("manifest.json")
    manifest = json.loads(manifest_bytes)
    assert manifest["incident"] == reference
    names = set(archive.namelist()) - {"manifest.json", "manifest.sig"}
    assert names == set(manifest["files"])
    for name, meta in manifest["files"].items():
        assert hashlib.sha256(archive.read(name)).hexdigest() == meta["sha256"]
    signature = archive.read("manifest.sig").decode().split()[-1]
    assert signature == sign(settings.HARBORMASTER_AUDIT_HMAC_KEY.encode(), manifest_bytes)
    return manifest


def _content(response) -> bytes:
    return b"".join(response.streaming_content)


def test_api_evidence_pack_holds_every_record_with_a_manifest(breach_with_record, settings):
    incident, assessment = breach_with_record
    _key, raw = api_key_create(
        name="auditor", scopes=[ApiScope.AUDIT_READ, ApiScope.INCIDENTS_SECURITY]
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = client.get(f"/api/v1/incidents/{incident.reference}/evidence.zip")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = _open(_content(response))
    manifest = _check_pack(archive, incident.reference, settings)
    files = set(manifest["files"])
    assert {
        "incident.json",
        "incidents/timelineentry.json",
        "incidents/roleassignment.json",
        "incidents/delivery.json",
        "reporting/breachassessment.json",
        "reporting/notificationobligation.json",
        "audit/events.jsonl",
    } <= files
    assert json.loads(archive.read("incident.json"))["reference"] == incident.reference
    obligations = json.loads(archive.read("reporting/notificationobligation.json"))
    assert obligations[0]["assessment_id"] == assessment.pk
    (record,) = json.loads(archive.read("reporting/breachassessment.json"))
    gdpr = Regime.objects.get(code="gdpr-33")
    assert record["regimes"] == [{"id": gdpr.pk, "label": str(gdpr)}]
    audit = [json.loads(line) for line in archive.read("audit/events.jsonl").splitlines()]
    assert audit and {e["incident"] for e in audit} == {incident.reference}
    assert "reporting.breachassessment" in {e["model"] for e in audit}


def test_evidence_pack_respects_need_to_know_and_scopes(breach_with_record):
    incident, _ = breach_with_record
    url = f"/api/v1/incidents/{incident.reference}/evidence.zip"
    _key, raw = api_key_create(name="narrow", scopes=[ApiScope.AUDIT_READ])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get(url).status_code == 404  # security incident without incidents:security
    _key, raw = api_key_create(name="reader", scopes=[ApiScope.INCIDENTS_READ])
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get(url).status_code == 403
    assert client.get("/api/v1/incidents/INC-20000101-000000/evidence.zip").status_code == 403


def test_admin_evidence_pack_for_auditors(breach_with_record, people, client, settings):
    incident, _ = breach_with_record
    url = reverse("admin:reporting_evidence_pack", args=[incident.pk])
    client.force_login(people["sec"])  # security lead sees the incident but is no auditor
    assert client.get(url).status_code == 403
    superuser = type(people["sec"]).objects.create_superuser("root", "r@x.test", "pw")
    client.force_login(superuser)
    page = client.get(reverse("admin:incidents_incident_change", args=[incident.pk]))
    assert url in page.content.decode()
    response = client.get(url)
    assert response.status_code == 200
    _check_pack(_open(_content(response)), incident.reference, settings)

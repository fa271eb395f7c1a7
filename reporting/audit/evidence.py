"""Per-incident evidence pack: one ZIP with every record of the incident and a manifest of
SHA-256 digests (signed with the audit HMAC key, so the pack can be checked later)."""

from __future__ import annotations

import hashlib
import json
import tempfile
import zipfile
from datetime import datetime

from django.apps import apps
from django.db import models
from django.utils import timezone

from incidents.models import Incident

from . import chain
from .export import AuditFilter, iter_events
from .sealing import hmac_key, key_id
from .tables import is_history_model, is_m2m_history_model, plain


def _row(instance: models.Model) -> dict:
    return {f.attname: plain(getattr(instance, f.attname)) for f in instance._meta.concrete_fields}


def _row_with_links(instance: models.Model) -> dict:
    """The row plus its many-to-many links (a breach assessment's regimes), id and label."""
    row = _row(instance)
    for field in instance._meta.many_to_many:
        row[field.name] = [
            {"id": plain(linked.pk), "label": str(linked)}
            for linked in sorted(getattr(instance, field.name).all(), key=lambda item: item.pk)
        ]
    return row


def _dumps(value) -> bytes:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str).encode()


def _related_models() -> list[tuple[type[models.Model], str]]:
    """Every model holding rows of an incident: (model, lookup to the incident), one and
    two foreign keys away (e.g. deliveries; obligations through the breach assessment)."""

    def real(model) -> bool:
        return not (
            is_history_model(model) or is_m2m_history_model(model) or model._meta.auto_created
        )

    direct = []
    for model in apps.get_models():
        if model is Incident or not real(model):
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, models.ForeignKey) and field.related_model is Incident:
                direct.append((model, field.name))
                break
    found = list(direct)
    parents = {model: lookup for model, lookup in direct}
    for model in apps.get_models():
        if not real(model) or model in parents or model is Incident:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, models.ForeignKey) and field.related_model in parents:
                found.append((model, f"{field.name}__{parents[field.related_model]}"))
                break
    return sorted(found, key=lambda item: item[0]._meta.label_lower)


def evidence_files(incident: Incident, *, hidden_incidents=None):
    """(name, bytes) for each file of the pack, audit rows last."""
    record = _row(incident)
    record["affected_services"] = list(incident.affected_services.values_list("name", flat=True))
    yield "incident.json", _dumps(record)
    for model, lookup in _related_models():
        linked = [field.name for field in model._meta.many_to_many]
        query = model.objects.filter(**{lookup: incident}).prefetch_related(*linked)
        rows = [_row_with_links(obj) for obj in query.order_by("pk")]
        if rows:
            name = f"{model._meta.app_label}/{model._meta.model_name}.json"
            yield name, _dumps(rows)
    audit = AuditFilter(incident=incident.reference, hidden_incidents=hidden_incidents)
    lines = (
        json.dumps(event, sort_keys=True, ensure_ascii=False, default=str) + "\n"
        for event in iter_events(audit)
    )
    yield "audit/events.jsonl", "".join(lines).encode()


def evidence_pack(incident: Incident, *, hidden_incidents=None, requested_by=None, now=None):
    """Write the pack to a temporary file and return it, rewound, for streaming."""
    now: datetime = now or timezone.now()
    handle = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115 - returned
    manifest = {
        "incident": incident.reference,
        "generated_at": plain(now),
        "generated_by": getattr(requested_by, "username", "") or "",
        "algorithm": "sha256",
        "files": {},
    }
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in evidence_files(incident, hidden_incidents=hidden_incidents):
            archive.writestr(name, data)
            manifest["files"][name] = {
                "sha256": hashlib.sha256(data).hexdigest(),
                "bytes": len(data),
            }
        body = _dumps(manifest)
        archive.writestr("manifest.json", body)
        archive.writestr(
            "manifest.sig",
            f"hmac-sha256 key={key_id()} {chain.sign(hmac_key(), body)}\n".encode(),
        )
    handle.seek(0)
    return handle

"""Which tables hold history, and how one of their rows is turned into plain values."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import cache

from django.apps import apps
from django.db import models

from incidents.models import Incident

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
HISTORY_COLUMNS = {
    "history_id",
    "history_date",
    "history_change_reason",
    "history_type",
    "history_user",
    "history_relation",
    "request_id",
}
ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


AS_IS = frozenset({int, str, bool, float, type(None), dict, list})


def plain(value):
    """One canonical, JSON-safe form per value: UTC timestamps at microsecond precision."""
    if type(value) in AS_IS:  # the common case, first (the export calls this per value)
        return value
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.strftime(TIMESTAMP_FORMAT)
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    return value


def is_history_model(model) -> bool:
    names = {field.name for field in model._meta.concrete_fields}
    return {"history_id", "history_date", "history_type"} <= names and hasattr(
        model, "instance_type"
    )


def is_m2m_history_model(model) -> bool:
    return model._meta.pk.name == "m2m_history_id"


@dataclass(frozen=True)
class M2MHistory:
    """An m2m history table: one row per member of the set, snapshotted with each history
    row of its owner (`history_id`). Exported folded into the owner's events as a field."""

    model: type[models.Model]
    field: str  # the tracked model's m2m field, e.g. "affected_services"
    member_attname: str  # the column holding the member's id, e.g. "service_id"


@dataclass(frozen=True)
class HistoryTable:
    model: type[models.Model]
    label: str  # app_label.historicalmodel — what seals and exports name
    tracked_label: str  # app_label.model of the tracked model ("" for m2m tables)
    object_field: str  # attname holding the tracked object's id
    fields: tuple[str, ...]  # attnames of the tracked fields, in table order
    incident_path: str | None  # "" for Incident itself, "incident", "assessment__incident"
    m2m: tuple[M2MHistory, ...] = ()  # tracked m2m fields, exported as sorted id lists

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(field.attname for field in self.model._meta.concrete_fields)


def _incident_path(tracked) -> str | None:
    if tracked is Incident:
        return ""
    relations = [
        field
        for field in tracked._meta.concrete_fields
        if isinstance(field, models.ForeignKey) and field.related_model is not None
    ]
    for field in relations:
        if field.related_model is Incident and field.name == "incident":
            return "incident"
    for field in relations:
        if field.related_model is Incident:
            return field.name
    for field in relations:
        for inner in field.related_model._meta.concrete_fields:
            if isinstance(inner, models.ForeignKey) and inner.related_model is Incident:
                return f"{field.name}__{inner.name}"
    return None


def _m2m_of(history_model) -> tuple[M2MHistory, ...]:
    """The m2m history tables whose rows hang off `history_model`'s rows."""
    found = []
    tracked = history_model.instance_type
    prefix = f"{history_model._meta.model_name}_"
    for model in apps.get_models():
        if not is_m2m_history_model(model):
            continue
        owner = model._meta.get_field("history").related_model
        if owner is not history_model or not model._meta.model_name.startswith(prefix):
            continue
        field = tracked._meta.get_field(model._meta.model_name[len(prefix) :])
        member = next(
            f
            for f in model._meta.concrete_fields
            if isinstance(f, models.ForeignKey) and f.related_model is field.related_model
        )
        found.append(M2MHistory(model=model, field=field.name, member_attname=member.attname))
    return tuple(sorted(found, key=lambda m2m: m2m.field))


@cache
def history_tables() -> tuple[HistoryTable, ...]:
    """Every historical table of every tracked model (simple_history), in label order."""
    found = []
    for model in apps.get_models():
        if is_history_model(model):
            tracked = model.instance_type
            fields = tuple(
                field.attname
                for field in model._meta.concrete_fields
                if field.name not in HISTORY_COLUMNS
            )
            found.append(
                HistoryTable(
                    model=model,
                    label=model._meta.label_lower,
                    tracked_label=tracked._meta.label_lower,
                    object_field=tracked._meta.pk.attname,
                    fields=fields,
                    incident_path=_incident_path(tracked),
                    m2m=_m2m_of(model),
                )
            )
    return tuple(sorted(found, key=lambda table: table.label))


@cache
def m2m_history_tables() -> tuple[type[models.Model], ...]:
    """The m2m history tables (e.g. an incident's affected services): sealed row by row,
    exported folded into their owner's events (`HistoryTable.m2m`)."""
    return tuple(
        sorted(
            (model for model in apps.get_models() if is_m2m_history_model(model)),
            key=lambda model: model._meta.label_lower,
        )
    )


def sealable_models() -> dict[str, type[models.Model]]:
    """Every table whose rows are sealed: label → model."""
    result = {table.label: table.model for table in history_tables()}
    for model in m2m_history_tables():
        result[model._meta.label_lower] = model
    return dict(sorted(result.items()))


def history_table_names() -> list[str]:
    return [model._meta.db_table for model in sealable_models().values()]

"""Sealing history rows into the hash chain and signing checkpoints (checks: verification.py).

Every sealer locks the single chain-head row (SELECT ... FOR UPDATE), so concurrent sealers
queue instead of forking the chain. Unsealed rows are found with an anti-join on
AuditSeal(model, history_id), so a row committed late (lower id than rows already sealed)
is still picked up."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone

from . import chain
from .models import AuditChainHead, AuditCheckpoint, AuditSeal
from .tables import sealable_models

BATCH_SIZE = 5000
# A long sealing run signs what it has sealed at least this often (seconds).
SIGN_EVERY = 30


def hmac_key() -> bytes:
    return settings.HARBORMASTER_AUDIT_HMAC_KEY.encode()


def key_id() -> str:
    return settings.HARBORMASTER_AUDIT_HMAC_KEY_ID


def _lock_head() -> AuditChainHead:
    AuditChainHead.objects.get_or_create(pk=1)
    return AuditChainHead.objects.select_for_update().get(pk=1)


def _unsealed(label: str, model, after: int | None, limit: int) -> list[dict]:
    pk = model._meta.pk.attname
    sealed = AuditSeal.objects.filter(model=label, history_id=OuterRef(pk))
    query = model.objects.all() if after is None else model.objects.filter(**{f"{pk}__gt": after})
    return list(
        query.filter(~Exists(sealed))
        .order_by(pk)
        .values(*[field.attname for field in model._meta.concrete_fields])[:limit]
    )


@dataclass
class SealResult:
    sealed: int = 0
    first_sequence: int | None = None
    last_sequence: int | None = None
    checkpoint: AuditCheckpoint | None = None


def seal_pending(
    *,
    now: datetime | None = None,
    batch_size: int = BATCH_SIZE,
    lookback: int | None = None,
    progress=None,
) -> SealResult:
    """Seal every unsealed history row, table by table in id order, then sign a checkpoint
    over what this run sealed. `lookback` ids below the highest sealed id are re-checked
    for rows committed late (None: the setting; negative: every id, a full sweep).

    A long run (a backlog, a full sweep) also signs at least every SIGN_EVERY seconds,
    inside the batch's transaction, and stamps each batch with the time it was sealed: no
    committed seal stays unsigned long enough to look like removed checkpoints."""
    fixed_now = now
    last_signed = time.monotonic()
    lookback = settings.HARBORMASTER_AUDIT_SEAL_LOOKBACK if lookback is None else lookback
    result = SealResult()
    for label, model in sealable_models().items():
        highest = AuditSeal.objects.filter(model=label).aggregate(top=Max("history_id"))["top"]
        # None: no lower bound (a full sweep, lookback < 0).
        cursor = max(0, (highest or 0) - lookback) if lookback >= 0 else None
        while True:
            with transaction.atomic():
                head = _lock_head()
                rows = _unsealed(label, model, cursor, batch_size)
                if not rows:
                    break
                pk = model._meta.pk.attname
                seals = []
                sealed_at = fixed_now or timezone.now()
                sequence, previous = head.last_sequence, head.last_hash
                for row in rows:
                    sequence += 1
                    digest = chain.row_digest(row)
                    link = chain.link_hash(
                        sequence=sequence,
                        model=label,
                        history_id=row[pk],
                        digest=digest,
                        previous=previous,
                    )
                    seals.append(
                        AuditSeal(
                            sequence=sequence,
                            model=label,
                            history_id=row[pk],
                            row_digest=digest,
                            previous_hash=previous,
                            hash=link,
                            sealed_at=sealed_at,
                        )
                    )
                    previous = link
                AuditSeal.objects.bulk_create(seals, batch_size=1000)
                if result.first_sequence is None:
                    result.first_sequence = seals[0].sequence
                result.last_sequence = sequence
                result.sealed += len(seals)
                head.last_sequence, head.last_hash = sequence, previous
                head.save(update_fields=["last_sequence", "last_hash"])
                if time.monotonic() - last_signed >= SIGN_EVERY:
                    result.checkpoint = checkpoint_create(now=sealed_at)
                    last_signed = time.monotonic()
                cursor = rows[-1][pk]
            if progress is not None:
                progress(len(rows))
            if len(rows) < batch_size:
                break
    result.checkpoint = checkpoint_create(now=fixed_now) or result.checkpoint
    return result


@transaction.atomic
def checkpoint_create(*, now: datetime | None = None) -> AuditCheckpoint | None:
    """Sign what was sealed since the last checkpoint (nothing new: no checkpoint)."""
    now = now or timezone.now()
    head = _lock_head()
    last = AuditCheckpoint.objects.order_by("-last_sequence").first()
    first_sequence = (last.last_sequence if last else 0) + 1
    if head.last_sequence < first_sequence:
        return None
    tail = AuditSeal.objects.get(sequence=head.last_sequence)
    count = head.last_sequence - first_sequence + 1
    message = chain.checkpoint_message(
        first_sequence=first_sequence,
        last_sequence=head.last_sequence,
        last_hash=tail.hash,
        count=count,
        previous=last.signature if last else "",
    )
    return AuditCheckpoint.objects.create(
        first_sequence=first_sequence,
        last_sequence=head.last_sequence,
        last_hash=tail.hash,
        count=count,
        previous=last,
        created_at=now,
        key_id=key_id(),
        signature=chain.sign(hmac_key(), message),
    )

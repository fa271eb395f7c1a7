"""Verifying the audit hash chain: every seal, every signed checkpoint, and that what earlier
verifications proved is still there. Beat's check opens a P1 incident on tampering."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Max, OuterRef, Q, Subquery
from django.utils import timezone

from incidents.choices import DetectionSource, IncidentType, Severity
from incidents.services import incident_create

from . import chain
from .models import AuditChainHead, AuditCheckpoint, AuditSeal, AuditVerification
from .sealing import hmac_key
from .tables import sealable_models

logger = logging.getLogger(__name__)

VERIFY_CHUNK = 2000


@dataclass
class Verification:
    ok: bool
    checked: int
    first_sequence: int
    last_sequence: int
    first_bad_sequence: int | None = None
    message: str = ""
    # The last checkpoint this run walked through: (sequence, hash), to keep outside the DB.
    signed_head: tuple[int, str] | None = None


class _Bad(Exception):
    def __init__(self, sequence: int, message: str):
        super().__init__(message)
        self.sequence = sequence
        self.message = message


def _checkpoint_chain(key: bytes) -> list[AuditCheckpoint]:
    """The checkpoints in order, each signature and link checked."""
    checkpoints = list(AuditCheckpoint.objects.order_by("last_sequence"))
    previous = None
    for checkpoint in checkpoints:
        expected_first = (previous.last_sequence if previous else 0) + 1
        message = chain.checkpoint_message(
            first_sequence=checkpoint.first_sequence,
            last_sequence=checkpoint.last_sequence,
            last_hash=checkpoint.last_hash,
            count=checkpoint.count,
            previous=previous.signature if previous else "",
        )
        if (
            checkpoint.first_sequence != expected_first
            or checkpoint.previous_id != (previous.pk if previous else None)
            or checkpoint.count != checkpoint.last_sequence - checkpoint.first_sequence + 1
            or not chain.signature_valid(key, message, checkpoint.signature)
        ):
            raise _Bad(
                checkpoint.first_sequence,
                f"checkpoint {checkpoint.first_sequence}–{checkpoint.last_sequence} has a bad "
                "signature or does not follow the previous checkpoint",
            )
        previous = checkpoint
    return checkpoints


def _history_rows(batch: list[AuditSeal]) -> dict[tuple[str, int], dict]:
    models = sealable_models()
    wanted: dict[str, list[int]] = {}
    for seal in batch:
        wanted.setdefault(seal.model, []).append(seal.history_id)
    rows = {}
    for label, ids in wanted.items():
        model = models.get(label)
        if model is None:
            continue
        pk = model._meta.pk.attname
        columns = [field.attname for field in model._meta.concrete_fields]
        for row in model.objects.filter(**{f"{pk}__in": ids}).values(*columns):
            rows[(label, row[pk])] = row
    return rows


def verify_chain(
    *,
    from_sequence: int = 1,
    to_sequence: int | None = None,
    progress=None,
    now: datetime | None = None,
    expect: tuple[int, str] | None = None,
) -> Verification:
    """Walk seals from `from_sequence` (to `to_sequence`, default: the chain head) and every
    checkpoint: the first sequence number that does not check out is reported.

    Beyond the walk, the chain must still cover what was proven before: earlier good
    verifications' hashes and `expect` (a sequence and hash kept outside the database) must
    still be there and signed, a full walk must reach the chain head, and no seal may stay
    unsigned longer than the grace period -- otherwise deleting every checkpoint and
    recomputing the hashes would pass. Everything the walk is compared with is read before
    it starts, in that order, so sealers and verifiers running meanwhile (which only ever
    append) cannot make a sound chain look cut."""
    now = now or timezone.now()
    key = hmac_key()
    checked = 0
    expected = from_sequence
    try:
        proven = _proven_so_far()
        checkpoints = _checkpoint_chain(key)
        head = AuditChainHead.objects.filter(pk=1).values_list("last_sequence", "last_hash")
        head_sequence, head_hash = head.first() or (0, chain.GENESIS)
        signed_hash = {cp.last_sequence: cp.last_hash for cp in checkpoints}
        if from_sequence == 1:
            previous = chain.GENESIS
        else:
            anchor = next((cp for cp in checkpoints if cp.last_sequence == from_sequence - 1), None)
            if anchor is None:
                raise _Bad(from_sequence, f"no checkpoint ends at {from_sequence - 1}")
            previous = anchor.last_hash
        # The head's hash as the walk finds it (the head may be where this walk starts).
        hash_at_head = previous if from_sequence - 1 == head_sequence else None
        seals = AuditSeal.objects.filter(sequence__gte=from_sequence).order_by("sequence")
        if to_sequence is not None:
            seals = seals.filter(sequence__lte=to_sequence)
        batch: list[AuditSeal] = []

        def check(batch):
            nonlocal expected, previous, checked, hash_at_head
            rows = _history_rows(batch)
            for seal in batch:
                if seal.sequence != expected:
                    raise _Bad(expected, f"sequence {expected} is missing or out of order")
                if seal.previous_hash != previous:
                    raise _Bad(seal.sequence, "previous hash does not match the chain")
                link = chain.link_hash(
                    sequence=seal.sequence,
                    model=seal.model,
                    history_id=seal.history_id,
                    digest=seal.row_digest,
                    previous=seal.previous_hash,
                )
                if link != seal.hash:
                    raise _Bad(seal.sequence, "seal hash does not match its contents")
                row = rows.get((seal.model, seal.history_id))
                if row is None:
                    raise _Bad(
                        seal.sequence, f"history row {seal.model}:{seal.history_id} is missing"
                    )
                if chain.row_digest(row) != seal.row_digest:
                    raise _Bad(
                        seal.sequence,
                        f"history row {seal.model}:{seal.history_id} was changed after sealing",
                    )
                if seal.sequence in signed_hash and signed_hash[seal.sequence] != seal.hash:
                    raise _Bad(seal.sequence, "hash differs from the signed checkpoint")
                if seal.sequence == head_sequence:
                    hash_at_head = seal.hash
                previous = seal.hash
                expected += 1
                checked += 1
            if progress is not None:
                progress(len(batch))

        for seal in seals.iterator(chunk_size=VERIFY_CHUNK):
            batch.append(seal)
            if len(batch) >= VERIFY_CHUNK:
                check(batch)
                batch = []
        if batch:
            check(batch)
        signed_end = checkpoints[-1].last_sequence if checkpoints else 0
        end = to_sequence if to_sequence is not None else signed_end
        if expected <= min(end, signed_end):
            raise _Bad(expected, f"the chain ends at {expected - 1}; checkpoints cover {end}")
        if to_sequence is None and head_sequence > 0:
            if expected - 1 < head_sequence:
                raise _Bad(
                    expected,
                    f"the chain ends at {expected - 1}; the chain head says {head_sequence}",
                )
            if hash_at_head != head_hash:
                raise _Bad(head_sequence, "the chain head's hash does not match that seal")
        _check_coverage(
            signed_end, proven=proven, now=now, expect=expect, sealed_before=head_sequence
        )
    except _Bad as bad:
        return Verification(False, checked, from_sequence, expected - 1, bad.sequence, bad.message)
    walked_to = expected - 1
    signed = [cp for cp in checkpoints if cp.last_sequence <= walked_to]
    head = (signed[-1].last_sequence, signed[-1].last_hash) if signed else None
    return Verification(True, checked, from_sequence, walked_to, signed_head=head)


@dataclass(frozen=True)
class _Proven:
    top: int  # the furthest sequence an earlier good run proved
    last_pk: int  # runs recorded after this read are not compared


def _proven_so_far() -> _Proven:
    runs = AuditVerification.objects.filter(ok=True, last_sequence__gt=0).exclude(last_hash="")
    found = runs.aggregate(top=Max("last_sequence"), last_pk=Max("pk"))
    return _Proven(found["top"] or 0, found["last_pk"] or 0)


def _check_coverage(
    signed_end: int,
    *,
    proven: _Proven,
    now: datetime,
    expect: tuple[int, str] | None,
    sealed_before: int,
) -> None:
    """What was proven before must still be signed, with the same hashes. Seals made after
    the checkpoints were read (past `sealed_before`) may be signed by a newer checkpoint."""
    if proven.top > signed_end:
        raise _Bad(
            signed_end + 1,
            f"an earlier verification proved the chain to {proven.top} but checkpoints now "
            f"end at {signed_end}: checkpoints were removed",
        )
    # Every earlier good run, in one statement: its recorded hash must still be there.
    hash_now = AuditSeal.objects.filter(sequence=OuterRef("last_sequence")).values("hash")[:1]
    rewritten = (
        AuditVerification.objects.filter(ok=True, last_sequence__gt=0, pk__lte=proven.last_pk)
        .exclude(last_hash="")
        .annotate(hash_now=Subquery(hash_now))
        .filter(Q(hash_now__isnull=True) | ~Q(hash_now=F("last_hash")))
        .order_by("last_sequence")
        .values_list("last_sequence", flat=True)
        .first()
    )
    if rewritten is not None:
        raise _Bad(
            rewritten,
            f"hash at {rewritten} differs from an earlier verification: the chain was rewritten",
        )
    if expect is not None:
        sequence, digest = expect
        if sequence > signed_end:
            raise _Bad(
                signed_end + 1,
                f"the expected head is at {sequence} but checkpoints now end at {signed_end}: "
                "checkpoints were removed or the tail was cut",
            )
        actual = AuditSeal.objects.filter(sequence=sequence).values_list("hash", flat=True)
        if list(actual) != [digest]:
            raise _Bad(
                sequence,
                f"hash at {sequence} differs from the expected hash: the chain was rewritten",
            )
    grace = timedelta(minutes=settings.HARBORMASTER_AUDIT_UNSIGNED_GRACE_MINUTES)
    stale = (
        AuditSeal.objects.filter(
            sequence__gt=signed_end, sequence__lte=sealed_before, sealed_at__lt=now - grace
        )
        .order_by("sequence")
        .values_list("sequence", flat=True)
        .first()
    )
    if stale is not None:
        raise _Bad(
            stale,
            f"sequence {stale} was sealed more than {grace} ago and no signed checkpoint "
            "covers it (checkpoints removed, or sealing stopped before signing)",
        )


def verify_new_segments(*, now: datetime | None = None, full: bool = False) -> AuditVerification:
    """Beat's check: verify everything after the last successful verification (`full`: the
    whole chain again, so an edit to an already-verified segment is caught too); on failure
    open a P1 incident (once per first bad sequence)."""
    now = now or timezone.now()
    last_ok = AuditVerification.objects.filter(ok=True).order_by("-last_sequence").first()
    start = (last_ok.last_sequence + 1) if last_ok and last_ok.last_sequence and not full else 1
    if start > 1 and not AuditCheckpoint.objects.filter(last_sequence=start - 1).exists():
        start = 1  # the last verified end is not a checkpoint: verify from the start
    # Verify whole signed segments: up to the latest checkpoint.
    latest = AuditCheckpoint.objects.order_by("-last_sequence").first()
    end = latest.last_sequence if latest else 0
    result = verify_chain(from_sequence=start, to_sequence=max(end, start - 1), now=now)
    last_sequence = max(result.last_sequence, 0)
    run = AuditVerification(
        started_at=now,
        first_sequence=result.first_sequence,
        last_sequence=last_sequence,
        last_hash=(
            AuditSeal.objects.filter(sequence=last_sequence).values_list("hash", flat=True).first()
            or ""
        )
        if result.ok
        else "",
        checked=result.checked,
        ok=result.ok,
        first_bad_sequence=result.first_bad_sequence,
        message=result.message,
    )
    if not result.ok:
        run.incident = _open_tamper_incident(result, now=now)
    run.save()
    return run


def _open_tamper_incident(result: Verification, *, now: datetime):
    earlier = (
        AuditVerification.objects.filter(
            ok=False, first_bad_sequence=result.first_bad_sequence, incident__isnull=False
        )
        .select_related("incident")
        .first()
    )
    if earlier is not None:
        return earlier.incident
    logger.error("Audit chain verification failed: %s", result.message)
    return incident_create(
        title=f"Audit trail tampering detected at sequence {result.first_bad_sequence}",
        severity=Severity.P1,
        type=IncidentType.UNAUTHORIZED_ACCESS,
        detection_source=DetectionSource.SECURITY_EVENT,
        summary=(
            f"verify_audit failed: {result.message}. First bad sequence number: "
            f"{result.first_bad_sequence}. Preserve the database and investigate who had "
            "write access."
        ),
        reason="Audit chain verification failed",
        now=now,
    )

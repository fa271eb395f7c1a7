"""Pure hashing of the audit chain: canonical rows, links and signed checkpoints."""

from __future__ import annotations

import hashlib
import hmac
import json

from .tables import plain

GENESIS = "0" * 64


def canonical_row(row: dict) -> bytes:
    """Sorted keys, no whitespace, UTC timestamps at microsecond precision."""
    return json.dumps(
        {key: plain(value) for key, value in row.items()},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    ).encode()


def row_digest(row: dict) -> str:
    return hashlib.sha256(canonical_row(row)).hexdigest()


def link_hash(*, sequence: int, model: str, history_id: int, digest: str, previous: str) -> str:
    material = f"{sequence}\n{model}\n{history_id}\n{digest}\n{previous}".encode()
    return hashlib.sha256(material).hexdigest()


def checkpoint_message(
    *, first_sequence: int, last_sequence: int, last_hash: str, count: int, previous: str
) -> bytes:
    return json.dumps(
        {
            "first_sequence": first_sequence,
            "last_sequence": last_sequence,
            "last_hash": last_hash,
            "count": count,
            "previous_signature": previous,
        },
        sort_keys=True,
        separators=(",", ":"),
    ).encode()


def sign(key: bytes, message: bytes) -> str:
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def signature_valid(key: bytes, message: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(key, message), signature)

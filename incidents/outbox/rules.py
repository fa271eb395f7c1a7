"""Pure outbox rules: retry timing and signatures."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

SIGNATURE_HEADER = "X-Harbormaster-Signature"
TIMESTAMP_HEADER = "X-Harbormaster-Timestamp"


def backoff(attempts: int, *, base_seconds: int, cap_seconds: int) -> timedelta:
    """Exponential backoff after the `attempts`-th failure: base, 2×base, 4×base … capped."""
    exponent = max(attempts - 1, 0)
    return timedelta(seconds=min(base_seconds * (2**exponent), cap_seconds))


def after_failure(
    *, attempts: int, max_attempts: int, now: datetime, base_seconds: int, cap_seconds: int
) -> datetime | None:
    """When to try again, or None when the delivery has used its attempts."""
    if attempts >= max_attempts:
        return None
    return now + backoff(attempts, base_seconds=base_seconds, cap_seconds=cap_seconds)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>", hex, prefixed "sha256=" (see docs)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, timestamp, body), signature)

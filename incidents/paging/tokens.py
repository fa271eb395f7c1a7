"""The acknowledge link's token: which incident, which paged person, signed and dated.

Pure: no ORM, no request. `django.core.signing` with its own salt, so a token signed for
anything else in Harbormaster never verifies here; the signature covers the time of
signing, and `ack_token_read` refuses a token older than `max_age`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core import signing

SALT = "harbormaster.paging.acknowledge"
MAX_AGE = timedelta(hours=24)


class AckTokenInvalid(Exception):
    """Not a token we signed (tampered with, truncated, signed for something else)."""


class AckTokenExpired(AckTokenInvalid):
    """A genuine token, older than the maximum age."""


@dataclass(frozen=True)
class AckToken:
    incident_id: int
    user_id: int


def ack_token_make(*, incident_id: int, user_id: int) -> str:
    """A URL-safe token for `user_id` to acknowledge `incident_id`."""
    return signing.dumps({"i": int(incident_id), "u": int(user_id)}, salt=SALT)


def ack_token_read(token: str, *, max_age: timedelta = MAX_AGE) -> AckToken:
    """The incident and person a token names; AckTokenExpired / AckTokenInvalid otherwise."""
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise AckTokenExpired("This acknowledge link has expired.") from None
    except signing.BadSignature:
        raise AckTokenInvalid("This acknowledge link is not valid.") from None
    try:
        return AckToken(incident_id=int(data["i"]), user_id=int(data["u"]))
    except (KeyError, TypeError, ValueError):
        raise AckTokenInvalid("This acknowledge link is not valid.") from None

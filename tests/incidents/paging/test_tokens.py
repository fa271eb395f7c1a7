"""The acknowledge link's token (pure): signed, dated, salted, refused when changed or old."""

from datetime import timedelta

import pytest
import time_machine
from django.core import signing

from incidents.paging.tokens import (
    MAX_AGE,
    AckToken,
    AckTokenExpired,
    AckTokenInvalid,
    ack_token_make,
    ack_token_read,
)


def test_a_token_names_the_incident_and_the_paged_person():
    token = ack_token_make(incident_id=7, user_id=42)
    assert ack_token_read(token) == AckToken(incident_id=7, user_id=42)


def test_the_token_is_url_safe():
    token = ack_token_make(incident_id=123456, user_id=987654)
    assert all(c.isalnum() or c in "-_:" for c in token), token


def test_a_token_expires_after_a_day():
    assert timedelta(hours=24) == MAX_AGE
    with time_machine.travel("2026-11-27 13:45:00+00:00", tick=False) as traveller:
        token = ack_token_make(incident_id=7, user_id=42)
        traveller.shift(timedelta(hours=23, minutes=59))
        assert ack_token_read(token).user_id == 42
        traveller.shift(timedelta(minutes=2))
        with pytest.raises(AckTokenExpired):
            ack_token_read(token)


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # signature changed
        lambda t: t.replace(t.split(":")[0], signing.b64_encode(b'{"i":8,"u":42}').decode()),
        lambda t: t[: len(t) // 2],  # truncated
        lambda t: "not-a-token",
        lambda t: "",
    ],
)
def test_a_changed_token_is_refused(change):
    token = ack_token_make(incident_id=7, user_id=42)
    with pytest.raises(AckTokenInvalid) as caught:
        ack_token_read(change(token))
    assert not isinstance(caught.value, AckTokenExpired)


def test_a_value_signed_for_something_else_is_refused():
    other = signing.dumps({"i": 7, "u": 42})  # the default salt, not the paging one
    with pytest.raises(AckTokenInvalid):
        ack_token_read(other)

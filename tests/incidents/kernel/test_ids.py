"""Id text from callers: ASCII digits that fit a bigint, nothing int() would misread."""

import pytest

from incidents.kernel.ids import is_id_text


@pytest.mark.parametrize(
    ("raw", "ok"),
    [("1", True), ("0042", True), ("9" * 18, True), ("9" * 19, False), ("²", False),
     ("١٢", False), ("-1", False), ("1.0", False), ("", False), (" 1", False)],
)  # fmt: skip
def test_is_id_text(raw, ok):
    assert is_id_text(raw) is ok

"""JSON with a nesting limit: a body nested a thousand levels deep makes Python's decoder
(and anything that walks the result) raise RecursionError, so the depth is counted on the
text first, before decoding, and such a body is refused with a message naming the limit."""

from __future__ import annotations

import json
import re
from typing import Any

# Arrays and objects inside each other; no monitoring payload or API body comes near it.
MAX_JSON_DEPTH = 64

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


class JsonTooDeep(ValueError):
    def __init__(self, limit: int = MAX_JSON_DEPTH):
        super().__init__(f"nested deeper than {limit} levels (arrays and objects)")
        self.limit = limit


def json_depth_exceeds(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether arrays/objects in the JSON `text` nest deeper than `limit` (brackets inside
    strings do not count). Linear in the text; stops at the first level over the limit."""
    depth = 0
    for bracket in _BRACKET.finditer(_STRING.sub("", text)):
        if bracket.group() in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def loads_limited(text: str, limit: int = MAX_JSON_DEPTH, **kwargs: Any) -> Any:
    """json.loads, refusing text nested deeper than `limit` with JsonTooDeep (a ValueError)."""
    if json_depth_exceeds(text, limit):
        raise JsonTooDeep(limit)
    return json.loads(text, **kwargs)

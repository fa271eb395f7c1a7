"""JSON in, with errors that say what is wrong."""

import json

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, get_encoding
from rest_framework.utils import json as drf_json

from ..kernel.json_depth import loads_limited


class StrictJSONParser(JSONParser):
    """DRF's JSON parser (NaN/Infinity refused, the parse error in the message), plus:
    nesting deeper than the limit (kernel.json_depth, 64) is a 400 naming the limit instead
    of a RecursionError; text must be valid Unicode (a lone surrogate escape such as
    "\\ud800" cannot be stored), and an empty body is a clear 400 rather than a confusing
    field error."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = get_encoding(parser_context or {})  # text charsets only
        parse_constant = drf_json.strict_constant if self.strict else None
        try:
            text = stream.read().decode(encoding)
            data = loads_limited(text, parse_constant=parse_constant)
        except ValueError as error:  # JSONDecodeError, UnicodeDecodeError, JsonTooDeep
            raise ParseError(f"JSON parse error - {error}") from None
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as error:
            raise ParseError(
                f"JSON parse error - invalid Unicode in a string ({error.reason})."
            ) from None
        return data

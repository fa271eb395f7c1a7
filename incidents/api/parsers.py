"""JSON in, with errors that say what is wrong."""

import json

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class StrictJSONParser(JSONParser):
    """DRF's JSON parser (NaN/Infinity refused, the parse error in the message), plus:
    text must be valid Unicode (a lone surrogate escape such as "\\ud800" cannot be
    stored), and an empty body is a clear 400 rather than a confusing field error."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as error:
            raise ParseError(
                f"JSON parse error - invalid Unicode in a string ({error.reason})."
            ) from None
        return data

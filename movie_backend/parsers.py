"""
The API's one request parser: DRF's JSONParser plus two limits Python's json module does not have.

- Nesting deeper than MAX_JSON_DEPTH is refused before decoding (the decoder recurses, and ~1000
  levels, a 2 KB body, would end in a RecursionError), without recursing ourselves.
- Strings (values or keys) holding an unpaired UTF-16 surrogate (`"\\ud800"`) are refused: they are
  valid JSON escapes but no valid text, and break anything that encodes them later (hashing, the
  database driver, the logs).
Both are 400s in the one error shape (`nesting_too_deep`, `invalid_unicode`). Oversized bodies never
get here: Django refuses them first (413 `request_too_large`, see movie_backend.exceptions).
"""

import re
import sys

from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

MAX_JSON_DEPTH = 400
MAX_NUMBER_DIGITS = sys.get_int_max_str_digits()  # Python refuses longer integers (4300 by default)
# Codes of the parser's own 400s, besides DRF's `parse_error` (not valid JSON at all).
NESTING_TOO_DEEP = "nesting_too_deep"
INVALID_UNICODE = "invalid_unicode"

# A JSON string literal (the unrolled-loop form: no backtracking blow-up, no recursion).
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")
# A \uD800-\uDFFF escape: the only way a surrogate gets into decoded JSON (raw ones are not UTF-8).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def json_depth_exceeds(text: str, limit: int) -> bool:
    """True when arrays/objects in `text` nest deeper than `limit` (brackets inside strings do not count)."""
    if text.count("[") + text.count("{") <= limit:
        return False  # the usual body: too few brackets to nest that deep, no scan needed
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub('""', text)):
        if match.group() in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def has_lone_surrogate(data) -> bool:
    """True when any string in decoded JSON (keys included) holds a surrogate code point; iterative."""
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            text = stream.read().decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        if json_depth_exceeds(text, MAX_JSON_DEPTH):
            raise ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels.", NESTING_TOO_DEEP)
        try:  # what DRF's JSONParser does, on the text already read
            data = json.loads(text, parse_constant=json.strict_constant if self.strict else None)
        except ValueError as exc:
            if "integer string conversion" in str(exc):  # Python's own advice is no use to a client
                raise ParseError(f"JSON parse error - a number longer than {MAX_NUMBER_DIGITS} digits.") from None
            raise ParseError(f"JSON parse error - {exc}") from None
        if _SURROGATE_ESCAPE.search(text) and has_lone_surrogate(data):
            raise ParseError("JSON string holds an unpaired surrogate (U+D800 to U+DFFF).", INVALID_UNICODE)
        return data

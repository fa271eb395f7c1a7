"""Values written into CSV and XLSX files people open in a spreadsheet.

Titles and rationales are free text from people and alerting integrations. A spreadsheet
runs a cell that starts with =, +, -, @ (or a tab/CR before one) as a formula, so such
text is written with a leading apostrophe, the usual neutraliser (OWASP "CSV injection").
Only text is touched: numbers and times keep their type. The audit-trail export is the
exception on purpose: it must equal the history tables byte for byte (docs/audit.md).
"""

import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# What XLSX (XML 1.0) cannot hold: control characters other than tab, newline and CR.
XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def spreadsheet_text(value):
    """`value`, with text that a spreadsheet would run as a formula made inert."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def xlsx_text(value):
    """As spreadsheet_text, and without the control characters XLSX refuses."""
    if isinstance(value, str):
        value = XLSX_ILLEGAL.sub("", value)
    return spreadsheet_text(value)

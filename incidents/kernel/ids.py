"""Database ids given by callers as text (query strings, command options)."""

# A bigint holds 18 decimal digits safely; more is never an id of ours.
MAX_ID_DIGITS = 18


def is_id_text(raw: str) -> bool:
    """Whole-number id text. isascii: str.isdigit() also accepts "²" and other digits that
    int() refuses or misreads."""
    return raw.isascii() and raw.isdigit() and len(raw) <= MAX_ID_DIGITS

"""Streamed downloads (CSV, JSON Lines, JSON) that keep memory flat however many rows.

Every export builds its rows as a generator; these turn them into text lines and an
attachment response without buffering the file."""

import csv
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse


class _LineEcho:
    """A file-like for csv.writer that hands back each line instead of buffering it."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Iterable]) -> Iterator[str]:
    """Each row (header included, if the caller yields one) as one CSV line."""
    writer = csv.writer(_LineEcho())
    for row in rows:
        yield writer.writerow(row)


def streamed_attachment(
    chunks: Iterable[str], *, content_type: str, filename: str, no_store: bool = False
) -> StreamingHttpResponse:
    """An attachment response that encodes and sends `chunks` as they are produced.
    `no_store`: tell caches and browsers not to keep it (exports of audit data)."""
    response = StreamingHttpResponse(
        (chunk.encode() for chunk in chunks), content_type=content_type
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    if no_store:
        response["Cache-Control"] = "no-store"
    return response

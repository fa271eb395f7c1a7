"""incidents.kernel.streaming: CSV lines and streamed attachments."""

import csv
import io

from incidents.kernel.streaming import csv_lines, streamed_attachment


def test_csv_lines_yield_one_quoted_line_per_row_lazily():
    produced = []

    def rows():
        for row in (["id", "title"], [1, 'says "hi", twice'], [2, "two\nlines"]):
            produced.append(row)
            yield row

    lines = csv_lines(rows())
    assert produced == [], "nothing is read before the first line is asked for"
    first = next(lines)
    assert first == "id,title\r\n" and len(produced) == 1
    rest = list(lines)
    parsed = list(csv.reader(io.StringIO(first + "".join(rest))))
    assert parsed == [["id", "title"], ["1", 'says "hi", twice'], ["2", "two\nlines"]]


def test_streamed_attachment_encodes_chunks_and_names_the_file():
    response = streamed_attachment(
        iter(["a,b\r\n", "é,ü\r\n"]), content_type="text/csv", filename="x.csv", no_store=True
    )
    assert response.streaming
    assert b"".join(response.streaming_content) == "a,b\r\né,ü\r\n".encode()
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    assert response["Cache-Control"] == "no-store"
    assert "Cache-Control" not in streamed_attachment([], content_type="t", filename="y")

"""CSV exports: one escaper for every cell, and a streamed response.

A spreadsheet treats a cell starting with =, +, -, @, tab, CR or LF as a formula (OWASP's
"CSV injection"); such cells get a leading apostrophe, which spreadsheets show as text.
Text that starts with an apostrophe gets one more, so the export stays reversible (drop one
leading apostrophe to get the value back) and a spreadsheet still shows the one typed.
"""

import csv
from collections.abc import Iterable

from django.http import StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value) -> str:
    """The cell as text, neutralised if a spreadsheet would read it as a formula.

    Numbers are written as they are (a negative amount stays a number); only text is escaped.
    """
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith((*FORMULA_STARTS, "'")) else text


class _Echo:
    """A file-like object whose write returns the line, so csv.writer can feed a stream."""

    def write(self, value):
        return value


def csv_rows(header: Iterable, rows: Iterable[Iterable]) -> Iterable[str]:
    """The header and rows as CSV lines, every cell through safe_cell."""
    writer = csv.writer(_Echo())
    yield writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        yield writer.writerow([safe_cell(cell) for cell in row])


def in_chunks(lines: Iterable[str], size: int = 64 * 1024) -> Iterable[str]:
    """The lines joined into pieces of about `size` characters: one write per line would
    make a long export spend its time in the server's per-chunk overhead."""
    piece, length = [], 0
    for line in lines:
        piece.append(line)
        length += len(line)
        if length >= size:
            yield "".join(piece)
            piece, length = [], 0
    if piece:
        yield "".join(piece)


def csv_response(*, filename: str, header: Iterable, rows: Iterable[Iterable]) -> StreamingHttpResponse:
    """Stream the rows as a CSV download named `filename`.csv (rows may be a lazy iterator)."""
    response = StreamingHttpResponse(in_chunks(csv_rows(header, rows)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response

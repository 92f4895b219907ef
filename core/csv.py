"""CSV exports: one escaper for every cell, and a streamed response.

A spreadsheet treats a cell starting with =, +, -, @, tab, CR or LF as a formula (OWASP's
"CSV injection"); such cells get a leading apostrophe, which spreadsheets show as text.
Text that starts with an apostrophe gets one more, so the export stays reversible (drop one
leading apostrophe to get the value back) and a spreadsheet still shows the one typed.

The escaper exists twice, with one list of first characters: `safe_cell` for rows built in
Python, `safe_text` for a column PostgreSQL writes itself (`copy_csv_response`: a large
table streamed by `COPY (SELECT ...) TO STDOUT`, about ten times faster than building each
row in Python).
"""

import csv
from collections.abc import Iterable, Iterator

from django.db import connection
from django.db.models import Case, TextField, Value, When
from django.db.models.functions import Cast, Coalesce, Concat, Left
from django.db.models.lookups import In
from django.http import StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
# A chunk of the response: COPY hands over one row at a time, a write each would be slow.
CHUNK_BYTES = 64 * 1024


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


def safe_text(expression):
    """`safe_cell` in SQL: the text `expression` (NULL as empty), with an apostrophe put
    before it when it starts with a formula character or an apostrophe."""
    text = Coalesce(Cast(expression, TextField()), Value(""), output_field=TextField())
    return Case(
        When(In(Left(text, 1), [*FORMULA_STARTS, "'"]), then=Concat(Value("'"), text, output_field=TextField())),
        default=text,
        output_field=TextField(),
    )


def _copy_chunks(queryset) -> Iterator[bytes]:
    """The queryset's rows as CSV, written by PostgreSQL (`COPY (query) TO STDOUT`), in
    pieces of about CHUNK_BYTES; only one piece is held at a time."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
        piece, length = [], 0
        for row in copy:
            piece.append(bytes(row))
            length += len(row)
            if length >= CHUNK_BYTES:
                yield b"".join(piece)
                piece, length = [], 0
        if piece:
            yield b"".join(piece)


def copy_csv_response(*, filename: str, header: Iterable, queryset) -> StreamingHttpResponse:
    """Stream `queryset` (a values_list whose text columns went through `safe_text`) as a CSV
    download, the header first. Lines end with LF, as COPY writes them."""

    def chunks():
        yield csv_line(header).encode()
        yield from _copy_chunks(queryset)

    response = StreamingHttpResponse(chunks(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def csv_line(cells: Iterable) -> str:
    """One CSV line (LF-terminated), every cell through safe_cell."""
    return csv.writer(_Echo(), lineterminator="\n").writerow([safe_cell(cell) for cell in cells])


def csv_response(*, filename: str, header: Iterable, rows: Iterable[Iterable]) -> StreamingHttpResponse:
    """Stream the rows as a CSV download named `filename`.csv (rows may be a lazy iterator)."""
    response = StreamingHttpResponse(in_chunks(csv_rows(header, rows)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response

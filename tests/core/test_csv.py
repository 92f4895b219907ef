import csv
import io

import pytest

from core.csv import csv_response, csv_rows, safe_cell


@pytest.mark.smoke
@pytest.mark.parametrize("dangerous", ["=1+1", "+41 555", "-2", "@SUM(A1)", "\tx", "\rx", "\nx", "=HYPERLINK(\"http://evil\")"])
def test_text_that_a_spreadsheet_would_run_is_neutralised(dangerous):
    assert safe_cell(dangerous) == "'" + dangerous


@pytest.mark.parametrize("harmless", ["Pat", "12.50", "a=b", "", "x-y"])
def test_ordinary_text_is_unchanged(harmless):
    assert safe_cell(harmless) == harmless


def test_text_starting_with_an_apostrophe_gets_one_more_so_every_export_reverses():
    # Without it "'=x" (typed) and "=x" (neutralised) would export alike, and Excel would hide the typed apostrophe.
    assert safe_cell("'=x") == "''=x"
    assert safe_cell("'Ohana") == "''Ohana"


def test_numbers_stay_numbers_even_when_negative():
    assert safe_cell(-250) == "-250"
    assert safe_cell(3.5) == "3.5"


def test_none_is_an_empty_cell_and_other_values_are_text():
    assert safe_cell(None) == ""
    assert safe_cell(True) == "True"


def test_rows_are_written_as_csv_with_every_cell_escaped():
    text = "".join(csv_rows(["name", "note"], [["=cmd", "has, comma"], ["Ann", "line\nbreak"]]))
    assert list(csv.reader(io.StringIO(text))) == [["name", "note"], ["'=cmd", "has, comma"], ["Ann", "line\nbreak"]]


def test_the_response_streams_an_attachment():
    response = csv_response(filename="things", header=["a"], rows=iter([["-1"]]))
    assert response["Content-Disposition"] == 'attachment; filename="things.csv"'
    assert response["Content-Type"].startswith("text/csv")
    assert b"".join(response.streaming_content).decode() == "a\r\n'-1\r\n"

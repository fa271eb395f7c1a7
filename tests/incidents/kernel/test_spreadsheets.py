"""Text written into CSV/XLSX cells: formulas made inert, XLSX-illegal characters dropped."""

import pytest

from incidents.kernel.spreadsheets import spreadsheet_text, xlsx_text


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1 555 0100", "'+1 555 0100"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("Checkout down = 502", "Checkout down = 502"),
        ("", ""),
        (-5, -5),  # numbers keep their type (and their sign)
        (None, None),
    ],
)
def test_spreadsheet_text(value, written):
    assert spreadsheet_text(value) == written


def test_xlsx_text_drops_control_characters_but_keeps_tab_and_newlines():
    assert xlsx_text("disk\x1bfull\x00") == "diskfull"
    assert xlsx_text("line 1\nline 2\tend\r") == "line 1\nline 2\tend\r"
    assert xlsx_text("\x07=1") == "'=1"

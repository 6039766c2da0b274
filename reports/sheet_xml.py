"""A worksheet's XML (SpreadsheetML) written straight to a stream, row by row.

openpyxl builds every cell as an element object and serialises it in pure Python (it
is faster only with lxml, which the service does not ship): about a millisecond a
case row, twenty minutes for a million. The cases' sheets are plain values, so they
are written here as text, cells as inline strings and numbers, a few microseconds a
cell; the rest of the workbook is openpyxl's (`reports.workbook`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import IO, Any

from openpyxl.utils import get_column_letter

_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    "<sheetData>"
)
_TAIL = "</sheetData></worksheet>"
_ROWS_PER_WRITE = 500  # each write to a zip entry compresses: fewer, larger ones
# Characters XML 1.0 cannot hold at all (openpyxl refuses them too); a customer's text
# may carry one from a pasted message.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def _text(value: str) -> str:
    return _ILLEGAL.sub("", value).translate(_ESCAPES)


class SheetXml:
    """One worksheet: `row` for each row, then `close`. Times are written as text in
    the bank's local time, as the CSV has them."""

    def __init__(self, out: IO[bytes], columns: int) -> None:
        self._out = out
        self._letters = [get_column_letter(i + 1) for i in range(columns)]
        self._rows = 0
        self._pending: list[str] = [_HEAD]

    def row(self, values: Sequence[Any]) -> None:
        self._rows += 1
        n = self._rows
        cells = []
        for letter, value in zip(self._letters, values, strict=True):
            if value is None or value == "":
                continue
            if isinstance(value, bool):
                value = str(value)
            if isinstance(value, int | float):
                cells.append(f'<c r="{letter}{n}"><v>{value}</v></c>')
                continue
            if isinstance(value, datetime):
                value = value.isoformat(sep=" ")
            cells.append(
                f'<c r="{letter}{n}" t="inlineStr"><is><t xml:space="preserve">'
                f"{_text(str(value))}</t></is></c>"
            )
        self._pending.append(f'<row r="{n}">{"".join(cells)}</row>')
        if len(self._pending) >= _ROWS_PER_WRITE:
            self._flush()

    def _flush(self) -> None:
        self._out.write("".join(self._pending).encode())
        self._pending.clear()

    @property
    def rows(self) -> int:
        return self._rows

    def close(self) -> None:
        self._pending.append(_TAIL)
        self._flush()

"""The XLSX workbook: a sheet of figures, one per breakdown, and every case of the
period, with no cap.

The figures' sheets are openpyxl's (write-only mode). The cases' sheets are streamed
into the XLSX file (a zip) as they come, by `reports.sheet_xml`, so a million cases
take no more memory than one and minutes, not the better part of an hour; openpyxl then
writes the rest of the package — workbook, styles, figure sheets — with a placeholder
for each case sheet, whose part is the one already written. A sheet holds at most
Excel's 1,048,576 rows, so the cases go on in further sheets ("cases 案件 2", ...)
rather than being cut.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from reports.case_rows import COLUMNS
from reports.figure_rows import DIMENSIONS, FIGURES, TARGETS, Figure, dimension_name, row_name
from reports.sheet_xml import SheetXml

EXCEL_ROWS = 1_048_576
CASES_SHEET = "cases 案件"
_PERCENT = "0.0%"


class ReportWorkbook:
    """Figures first (`figures`, `breakdowns`), then `add` the cases one by one, then
    `save`; use it with `with`, which closes the file whatever happened."""

    def __init__(self, path: Path, *, sheet_rows: int = EXCEL_ROWS) -> None:
        self.path = path
        self._book = Workbook(write_only=True)
        self._sheet_rows = sheet_rows
        self._zip = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        self._entry: IO[bytes] | None = None
        self._sheet: SheetXml | None = None
        self._case_parts: list[str] = []

    def figures(self, figures: dict[str, Any]) -> None:
        """The period's figures beside the previous period's and a year earlier's, and
        the four targets."""
        sheet = self._figure_sheet("figures 指标")
        previous = figures["comparisons"]["previous"]
        year_ago = figures["comparisons"]["year_ago"]
        sheet.append(
            [
                "指标 figure",
                figures["period"]["label"],
                f"上期 previous {previous['period']['label']}",
                f"去年同期 year ago {year_ago['period']['label']}",
            ]
        )
        for figure in FIGURES:
            sheet.append(
                [
                    figure.name,
                    *(self._cell(sheet, figure, f) for f in (figures, previous, year_ago)),
                ]
            )
        sheet.append([])
        sheet.append(["目标 target", "目标值 target", "实际 value", "达标 met"])
        for key, zh, en in TARGETS:
            target = figures["targets"][key]
            met = {True: "达标 met", False: "未达标 not met", None: "无数据 nothing counted"}
            sheet.append([f"{zh} {en}", target["target"], target["value"], met[target["met"]]])
        sheet.append([])
        sheet.append(["满意的定义 satisfied means", figures["satisfied"]["definition"]])

    def breakdowns(self, figures: dict[str, Any]) -> None:
        """A sheet per breakdown: a row per key, a column per figure."""
        for dimension, rows in figures["breakdowns"].items():
            title = DIMENSIONS.get(dimension, (dimension, dimension))[1]
            sheet = self._figure_sheet(title[:31])
            sheet.append([dimension_name(dimension), *(f.name for f in FIGURES)])
            for row in rows:
                sheet.append(
                    [
                        row_name(dimension, row),
                        *(self._cell(sheet, f, row) for f in FIGURES),
                    ]
                )

    def add(self, values: list[Any]) -> None:
        """One case, in `reports.case_rows.COLUMNS` order."""
        sheet = self._sheet
        if sheet is None or sheet.rows >= self._sheet_rows:
            sheet = self._next_case_sheet()
        sheet.row(values)

    def save(self) -> None:
        if self._sheet is None:  # no case in the period: the sheet says so by its header
            self._next_case_sheet()
        self._close_case_sheet()
        placeholders = []
        for i in range(len(self._case_parts)):
            sheet = self._book.create_sheet(CASES_SHEET + ("" if i == 0 else f" {i + 1}"))
            sheet.append(COLUMNS)
            placeholders.append(sheet)
        package = io.BytesIO()
        self._book.save(package)
        if [sheet.path.lstrip("/") for sheet in placeholders] != self._case_parts:
            raise RuntimeError("openpyxl named the case sheets' parts other than expected")
        with zipfile.ZipFile(package) as parts:
            for info in parts.infolist():
                if info.filename not in self._case_parts:
                    self._zip.writestr(info, parts.read(info))
        self._zip.close()

    def _figure_sheet(self, title: str) -> WriteOnlyWorksheet:
        if self._case_parts:
            raise RuntimeError("the figures' sheets come before the cases")
        sheet: WriteOnlyWorksheet = self._book.create_sheet(title)
        return sheet

    def _next_case_sheet(self) -> SheetXml:
        self._close_case_sheet()
        # openpyxl numbers the parts in the order of the sheets, from 1; the case
        # sheets come after the figures' ones.
        number = len(self._book.worksheets) + len(self._case_parts) + 1
        part = f"xl/worksheets/sheet{number}.xml"
        self._case_parts.append(part)
        self._entry = self._zip.open(part, "w", force_zip64=True)
        self._sheet = SheetXml(self._entry, len(COLUMNS))
        self._sheet.row(COLUMNS)
        return self._sheet

    def _close_case_sheet(self) -> None:
        if self._sheet is not None and self._entry is not None:
            self._sheet.close()
            self._entry.close()
            self._entry = None

    @staticmethod
    def _cell(sheet: WriteOnlyWorksheet, figure: Figure, figures: dict[str, Any]) -> Any:
        value = figure.of(figures)
        if figure.is_rate and value is not None:
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = _PERCENT
            return cell
        return value

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._entry is not None:
            self._entry.close()
        self._zip.close()

"""The XLSX workbook: a sheet of figures, one per breakdown, and every case of the
period. openpyxl in write-only mode streams each row to disk as it is added, so a
million cases take no more memory than one; a sheet holds at most Excel's 1,048,576
rows, so the cases go on in further sheets ("cases 2", ...) rather than being cut."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from reports.case_rows import COLUMNS
from reports.figure_rows import DIMENSIONS, FIGURES, TARGETS, Figure, dimension_name, key_name

EXCEL_ROWS = 1_048_576
_PERCENT = "0.0%"


class ReportWorkbook:
    """Figures first (`figures`, `breakdowns`), then `add` the cases one by one, then
    `save`."""

    def __init__(self, path: Path, *, sheet_rows: int = EXCEL_ROWS) -> None:
        self.path = path
        self._book = Workbook(write_only=True)
        self._sheet_rows = sheet_rows
        self._cases: WriteOnlyWorksheet | None = None
        self._rows_in_sheet = 0
        self._case_sheets = 0

    def figures(self, figures: dict[str, Any]) -> None:
        """The period's figures beside the previous period's and a year earlier's, and
        the four targets."""
        sheet = self._book.create_sheet("figures 指标")
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
            sheet = self._book.create_sheet(title[:31])
            sheet.append([dimension_name(dimension), *(f.name for f in FIGURES)])
            for row in rows:
                sheet.append(
                    [
                        key_name(dimension, row["key"]),
                        *(self._cell(sheet, f, row) for f in FIGURES),
                    ]
                )

    def add(self, values: list[Any]) -> None:
        """One case, in `reports.case_rows.COLUMNS` order."""
        if self._cases is None or self._rows_in_sheet >= self._sheet_rows:
            self._case_sheets += 1
            suffix = "" if self._case_sheets == 1 else f" {self._case_sheets}"
            self._cases = self._book.create_sheet(f"cases 案件{suffix}")
            self._cases.append(COLUMNS)
            self._rows_in_sheet = 1
        # Times get openpyxl's date-and-time format by themselves.
        self._cases.append(values)
        self._rows_in_sheet += 1

    def save(self) -> None:
        if self._cases is None:  # no case in the period: the sheet says so by its header
            self._cases = self._book.create_sheet("cases 案件")
            self._cases.append(COLUMNS)
        self._book.save(self.path)

    @staticmethod
    def _cell(sheet: WriteOnlyWorksheet, figure: Figure, figures: dict[str, Any]) -> Any:
        value = figure.of(figures)
        if figure.is_rate and value is not None:
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = _PERCENT
            return cell
        return value

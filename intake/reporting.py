"""A period's report, assembled from the database: the figures of `core.analytics` as
one JSON-ready object, with the period's common problems (`core.problems`) found in
the texts, and the files built on them (HTML, XLSX, CSV). `intake report` prints or
writes them; the reports sent in chat build on the same two functions."""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from core.analytics.periods import Period
from core.analytics.report import figures_report
from core.problems.grouping import EXAMPLES, Problem, ProblemTally, common_problems
from intake.calendar_source import build_calendar
from intake.config import Settings
from reports.case_csv import CaseCsv
from reports.case_rows import case_values
from reports.segmenting import segmenter
from storage.analytics import SqlFigures
from storage.case_export import CaseExportRow, cases_received, record_reveals
from storage.problem_texts import problem_texts
from storage.unit_of_work import SqlUnitOfWork

if TYPE_CHECKING:
    from reports.workbook import ReportWorkbook


async def _tally(
    engine: AsyncEngine,
    period: Period,
    tz: ZoneInfo,
    bank_words: Path | None,
    examples: int,
    department: str | None,
) -> ProblemTally:
    tally = ProblemTally(segmenter(bank_words), examples=examples)
    async for text in problem_texts(engine, period.window(tz), department=department):
        tally.add(text)
    return tally


async def problems_of(
    engine: AsyncEngine,
    period: Period,
    tz: ZoneInfo,
    *,
    bank_words: Path | None = None,
    department: str | None = None,
) -> list[Problem]:
    """The period's recurring problems (of one department's cases, or of all), each with
    its count in the previous period."""
    current = await _tally(engine, period, tz, bank_words, EXAMPLES, department)
    # The previous period gives counts only: its examples are never shown.
    previous = await _tally(engine, period.previous(), tz, bank_words, 0, department)
    return common_problems(current, previous)


async def figures_of(
    engine: AsyncEngine,
    settings: Settings,
    period: Period,
    *,
    now: datetime,
    department: str | None = None,
) -> dict[str, Any]:
    """The figures of `period`, of one department or (None) of the bank, as `intake
    report --json` prints them (README: "Figures and reports")."""
    calendar = build_calendar(settings)
    problems = await problems_of(
        engine,
        period,
        calendar.tz,
        bank_words=settings.intake_bank_words_file,
        department=department,
    )
    report = await figures_report(
        SqlFigures(engine),
        period,
        now=now,
        calendar=calendar,
        satisfaction=settings.satisfaction,
        department=department,
        problems=problems,
    )
    figures = report.as_json()
    await _name_departments(engine, figures)
    return figures


async def _name_departments(engine: AsyncEngine, figures: dict[str, Any]) -> None:
    """Department rows carry the department's name beside its code (`name`), for the
    people reading the report; a department since removed keeps its code alone."""
    async with SqlUnitOfWork(engine) as uow:
        names = {d.code: d.name for d in await uow.staff.departments()}
    for period in (figures, *figures["comparisons"].values()):
        for row in period["breakdowns"].get("department", []):
            row["name"] = names.get(row["key"])


# Who the audit trail says revealed contact data in files the command line wrote.
CLI_ACTOR = "admin:cli"


@dataclass(frozen=True, slots=True)
class ReportFiles:
    """The files written, and the figures they were made from (for a summary)."""

    html: Path
    xlsx: Path
    csv: Path
    figures: dict[str, Any]


Progress = Callable[[str], None]


async def write_report(
    engine: AsyncEngine,
    settings: Settings,
    period: Period,
    *,
    now: datetime,
    out_dir: Path,
    reveal: bool,
    actor: str,
    progress: Progress | None,
    department: str | None = None,
) -> ReportFiles:
    """The period's HTML report, workbook and case CSV in `out_dir` (README: "Figures
    and reports"), of one department's cases or (None) of all. The cases are streamed
    from the database into both files at once. With `reveal`, personal data is written
    unmasked and each case gets a `revealed_contact` event by `actor`, committed before
    its row is written. Files are written in a worker thread, a batch at a time, so a
    serving process goes on answering meanwhile."""
    figures = await figures_of(engine, settings, period, now=now, department=department)
    label = period.label
    files = ReportFiles(
        out_dir / f"report-{label}.html",
        out_dir / f"report-{label}.xlsx",
        out_dir / f"cases-{label}.csv",
        figures,
    )
    await asyncio.to_thread(_write_page, files, reveal)
    tz = ZoneInfo(settings.intake_timezone)
    note = (
        f"unmasked in {files.xlsx.absolute()} and {files.csv.absolute()},"
        f" exported by OS user {getpass.getuser()}"
    )
    book = await asyncio.to_thread(_start_workbook, files)

    def write(rows: Sequence[CaseExportRow], csv: CaseCsv) -> None:
        for row in rows:
            values = case_values(row, tz, reveal=reveal)
            csv.add(values)
            book.add(values)

    written = 0
    with CaseCsv(files.csv) as csv, book:
        async for rows in cases_received(engine, period.window(tz), department=department):
            if reveal:
                await record_reveals(
                    engine, [row.number for row in rows], actor=actor, at=now, note=note
                )
            await asyncio.to_thread(write, rows, csv)
            written += len(rows)
            if progress is not None:
                progress(f"cases read and rows written: {written}")
        if progress is not None:
            progress(f"cases read and rows written: {written}; saving the workbook")
        await asyncio.to_thread(book.save)
    return files


def _write_page(files: ReportFiles, revealed: bool) -> None:
    # Imported here, as openpyxl below: matplotlib takes a second and 40 MB to load,
    # which every other `intake` command (they all import this module) would pay for.
    from reports.html import report_page

    files.html.parent.mkdir(parents=True, exist_ok=True)
    files.html.write_text(report_page(files.figures, revealed=revealed), encoding="utf-8")


def _start_workbook(files: ReportFiles) -> ReportWorkbook:
    from reports.workbook import ReportWorkbook

    book = ReportWorkbook(files.xlsx)
    book.figures(files.figures)
    book.breakdowns(files.figures)
    return book

"""A period's report, assembled from the database: the figures of `core.analytics` as
one JSON-ready object, with the period's common problems (`core.problems`) found in
the texts. `intake report` prints it; the files and the chat build on it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from core.analytics.periods import Period
from core.analytics.report import figures_report
from core.problems.grouping import EXAMPLES, Problem, ProblemTally, common_problems
from intake.calendar_source import build_calendar
from intake.config import Settings
from reports.segmenting import segmenter
from storage.analytics import SqlFigures
from storage.problem_texts import problem_texts


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
    return report.as_json()

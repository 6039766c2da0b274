"""A period's report, assembled from the database: the figures of `core.analytics` as
one JSON-ready object. `intake report` prints it; the files and the chat build on it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from core.analytics.periods import Period
from core.analytics.report import figures_report
from intake.calendar_source import build_calendar
from intake.config import Settings
from storage.analytics import SqlFigures


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
    report = await figures_report(
        SqlFigures(engine),
        period,
        now=now,
        calendar=build_calendar(settings),
        satisfaction=settings.satisfaction,
        department=department,
    )
    return report.as_json()

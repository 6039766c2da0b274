"""Builds the long-lived parts of the service from `Settings`."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from core.calendar import WorkingCalendar
from core.deadlines import DeadlinePolicy
from intake.calendar_source import load_calendar
from intake.config import Settings
from storage.database import create_engine
from storage.unit_of_work import SqlUnitOfWork


@dataclass
class Wiring:
    settings: Settings
    engine: AsyncEngine
    calendar: WorkingCalendar
    policy: DeadlinePolicy

    def unit_of_work(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine)

    async def close(self) -> None:
        await self.engine.dispose()


def build_calendar(settings: Settings) -> WorkingCalendar:
    return load_calendar(settings.intake_calendar_file, ZoneInfo(settings.intake_timezone))


def build(settings: Settings) -> Wiring:
    return Wiring(
        settings=settings,
        engine=create_engine(settings.database_url),
        calendar=build_calendar(settings),
        policy=DeadlinePolicy(
            complaint_days=settings.intake_complaint_days,
            suggestion_days=settings.intake_suggestion_days,
            praise_days=settings.intake_praise_days,
        ),
    )

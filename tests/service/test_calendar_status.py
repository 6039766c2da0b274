"""`intake calendar status`: the years known and from where, the years open cases need,
and the deadlines still provisional."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from core.cases.calendar import WorkingCalendar
from core.cases.deadlines import DeadlinePolicy
from storage.unit_of_work import SqlUnitOfWork
from tests.conftest import SAMPLE_CALENDAR, database_url
from tests.factories import at, draft, filed_case
from tests.processes import run_intake


async def test_calendar_status_lists_years_sources_and_provisional_deadlines(
    tmp_path: Path, engine: AsyncEngine, calendar: WorkingCalendar
) -> None:
    env = {"DATABASE_URL": database_url(tmp_path)}
    await filed_case(
        SqlUnitOfWork(engine),
        draft(),
        calendar=calendar,
        policy=DeadlinePolicy(),
        now=at("2026-12-29 10:00"),
    )
    code, out, err = await run_intake("calendar", "status", cwd=tmp_path, env=env)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[:2] == ["years known:", "  2004-2026\tlibrary"]
    assert "missing: 2027" in lines
    assert "provisional deadlines of open cases: 1" in lines
    assert "  2027\t1 case(s)" in lines

    env["INTAKE_CALENDAR_FILE"] = str(SAMPLE_CALENDAR)
    code, out, err = await run_intake("calendar", "status", cwd=tmp_path, env=env)
    assert code == 0, err
    assert f"  2027\tfile {SAMPLE_CALENDAR}" in out.splitlines()
    assert "missing: none" in out.splitlines()

"""`intake serve`: the health check, start-up migrations and a clean shutdown."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import text

from intake.config import Settings
from intake.server import StartupRefused, build_web_app, prepare_database
from intake.wiring import Wiring, build
from storage.migrate import pending_revisions
from tests.conftest import database_url, fresh_engine
from tests.processes import PIPE, read_log_until, run_intake, start_intake


def wiring_for(url: str) -> Wiring:
    return build(Settings(database_url=url, _env_file=None))


@pytest.fixture
async def client(engine: object, tmp_path: Path) -> AsyncIterator[TestClient]:
    wiring = wiring_for(database_url(tmp_path))
    async with TestClient(TestServer(build_web_app(wiring))) as client:
        yield client
    await wiring.close()


async def test_healthz_answers_200_when_the_database_answers(client: TestClient) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    body = await response.json()
    assert body["database"] == "ok"
    assert body["calendar_years"].endswith("2026")


async def test_healthz_answers_503_when_the_database_is_down() -> None:
    # Nothing listens on port 1: the connection is refused at once.
    wiring = wiring_for("postgresql+asyncpg://postgres@127.0.0.1:1/test")
    async with TestClient(TestServer(build_web_app(wiring))) as client:
        response = await client.get("/healthz")
        assert response.status == 503
        assert (await response.json())["database"] == "down"
    await wiring.close()


async def test_start_up_migrates_sqlite_and_refuses_a_stale_postgresql(tmp_path: Path) -> None:
    url = database_url(tmp_path)
    wiring = wiring_for(url)
    if wiring.engine.dialect.name == "postgresql":
        async with wiring.engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        with pytest.raises(StartupRefused, match="intake db upgrade"):
            await prepare_database(wiring)
    else:
        await prepare_database(wiring)
        assert await pending_revisions(wiring.engine) == []
    await wiring.close()


async def test_the_service_starts_answers_and_stops_cleanly(tmp_path: Path) -> None:
    url = database_url(tmp_path)
    if url.startswith("postgresql"):
        await (await fresh_engine(url)).dispose()  # as the deploy step would have migrated it
    env = {"DATABASE_URL": url, "INTAKE_HTTP_PORT": "0", "INTAKE_LOG_LEVEL": "INFO"}
    process = await start_intake("serve", cwd=tmp_path, env=env, stderr=PIPE)
    try:
        listening = await asyncio.wait_for(read_log_until(process.stderr, "listening"), 10)
        port = listening["port"]
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/healthz") as response,
        ):
            assert response.status == 200
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(read_log_until(process.stderr, "stopped"), 10)
        assert await asyncio.wait_for(process.wait(), 10) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    if url.startswith("sqlite"):
        assert (tmp_path / "test.sqlite3").exists()


async def test_cli_prints_a_due_moment(tmp_path: Path) -> None:
    code, out, _ = await run_intake(
        "calendar", "due", "2026-09-30T17:00", "3", cwd=tmp_path, env={"INTAKE_CALENDAR_FILE": ""}
    )
    assert code == 0
    assert out.strip() == "2026-10-10T17:00:00+08:00 Saturday"


async def test_cli_names_the_missing_year(tmp_path: Path) -> None:
    code, out, err = await run_intake(
        "calendar", "due", "2026-12-29T10:00", "3", cwd=tmp_path, env={}
    )
    assert code == 0, err
    assert out == "2027-01-01T10:00:00+08:00 Friday (provisional: no calendar data for 2027)\n"

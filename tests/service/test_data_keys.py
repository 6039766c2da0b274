"""Keys for contact data at rest, as an operator meets them: `intake keys generate` and
`intake keys rotate`, a clear refusal at start-up when stored data needs a key that is
not configured, and a warning when contact data is stored unencrypted."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from core.cases.calendar import WorkingCalendar
from core.cases.deadlines import DeadlinePolicy
from intake.config import Settings
from intake.server import StartupRefused, check_data_keys
from intake.wiring import build
from storage.crypto import DataKeys, use_keys
from storage.unit_of_work import SqlUnitOfWork
from tests.conftest import database_url
from tests.factories import at, draft, filed_case
from tests.processes import run_intake


async def generated_key(tmp_path: Path, key_id: str) -> str:
    code, out, err = await run_intake("keys", "generate", key_id, cwd=tmp_path, env={})
    assert code == 0, err
    return out.strip()


async def file_a_case(engine: AsyncEngine, calendar: WorkingCalendar, keys: str) -> None:
    use_keys(engine, DataKeys.parse(keys))
    await filed_case(
        SqlUnitOfWork(engine),
        draft(),
        calendar=calendar,
        policy=DeadlinePolicy(),
        now=at("2026-11-02 10:00"),
    )


async def test_generate_then_rotate_to_a_new_key(
    engine: AsyncEngine, calendar: WorkingCalendar, tmp_path: Path
) -> None:
    old, new = await generated_key(tmp_path, "old"), await generated_key(tmp_path, "new")
    assert DataKeys.parse(f"{new},{old}").current == "new" and old != new
    await file_a_case(engine, calendar, old)
    url = database_url(tmp_path)

    async def rotate(keys: str) -> tuple[int, str, str]:
        env = {"DATABASE_URL": url, "INTAKE_DATA_KEYS": keys}
        return await run_intake("keys", "rotate", cwd=tmp_path, env=env)

    code, out, err = await rotate(new)  # the old key dropped too early: nothing rewritten
    assert code == 2 and "need key 'old'" in err and "Traceback" not in err
    code, out, err = await rotate(f"{new},{old}")
    assert code == 0, err
    assert "cases.contact_phone\t1 re-encrypted" in out and "values now under key new" in out
    code, out, _ = await rotate(new)
    assert code == 0 and out.endswith("\n0 values now under key new\n")

    code, _, err = await run_intake("keys", "rotate", cwd=tmp_path, env={"DATABASE_URL": url})
    assert code == 2 and "set INTAKE_DATA_KEYS first" in err


async def test_a_malformed_key_is_refused_without_repeating_it(tmp_path: Path) -> None:
    secret = "c2VjcmV0c2VjcmV0c2VjcmV0"  # 18 bytes: too short
    env = {"INTAKE_DATA_KEYS": f"k1:{secret}"}
    code, _, err = await run_intake("keys", "rotate", cwd=tmp_path, env=env)
    assert code == 2 and "key 'k1': not 32 bytes" in err and secret not in err
    code, _, err = await run_intake("keys", "generate", "no spaces", cwd=tmp_path, env={})
    assert code == 2 and "a key id has" in err


async def test_start_up_refuses_data_no_configured_key_can_read(
    engine: AsyncEngine, calendar: WorkingCalendar, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = database_url(tmp_path)
    plain = build(Settings(database_url=url, _env_file=None))
    with caplog.at_level(logging.WARNING, logger="intake.server"):
        await check_data_keys(plain)  # nothing encrypted yet: it starts, and says so
    assert "contact data is stored unencrypted" in caplog.text

    first, other = await generated_key(tmp_path, "first"), await generated_key(tmp_path, "other")
    await file_a_case(engine, calendar, first)
    with pytest.raises(StartupRefused, match="INTAKE_DATA_KEYS is empty"):
        await check_data_keys(plain)
    wrong = build(Settings(database_url=url, intake_data_keys=other, _env_file=None))
    with pytest.raises(StartupRefused, match="needs key 'first'"):
        await check_data_keys(wrong)
    right = build(Settings(database_url=url, intake_data_keys=f"{other},{first}", _env_file=None))
    caplog.clear()
    await check_data_keys(right)
    assert "unencrypted" not in caplog.text
    for wiring in (plain, wrong, right):
        await wiring.close()

"""`intake scheduler` and `intake outbox` as an operator runs them."""

from __future__ import annotations

import asyncio
import re
import signal
from pathlib import Path

from aiohttp import ClientSession
from sqlalchemy.ext.asyncio import AsyncEngine

from core.channel.io import Reply
from core.channel.outbox import OutboundMessage
from core.identity import CustomerId, Platform
from storage.outbox import SqlOutboxQueue
from storage.unit_of_work import SqlUnitOfWork
from tests.conftest import database_url
from tests.factories import at
from tests.processes import PIPE, read_log_until, run_intake, start_intake


async def intake(tmp_path: Path, *args: str, url: str | None = None) -> tuple[int, str, str]:
    return await run_intake(
        *args, cwd=tmp_path, env={"DATABASE_URL": url or database_url(tmp_path)}
    )


async def test_a_second_scheduler_on_sqlite_refuses_to_start(tmp_path: Path) -> None:
    """Always on SQLite: on PostgreSQL any number may run (the two-sweep test)."""
    url = f"sqlite+aiosqlite:///{tmp_path}/scheduler.sqlite3"
    first = await start_intake("scheduler", cwd=tmp_path, env={"DATABASE_URL": url}, stderr=PIPE)
    try:  # once the first one holds the lock
        await asyncio.wait_for(read_log_until(first.stderr, "scheduler started"), 20)
        code, _, err = await intake(tmp_path, "scheduler", url=url)
        assert code == 2
        assert "another scheduler already runs on this SQLite database" in err
    finally:
        first.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(first.wait(), 15) == 0


async def test_the_scheduler_serves_metrics_on_a_port_of_its_own(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    env = {"DATABASE_URL": database_url(tmp_path), "INTAKE_METRICS_PORT": "0"}
    scheduler = await start_intake("scheduler", cwd=tmp_path, env=env, stderr=PIPE)
    try:
        listening = await asyncio.wait_for(
            read_log_until(scheduler.stderr, "metrics listening"), 20
        )
        url = f"http://127.0.0.1:{listening['port']}/metrics"
        async with ClientSession() as http, http.get(url) as answer:
            assert answer.status == 200
            text = await answer.text()
        assert "intake_database_up 1.0" in text
        assert 'intake_outbox_pending{channel="wechat"} 0.0' in text
    finally:
        scheduler.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(scheduler.wait(), 15) == 0


async def test_outbox_help_names_every_subcommand(tmp_path: Path) -> None:
    code, out, _ = await intake(tmp_path, "outbox", "--help")
    assert code == 0
    assert re.search(r"^ +list +messages pending or failed \(the default\)$", out, re.M)
    assert re.search(r"^ +retry +send a failed message again$", out, re.M)


async def test_listing_and_retrying_the_outbox(engine: AsyncEngine, tmp_path: Path) -> None:
    code, out, _ = await intake(tmp_path, "outbox")
    assert (code, out) == (0, "nothing pending or failed\n")
    async with SqlUnitOfWork(engine) as uow:
        await uow.outbox.add(
            [
                OutboundMessage(
                    CustomerId(Platform.WECHAT, "oX"), Reply("您的案件已办结"), "CP-20261102-0001"
                )
            ],
            now=at("2026-11-02 10:00"),
            key="k",
        )
        await uow.commit()
    queue = SqlOutboxQueue(engine)
    [item] = await queue.listing()
    code, out, _ = await intake(tmp_path, "outbox")
    assert code == 0
    assert out == (
        "id\tstatus\tto\tcase\tattempts\tnext attempt\tlast error\ttext\n"
        f"{item.id}\tpending\twechat:oX\tCP-20261102-0001\tattempts 0"
        "\tnext 2026-11-02 10:00 +08:00\t\t您的案件已办结\n"
        "1 pending or failed\n"
    )
    code, same, _ = await intake(tmp_path, "outbox", "list")
    assert (code, same) == (0, out)
    code, _, err = await intake(tmp_path, "outbox", "retry", str(item.id))
    assert code == 2 and "no failed outbox message" in err  # it is pending, not failed
    await queue.fail(item.id, "errcode 43004")
    code, out, _ = await intake(tmp_path, "outbox")
    assert "failed" in out and "errcode 43004" in out
    code, out, _ = await intake(tmp_path, "outbox", "retry", str(item.id))
    assert code == 0 and "queued again" in out
    [again] = await queue.listing()
    assert (again.status, again.attempts) == ("pending", 0)

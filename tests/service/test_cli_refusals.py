"""Every `intake` command answers wrong input with one line naming the problem and the
fix, and exit code 2 — never a traceback: each command is run, as a process, with wrong
arguments, wrong settings, and a database or platform it cannot reach."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import database_url
from tests.processes import run_intake

PASSWORD = "S3cretPass"
UNREACHABLE = f"postgresql+asyncpg://postgres:{PASSWORD}@127.0.0.1:1/intake"
WECHAT = {"WECHAT_TOKEN": "Bk7sigNt0kenQ3x9", "WECHAT_APP_ID": "wx5e8a3b1c2d4f6a7b"}
WECHAT |= {"WECHAT_APP_SECRET": "9c4e1f7a2b8d3e6f0a5c7b9d1e3f5a7c"}
BOT = {"TELEGRAM_BOT_TOKEN": "7351946208:AAF3kQ9vXw2LmZr8TbYc5NpD4sHjU6eGi1o"}
DUE = ("calendar", "due", "2026-09-30T17:00", "3")


@dataclass
class Wrong:
    """A command line and settings that must be refused, and what the refusal names."""

    args: tuple[str, ...]
    names: str
    env: dict[str, str] = field(default_factory=dict)


def command_line() -> Iterator[Wrong]:
    """What argparse refuses."""
    yield Wrong((), "COMMAND")
    yield Wrong(("frobnicate",), "frobnicate")
    yield Wrong(("db",), "upgrade")
    yield Wrong(("calendar", "due", "2026-09-30T17:00", "-3"), "days")
    yield Wrong(("calendar", "due", "2026-09-30T17:00", "three"), "days")
    yield Wrong(
        ("staff", "invite", "--name", "李四", "--role", "king", "--department", "x"), "role"
    )
    yield Wrong(("staff", "disable", "abc"), "id")
    yield Wrong(("rewards", "add-voucher", "--name", "卡", "--cost", "5"), "--stock")
    yield Wrong(("rewards", "redemptions", "--limit", "0"), "--limit")
    yield Wrong(("outbox", "retry", "first"), "id")


def commands(busy_port: int) -> Iterator[Wrong]:
    """What the commands themselves refuse."""
    yield Wrong(("calendar", "due", "30/09/2026", "3"), "2026-09-30T17:00")
    invite = ("staff", "invite", "--name", "李四", "--role", "agent", "--department", "nosuch")
    yield Wrong(invite, "intake department add")
    yield Wrong(("staff", "disable", "999"), "999")
    yield Wrong(("department", "add", "x", "--name", "X", "--business", "nonsense"), "debit_card")
    yield Wrong(("department", "set-chat", "x", "nonsense"), "PLATFORM:CHAT_ID")
    yield Wrong(("department", "set-chat", "nosuch", "telegram:-100123"), "nosuch")
    voucher = ("--name", "卡", "--stock", "1", "--valid-days", "30")
    yield Wrong(("rewards", "add-voucher", "--cost", "0", *voucher), "cost")
    yield Wrong(("rewards", "restock", "999", "5"), "999")
    yield Wrong(("rewards", "withdraw", "999"), "999")
    yield Wrong(("outbox", "retry", "999"), "intake outbox")
    yield Wrong(("wechat", "menu"), "WECHAT_APP_ID")
    yield Wrong(("serve",), "INTAKE_HTTP_PORT", {"INTAKE_HTTP_PORT": str(busy_port)})


def settings(tmp_path: Path) -> Iterator[Wrong]:
    """Wrong configuration, whatever the command."""
    yield Wrong(DUE, "INTAKE_TIMEZONE", {"INTAKE_TIMEZONE": "Mars/Olympus"})
    yield Wrong(DUE, "INTAKE_CALENDAR_FILE", {"INTAKE_CALENDAR_FILE": str(tmp_path / "no.toml")})
    yield Wrong(("staff", "list"), "DATABASE_URL", {"DATABASE_URL": "foo://bar"})
    yield Wrong(("staff", "list"), "DATABASE_URL", {"DATABASE_URL": "postgresql://db/intake"})
    yield Wrong(("staff", "list"), "DATABASE_URL", {"DATABASE_URL": "not a url"})
    yield Wrong(("staff", "list"), "INTAKE_LOG_LEVEL", {"INTAKE_LOG_LEVEL": "LOUD"})
    yield Wrong(("serve",), "INTAKE_HTTP_PORT", {"INTAKE_HTTP_PORT": "eighty"})
    yield Wrong(("scheduler",), "INTAKE_BUSINESS_HOURS", {"INTAKE_BUSINESS_HOURS": "9-5"})
    yield Wrong(("wechat", "menu"), "WECHAT_AES_KEY", {**WECHAT, "WECHAT_AES_KEY": "short"})
    yield Wrong(("serve",), "REDIS_URL", {"REDIS_URL": "http://127.0.0.1:6379"})
    webhook = {**BOT, "TELEGRAM_WEBHOOK_URL": "https://bank.example/telegram/webhook"}
    yield Wrong(("serve",), "TELEGRAM_WEBHOOK_SECRET", webhook)


def unreachable(tmp_path: Path) -> Iterator[Wrong]:
    """A database, Bot API or WeChat API that does not answer; a database not migrated.
    The database is named by host and port, never with its password."""
    for args in (("db", "upgrade"), ("staff", "list"), ("serve",), ("scheduler",)):
        yield Wrong(args, "127.0.0.1:1", {"DATABASE_URL": UNREACHABLE, "INTAKE_HTTP_PORT": "0"})
    empty = f"sqlite+aiosqlite:///{tmp_path}/empty.sqlite3"
    yield Wrong(("rewards", "vouchers"), "intake db upgrade", {"DATABASE_URL": empty})
    unreachable_api = {**WECHAT, "WECHAT_API_BASE_URL": "http://127.0.0.1:1"}
    yield Wrong(("wechat", "menu"), "WECHAT_API_BASE_URL", unreachable_api)
    # `serve` with the Bot API unreachable is no refusal: it keeps retrying while the rest
    # runs (tests/bots/test_outages.py).


@pytest.mark.parametrize("group", ["command line", "commands", "settings", "unreachable"])
async def test_every_command_refuses_wrong_input_in_one_line(
    engine: AsyncEngine, tmp_path: Path, group: str
) -> None:
    env = {"DATABASE_URL": database_url(tmp_path), "INTAKE_LOG_LEVEL": "INFO"}
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        cases = {
            "command line": command_line,
            "commands": lambda: commands(busy.getsockname()[1]),
            "settings": lambda: settings(tmp_path),
            "unreachable": lambda: unreachable(tmp_path),
        }[group]()
        turns = asyncio.Semaphore(4)

        async def run(case: Wrong) -> tuple[Wrong, int, str, str]:
            async with turns:
                return (case, *await run_intake(*case.args, cwd=tmp_path, env=env | case.env))

        results = await asyncio.gather(*(run(case) for case in cases))

    problems = []
    for case, code, out, err in results:
        said = [line for line in err.splitlines() if not line.startswith('{"ts"')]
        if (
            code != 2
            or "Traceback" in out + err
            or PASSWORD in out + err
            or len(said) != 1
            or not said[0].startswith("intake: ")
            or case.names not in said[0]
        ):
            problems.append((case.args, case.env, code, said or err[-500:]))
    assert results and problems == [], "\n".join(repr(p) for p in problems)


@pytest.mark.parametrize(
    "args",
    [("calendar", "due", "2026-09-30T17:00", "3"), ("calendar", "due", "2026-09-30T17:00", "0")],
)
async def test_correct_input_still_works(tmp_path: Path, args: tuple[str, ...]) -> None:
    code, out, err = await run_intake(*args, cwd=tmp_path, env={})
    assert code == 0, err
    assert out.split()[0] in {"2026-10-10T17:00:00+08:00", "2026-09-30T17:00:00+08:00"}

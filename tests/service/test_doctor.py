"""`intake doctor`, as an operator runs it before a deploy: a line per check, every wrong
setting named with what to do, exit status 1 when anything is wrong and 0 otherwise,
no secret printed, nothing reached but the database. The checks are tested in-process;
a few runs of the command show the whole (each process takes a second or two)."""

from __future__ import annotations

import asyncio
import socket
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from core.cases.calendar import WorkingCalendar
from intake import doctor
from intake.calendar_source import year_sources
from intake.config import Settings
from intake.doctor import Finding
from storage.crypto import generate_key
from tests.conftest import ROOT, SAMPLE_CALENDAR, database_url, fresh_engine
from tests.factories import at
from tests.processes import run_intake
from tests.service.test_data_keys import file_a_case

PASSWORD = "S3cretPass"
UNREACHABLE = f"postgresql+asyncpg://postgres:{PASSWORD}@127.0.0.1:1/intake"
# Well-formed values of every platform setting.
GOOD = {
    "TELEGRAM_BOT_TOKEN": "7351946208:AAF3kQ9vXw2LmZr8TbYc5NpD4sHjU6eGi1o",
    "TELEGRAM_WEBHOOK_URL": "https://bank.example/telegram/webhook",
    "TELEGRAM_WEBHOOK_SECRET": "hook_Secret-42",
    "WECHAT_TOKEN": "Bk7sigNt0kenQ3x9",
    "WECHAT_APP_ID": "wx5e8a3b1c2d4f6a7b",
    "WECHAT_APP_SECRET": "9c4e1f7a2b8d3e6f0a5c7b9d1e3f5a7c",
    "WECHAT_AES_KEY": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    "INTAKE_PUBLIC_URL": "https://feedback.bank.example/",
    "INTAKE_SMTP_HOST": "mail.bank.example",
    "INTAKE_SMTP_USER": "feedback",
    "INTAKE_SMTP_PASSWORD": "Mail-Passw0rd",
}
# Each wrong in its own way, all at once; Settings accepts every one of them.
BROKEN = {
    "TELEGRAM_BOT_TOKEN": "7351946208:tooShortToBeAToken",
    "TELEGRAM_WEBHOOK_URL": "https://hook:SecretInUrl@bank.example/telegram/webhook",
    "WECHAT_TOKEN": "no spaces allowed",
    "WECHAT_APP_ID": "5e8a3b1c2d4f6a7b",
    "WECHAT_AES_KEY": "abcdefghijklmnopqrstuvwxyz0123456789ABCDE==",
    "INTAKE_PUBLIC_URL": "http://feedback.bank.example/",
    "INTAKE_SMTP_PORT": "465",
    "INTAKE_SMTP_USER": "",
}
# The variable each of BROKEN's findings names, and what its line says to do.
TO_DO = {
    "TELEGRAM_BOT_TOKEN": "@BotFather",
    "TELEGRAM_WEBHOOK_URL": "credentials",
    "WECHAT_TOKEN": "3-32 letters and digits",
    "WECHAT_APP_ID": "基本配置",
    "WECHAT_AES_KEY": "EncodingAESKey",
    "INTAKE_PUBLIC_URL": "https://HOST/",
    "INTAKE_SMTP_USER": "set both or neither",
    "INTAKE_SMTP_PORT": "587",
}
SHANGHAI = ZoneInfo("Asia/Shanghai")


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **{name.lower(): v for name, v in values.items()})


def statuses(findings: list[Finding]) -> dict[str, str]:
    return {f.check: f.status for f in findings}


def calendar_file(tmp_path: Path, now: datetime) -> Path:
    """A calendar file giving this year and next, where the library lacks them."""
    known = year_sources(None)
    this_year = now.astimezone(SHANGHAI).year
    missing = [y for y in (this_year, this_year + 1) if y not in known]
    path = tmp_path / "calendar.toml"
    path.write_text("".join(f"[{year}]\nholidays = []\n" for year in missing), "utf-8")
    return path


def test_well_formed_settings_pass_every_check(tmp_path: Path) -> None:
    now = at("2026-12-01 10:00")
    found = doctor.configuration(
        settings(**GOOD, intake_calendar_file=calendar_file(tmp_path, now)), now
    )
    assert {f.status for f in found} == {"warn", "ok"}
    # Only the keys are missing: contact data would be stored unencrypted.
    assert [f.check for f in found if f.status == "warn"] == ["INTAKE_DATA_KEYS"]


def test_each_wrong_setting_is_a_line_naming_it_and_what_to_do() -> None:
    found = doctor.configuration(settings(**GOOD | BROKEN), at("2025-06-01 10:00"))
    failed = {f.check: f.detail for f in found if f.status == "fail"}
    assert set(failed) == set(TO_DO)
    for name, advice in TO_DO.items():
        assert advice in failed[name], failed[name]
    lines = [f.line() for f in found]
    assert all("\n" not in line for line in lines)
    assert not any("SecretInUrl" in line for line in lines)


@pytest.mark.parametrize(
    ("values", "name", "said"),
    [
        ({"TELEGRAM_WEBHOOK_URL": "https://bank.example:8080/telegram/webhook"}, "", "ports"),
        ({"TELEGRAM_WEBHOOK_URL": "https:///telegram/webhook"}, "", "no host"),
        ({"INTAKE_PUBLIC_URL": "https://feedback.bank.example/?a=1"}, "", "query"),
        ({"INTAKE_SMTP_STARTTLS": "false"}, "INTAKE_SMTP_STARTTLS", "in clear"),
        ({"INTAKE_SMTP_FROM": "feedback"}, "INTAKE_SMTP_FROM", "e-mail address"),
        ({"WECHAT_APP_SECRET": "9c4e1f7a2b8d3e6f"}, "", "32 hex digits"),
    ],
)
def test_more_shapes_that_cannot_work(values: dict[str, str], name: str, said: str) -> None:
    found = doctor.configuration(settings(**GOOD | values), at("2025-06-01 10:00"))
    failed = [f for f in found if f.status == "fail"]
    assert len(failed) == 1 and said in failed[0].detail
    assert failed[0].check == (name or next(iter(values)))


def test_settings_that_belong_together() -> None:
    now = at("2025-06-01 10:00")

    def status(name: str, **values: str) -> str:
        return statuses(doctor.configuration(settings(**values), now))[name]

    webhook = {"TELEGRAM_WEBHOOK_URL": GOOD["TELEGRAM_WEBHOOK_URL"]}
    hook_alone = webhook | {"TELEGRAM_WEBHOOK_SECRET": "s3cret"}
    assert status("TELEGRAM_WEBHOOK_URL", **hook_alone) == "fail"  # no token: Telegram is off
    assert status("INTAKE_SMTP_HOST", INTAKE_SMTP_USER="feedback") == "fail"
    # The service answers at /telegram/webhook: fine only behind a proxy that maps it.
    elsewhere = GOOD | {"TELEGRAM_WEBHOOK_URL": "https://bank.example/hooks/tg"}
    assert status("TELEGRAM_WEBHOOK_URL", **elsewhere) == "warn"
    # Plain http is for trying it out on this machine only.
    assert status("INTAKE_PUBLIC_URL", INTAKE_PUBLIC_URL="http://127.0.0.1:8080/") == "ok"


def test_the_calendar_must_know_this_year_and_should_know_the_next() -> None:
    def calendar_check(now: str, **values: Any) -> Finding:
        found = doctor.configuration(settings(**values), at(now))
        return next(f for f in found if f.check == "INTAKE_CALENDAR_FILE")

    assert calendar_check("2025-06-01 10:00").status == "ok"
    late = calendar_check("2026-12-01 10:00")
    assert late.status == "warn" and "2027" in late.detail
    assert calendar_check("2026-12-01 10:00", intake_calendar_file=SAMPLE_CALENDAR).status == "ok"
    beyond = calendar_check("2028-03-01 10:00", intake_calendar_file=SAMPLE_CALENDAR)
    assert beyond.status == "fail" and "2028" in beyond.detail


def test_a_calendar_file_in_the_wrong_format_is_a_finding(tmp_path: Path) -> None:
    wrong = tmp_path / "calendar.toml"
    wrong.write_text("holidays = 3\n", "utf-8")
    found = doctor.configuration(settings(intake_calendar_file=wrong), at("2025-06-01 10:00"))
    check = next(f for f in found if f.check == "INTAKE_CALENDAR_FILE")
    assert check.status == "fail" and "calendars/README.md" in check.detail


async def test_a_migrated_database_passes(engine: AsyncEngine, tmp_path: Path) -> None:
    key = generate_key("k1")
    found = await doctor.database(
        settings(database_url=database_url(tmp_path), intake_data_keys=key)
    )
    assert statuses(found) == {"DATABASE_URL": "ok", "schema": "ok", "stored data": "ok"}


async def test_stored_data_no_configured_key_reads(
    engine: AsyncEngine, calendar: WorkingCalendar, tmp_path: Path
) -> None:
    await file_a_case(engine, calendar, generate_key("first"))
    url = database_url(tmp_path)
    wrong = await doctor.database(
        settings(database_url=url, intake_data_keys=generate_key("other"))
    )
    assert wrong[-1].status == "fail" and "needs key 'first'" in wrong[-1].detail
    none = await doctor.database(settings(database_url=url))
    assert none[-1].status == "fail" and "INTAKE_DATA_KEYS is empty" in none[-1].detail


async def test_pending_migrations(tmp_path: Path) -> None:
    url = database_url(tmp_path)
    engine = await fresh_engine(url, "0015")
    await engine.dispose()
    schema = next(
        f for f in await doctor.database(settings(database_url=url)) if f.check == "schema"
    )
    if url.startswith("postgresql"):  # the service refuses to start: a deploy step is due
        assert schema.status == "fail" and "run `intake db upgrade`" in schema.detail
    else:  # SQLite migrates itself when the service starts
        assert schema.status == "warn" and "`intake serve` applies them" in schema.detail
    versions = ROOT / "storage" / "migrations" / "versions"
    later = len([path for path in versions.glob("0*.py") if path.name[:4] > "0015"])
    # "behind by 3 migration(s)" on PostgreSQL, "3 pending migration(s)" on SQLite
    assert f"{later} migration" in schema.detail or f"{later} pending" in schema.detail


async def test_a_database_that_refuses_or_does_not_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    (refused,) = await doctor.database(settings(database_url=UNREACHABLE))
    assert refused.status == "fail" and "127.0.0.1:1/intake" in refused.detail
    assert PASSWORD not in refused.line()
    with socket.socket() as silent:  # accepts connections, never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"postgresql+asyncpg://postgres@127.0.0.1:{silent.getsockname()[1]}/intake"
        monkeypatch.setattr(doctor, "DATABASE_TIMEOUT_S", 0.0)  # and no time to wait for one
        (slow,) = await doctor.database(settings(database_url=url))
    assert slow.status == "fail" and "did not answer within" in slow.detail


def test_a_sqlite_file_not_made_yet_is_not_made_by_the_check(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/data/intake.sqlite3"
    found = doctor.no_database_yet(settings(database_url=url))
    assert found is not None and found.status == "ok"
    assert not (tmp_path / "data").exists()


async def test_the_command_passes_good_settings_and_names_every_wrong_one(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    url = database_url(tmp_path)
    good = GOOD | {
        "DATABASE_URL": url,
        "INTAKE_DATA_KEYS": generate_key("k1"),
        "INTAKE_CALENDAR_FILE": str(calendar_file(tmp_path, datetime.now(SHANGHAI))),
    }
    broken = GOOD | BROKEN | {"DATABASE_URL": UNREACHABLE}
    # Refused by Settings itself: a finding each, and the other checks wait for them.
    invalid = {"INTAKE_TIMEZONE": "Mars/Olympus", "INTAKE_LOG_LEVEL": "LOUD", "DATABASE_URL": url}
    runs = await asyncio.gather(
        *(run_intake("doctor", cwd=tmp_path, env=env) for env in (good, broken, invalid))
    )

    code, out, err = runs[0]
    *checks, last = out.splitlines()
    assert code == 0 and last == "all checks passed", out + err
    assert all(line.startswith("OK   ") for line in checks), out
    assert "OK   schema: no pending migrations" in checks

    code, out, err = runs[1]
    assert code == 1 and "Traceback" not in err, out + err
    failed = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert len(failed) == len(TO_DO) + 1
    for name, advice in TO_DO.items():
        assert any(line.startswith(f"FAIL {name}: ") and advice in line for line in failed), name
    assert any("FAIL DATABASE_URL: " in line and "127.0.0.1:1/intake" in line for line in failed)
    assert out.splitlines()[-1].startswith(f"{len(failed)} problems to correct, ")
    for secret in (PASSWORD, "SecretInUrl", GOOD["WECHAT_APP_SECRET"], "Mail-Passw0rd"):
        assert secret not in out + err

    code, out, err = runs[2]
    assert code == 1 and "Traceback" not in err, out + err
    assert out.splitlines()[:2] == [
        "FAIL INTAKE_LOG_LEVEL: unknown log level 'LOUD'; use one of DEBUG, INFO, WARNING, "
        "ERROR, CRITICAL; correct it in the environment or .env",
        "FAIL INTAKE_TIMEZONE: unknown time zone 'Mars/Olympus'; use an IANA name such as "
        "Asia/Shanghai; correct it in the environment or .env",
    ]
    assert "the other checks run once the settings are valid" in out.splitlines()[-1]

"""No configured secret reaches the logs: a real `intake serve` with both bots, traffic
through the Telegram Bot API double and the WeChat platform double, and CLI commands, at
INFO and at DEBUG; everything the processes wrote is searched for every secret."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bots.telegram.webhook import PATH
from tests.bots.conftest import free_port
from tests.conftest import SAMPLE_CALENDAR, database_url, fresh_engine
from tests.doubles.telegram_bot_api import BotApiDouble
from tests.doubles.wechat_platform import DEFAULT_APP_ID, WeChatPlatform, new_encoding_aes_key
from tests.processes import PIPE, run_intake, start_intake

# Shaped like the real thing: BotFather's tokens, WeChat's 32-hex AppSecret.
BOT_TOKEN = "7351946208:AAF3kQ9vXw2LmZr8TbYc5NpD4sHjU6eGi1o"
WEBHOOK_SECRET = "tg-Wh_9fK2mQ7xLp4RzV8nB3cJ6dT1yH5s"
WECHAT_TOKEN = "Bk7sigNt0kenQ3x9"
APP_SECRET = "9c4e1f7a2b8d3e6f0a5c7b9d1e3f5a7c"
AES_KEY = new_encoding_aes_key()
DB_PASSWORD = "S3cretPass"  # PostgreSQL's trust authentication ignores it
TELEGRAM_USER = 1001
COMPLAINT = ["你好", "1", "借记卡", "线上", "借记卡年费被重复收取了两次。", "1"]
COMPLAINT += ["退还多收的年费", "1", "王五", "13812348000", "提交"]


def url_with_password(url: str) -> str:
    """On PostgreSQL, the test database's URL with a password in it; SQLite has none."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return url
    return parsed.set(password=DB_PASSWORD).render_as_string(hide_password=False)


class Output:
    """Everything a process writes, read as it comes so a full pipe never stalls it."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None and process.stderr is not None
        self.lines: list[str] = []
        self._changed = asyncio.Event()
        self._readers = [
            asyncio.create_task(self._read(process.stdout)),
            asyncio.create_task(self._read(process.stderr)),
        ]

    async def _read(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            self.lines.append(line.decode())
            self._changed.set()

    async def wait_for(self, message: str) -> dict[str, object]:
        async with asyncio.timeout(20):
            while True:
                for line in self.lines:
                    if line.startswith("{") and json.loads(line)["msg"] == message:
                        return dict(json.loads(line))
                self._changed.clear()
                await self._changed.wait()

    async def close(self) -> str:
        await asyncio.gather(*self._readers)
        return "".join(self.lines)


async def say(platform: WeChatPlatform, openid: str, text: str) -> str:
    result = await platform.send_text(openid, text)
    assert result.status == 200 and result.reply is not None, result.text
    return result.reply.content or ""


@pytest.mark.parametrize(("level", "mode"), [("DEBUG", "webhook"), ("INFO", "polling")])
async def test_no_configured_secret_reaches_the_logs(tmp_path: Path, level: str, mode: str) -> None:
    url = url_with_password(database_url(tmp_path))
    if url.startswith("postgresql"):
        await (await fresh_engine(url)).dispose()
    port = free_port()
    async with (
        BotApiDouble(token=BOT_TOKEN) as telegram,
        WeChatPlatform(
            token=WECHAT_TOKEN, app_secret=APP_SECRET, encoding_aes_key=AES_KEY, now=time.time
        ) as wechat,
    ):
        env = {
            "DATABASE_URL": url,
            "INTAKE_HTTP_PORT": str(port),
            "INTAKE_LOG_LEVEL": level,
            "INTAKE_CALENDAR_FILE": str(SAMPLE_CALENDAR),
            "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
            "TELEGRAM_API_BASE_URL": telegram.root_url,
            "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}{PATH}" if mode == "webhook" else "",
            "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "TELEGRAM_CHAT_INTERVAL_SECONDS": "0",
            "WECHAT_TOKEN": WECHAT_TOKEN,
            "WECHAT_APP_ID": DEFAULT_APP_ID,
            "WECHAT_APP_SECRET": APP_SECRET,
            "WECHAT_AES_KEY": AES_KEY,
            "WECHAT_API_BASE_URL": wechat.api.base_url,
        }
        captured: list[str] = []

        async def cli(*args: str, **changes: str) -> tuple[int, str, str]:
            code, out, err = await run_intake(*args, cwd=tmp_path, env={**env, **changes})
            captured.extend((out, err))
            return code, out, err

        assert (await cli("db", "upgrade"))[0] == 0
        department = ("add", "cards", "--name", "银行卡部", "--business", "debit_card")
        assert (await cli("department", *department, "--default"))[0] == 0
        code, invitation, err = await cli(
            "staff", "invite", "--name", "钱主管", "--role", "lead", "--department", "cards"
        )
        assert code == 0, err
        assert (await cli("wechat", "menu"))[0] == 0  # the token endpoint, then the menu's

        process = await start_intake("serve", cwd=tmp_path, env=env, stdout=PIPE, stderr=PIPE)
        output = Output(process)
        try:
            await output.wait_for("listening")
            wechat.webhook_url = f"http://127.0.0.1:{port}/wechat"
            lead = wechat.new_openid()
            assert "注册成功" in await say(wechat, lead, f"/register {invitation.split()[0]}")
            customer = wechat.new_openid()
            replies = [await say(wechat, customer, answer) for answer in COMPLAINT]
            assert "CP-" in replies[-1]
            announcement = await wechat.api.wait_for_custom_message(lead, timeout=15)
            assert "CP-" in (announcement.text or "")  # a customer-service message went out

            if mode == "webhook":
                await output.wait_for("telegram channel started")
                update = telegram.user_text(TELEGRAM_USER, "/start", enqueue=False)
                assert await telegram.deliver_to_webhook(update) == 200
            else:
                await telegram.wait_for_long_poll(timeout=20)
                telegram.user_text(TELEGRAM_USER, "/start")
            assert await telegram.wait_for_message(TELEGRAM_USER, timeout=10)
            process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(process.wait(), 15) == 0
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        captured.append(await output.close())

        assert (await cli("staff", "list"))[0] == 0
        assert (await cli("outbox"))[0] == 0
        # A database that cannot be reached is named, its password is not.
        unreachable = f"postgresql+asyncpg://postgres:{DB_PASSWORD}@127.0.0.1:1/intake"
        code, _, err = await cli("staff", "list", DATABASE_URL=unreachable)
        assert code == 2 and "127.0.0.1:1" in err

    logs = "\n".join(captured)
    assert wechat.api.issued_tokens, "the WeChat double issued no access token"
    secrets = [BOT_TOKEN, BOT_TOKEN.split(":")[1], WEBHOOK_SECRET, WECHAT_TOKEN, APP_SECRET]
    secrets += [AES_KEY, DB_PASSWORD, *wechat.api.issued_tokens]
    leaked = [s for s in secrets if s in logs]
    assert leaked == [], [line for line in logs.splitlines() if any(s in line for s in leaked)]

    # The log lines are there, only without their secrets.
    entries = [json.loads(line) for line in logs.splitlines() if line.startswith("{")]
    messages = [e["msg"] for e in entries]
    assert "listening" in messages and "stopped" in messages
    requests = [m for m in messages if m.startswith("HTTP Request:")]
    if level == "DEBUG":
        bot_id = BOT_TOKEN.split(":")[0]
        assert any(f"/bot{bot_id}:***/sendMessage" in m for m in requests), requests
        assert "access_token=***" in logs and "secret=***" in logs
    else:
        assert requests == []  # at INFO the per-request lines are gone

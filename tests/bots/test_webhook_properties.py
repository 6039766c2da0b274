"""Generated input against both webhooks: every answer is deliberate, none is a 5xx.

Hypothesis generates well-formed, malformed and junk Telegram updates and WeChat
messages (see `fuzz.inputs`); each goes through the real service and database. A
rejected input must be counted, answered as received and leave every table as it was.
`make fuzz` runs the same inputs by the hundred thousand.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession
from hypothesis import HealthCheck, example, given, settings
from sqlalchemy.ext.asyncio import AsyncEngine

from fuzz.expectations import problems
from fuzz.inputs import Input, render_fields, telegram_inputs, wechat_inputs
from fuzz.targets import TelegramTarget, WeChatTarget, telegram_target, wechat_target
from tests.conftest import database_url

# A few thousand examples in all, within the suite's budget; the service is shared by the
# examples of one test (hence the fixture health check), the database is the test's own.
PROPERTY = settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)


@pytest.fixture
async def telegram(engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[TelegramTarget]:
    async with telegram_target(database_url(tmp_path)) as target:
        yield target


@pytest.fixture(params=["safe", "plain"])
async def wechat(
    engine: AsyncEngine, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[WeChatTarget]:
    async with wechat_target(database_url(tmp_path), request.param) as target:
        yield target


ISSUE_UPDATES = [
    {"update_id": 2, "message": {"text": 5}},
    {
        "update_id": 3,
        "callback_query": {
            "id": "7",
            "from": {"id": 1001, "is_bot": False, "first_name": "A"},
            "chat_instance": "1",
            "data": "x" * 5000,
        },
    },
]


@PROPERTY
@given(item=telegram_inputs())
@example(item=Input("malformed", json.dumps(ISSUE_UPDATES[0]).encode()))
@example(item=Input("malformed", json.dumps(ISSUE_UPDATES[1]).encode()))
@example(item=Input("not_json", b"[" * 100_000))
async def test_every_telegram_input_gets_a_deliberate_answer(
    telegram: TelegramTarget, item: Input
) -> None:
    answer = await telegram.send(item)
    assert problems(item, answer, wechat=False) == [], answer


ISSUE_MESSAGES = [
    {"ToUserName": "gh_3a9c5e7b1d2f", "FromUserName": "o1", "CreateTime": 1, "MsgId": 1},
    {"ToUserName": "gh_3a9c5e7b1d2f", "FromUserName": "o1", "CreateTime": "yesterday",
     "MsgType": "text", "Content": "你好", "MsgId": 2},
    {"ToUserName": "gh_3a9c5e7b1d2f", "FromUserName": "o" * 300, "CreateTime": 1,
     "MsgType": "text", "Content": "你好", "MsgId": 3},
]  # fmt: skip


@PROPERTY
@given(item=wechat_inputs())
@example(item=Input("malformed", render_fields(ISSUE_MESSAGES[0])))
@example(item=Input("malformed", render_fields(ISSUE_MESSAGES[1])))
@example(item=Input("malformed", render_fields(ISSUE_MESSAGES[2])))
@example(item=Input("junk", b"<xml>" + b"<a>" * 5000 + b"</a>" * 5000 + b"</xml>"))
async def test_every_wechat_input_gets_a_deliberate_answer(
    wechat: WeChatTarget, item: Input
) -> None:
    answer = await wechat.send(item)
    assert problems(item, answer, wechat=True) == [], answer


async def healthz(target: TelegramTarget | WeChatTarget) -> dict[str, Any]:
    async with (
        ClientSession() as session,
        session.get(target.server.make_url("/healthz")) as response,
    ):
        assert response.status == 200
        return await response.json()


async def test_rejections_are_logged_without_the_input_and_counted_in_healthz(
    engine: AsyncEngine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with telegram_target(database_url(tmp_path)) as telegram:
        for update in ISSUE_UPDATES:
            answer = await telegram.send(Input("malformed", json.dumps(update).encode()))
            assert (answer.status, answer.rejected, answer.rows_added) == (200, True, 0)
        assert (await healthz(telegram))["rejected_inputs"] == {
            "telegram": {
                "update.message.message_id: missing": 1,
                "update.callback_query.data: too long": 1,
            }
        }
    async with wechat_target(database_url(tmp_path), "safe") as wechat:
        answer = await wechat.send(Input("malformed", render_fields(ISSUE_MESSAGES[2])))
        assert (answer.status, answer.body, answer.rows_added) == (200, b"success", 0)
        assert (await healthz(wechat))["rejected_inputs"] == {
            "wechat": {"FromUserName: malformed": 1}
        }
    warnings = [r for r in caplog.records if r.name == "bots.rejections"]
    assert [r.levelname for r in warnings] == ["WARNING"] * 3
    assert [getattr(r, "reason", None) for r in warnings][-1] == "FromUserName: malformed"
    logged = " ".join(r.getMessage() for r in warnings)
    assert "o" * 30 not in logged and "xxxx" not in logged and "你好" not in logged


async def test_a_failure_handling_a_valid_update_is_a_bare_500_for_telegram_to_retry(
    telegram: TelegramTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def database_down(*_args: object, **_kwargs: object) -> None:
        raise ConnectionRefusedError("database down")

    monkeypatch.setattr(telegram.wiring.conversations, "handle", database_down)
    update = {
        "update_id": 9,
        "message": {
            "message_id": 1,
            "date": 1_790_000_000,
            "chat": {"id": 1001, "type": "private"},
            "from": {"id": 1001, "is_bot": False, "first_name": "A"},
            "text": "/start",
        },
    }
    answer = await telegram.send(Input("valid", json.dumps(update).encode()))
    assert (answer.status, answer.body, answer.rejected) == (500, b"internal error", False)
    assert answer.rows_added == 0

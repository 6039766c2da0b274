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

import pytest
from hypothesis import HealthCheck, example, given, settings
from sqlalchemy.ext.asyncio import AsyncEngine

from fuzz.expectations import problems
from fuzz.inputs import Input, render_fields, telegram_inputs, wechat_inputs
from fuzz.targets import TelegramTarget, WeChatTarget, telegram_target, wechat_target
from tests.conftest import database_url

# A few thousand examples in all, within the suite's budget; the service is shared by the
# examples of one test (hence the fixture health check), the database is the test's own.
PROPERTY = settings(
    max_examples=700,
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

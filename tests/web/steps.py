"""Walking a dialogue through the API: each step an option the last reply offered, or
typed text."""

from __future__ import annotations

import re
from typing import Any

from tests.web.conftest import WebClient

Replies = list[dict[str, Any]]


async def walk(client: WebClient, token: str, first: Replies, steps: list[str]) -> Replies:
    """`steps`: option keys (`t:complaint`, offered by the last reply) or, prefixed with
    `>`, text to type. Returns the replies to the last step."""
    replies = first
    for step in steps:
        if step.startswith(">"):
            replies = await client.send(token, text=step[1:])
        else:
            offered = [o["key"] for o in replies[-1]["options"]]
            assert step in offered, (step, offered, replies[-1]["text"])
            replies = await client.send(token, option=step)
    return replies


COMPLAINT_ZH = [
    "t:complaint",
    "b:debit_card",
    "r:0",
    ">ATM 吞卡，卡一直没有退回来。",
    "d:next",
    "o:skip",
    "c:yes",
    ">王五",
    ">13812348000",
]
SUBMIT = "s:submit"


def case_number(replies: Replies) -> str:
    for reply in replies:
        match = re.search(r"(CP|SG|PR)-\d{8}-\d{4}", reply["text"])
        if match:
            return match.group(0)
    raise AssertionError(replies)

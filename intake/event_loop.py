"""The event loop `intake serve` runs on: uvloop where it is installed, else asyncio's.

uvloop's loop, written on libuv, hands a request through aiohttp with less work per
callback than asyncio's; the WeChat step measured faster on it (README: Performance).
`INTAKE_EVENT_LOOP=asyncio` keeps asyncio's loop (where uvloop misbehaves or is absent).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_on(loop: str, main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)` on the loop named `loop` ("uvloop" or "asyncio")."""
    if loop == "uvloop":
        try:
            import uvloop
        except ImportError:  # not installed on this platform (Windows): asyncio's loop
            pass
        else:
            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                return runner.run(main)
    return asyncio.run(main)

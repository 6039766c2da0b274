"""`make fuzz`: generated inputs by the hundred thousand against both webhooks.

The inputs are those of the property tests (`fuzz.inputs`), shared between Telegram
webhook mode and WeChat in safe and plaintext mode, sent in this process to the real
service on a scratch SQLite database. It prints how many inputs of each kind it tried
and how many crashed (a 5xx or an exception) or got an answer other than the deliberate
one, and exits 1 if any did.

    .venv/bin/python -m fuzz                  # 100,000 inputs
    .venv/bin/python -m fuzz --inputs 2000    # the smoke run CI does
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings

from fuzz.expectations import problems
from fuzz.inputs import Input, telegram_inputs, wechat_inputs
from fuzz.targets import Target, telegram_target, wechat_target

TARGETS: dict[str, tuple[Callable[[str], AbstractAsyncContextManager[Target]], Any]] = {
    "telegram": (lambda url: telegram_target(url, migrate=True), telegram_inputs),
    "wechat-safe": (lambda url: wechat_target(url, "safe", migrate=True), wechat_inputs),
    "wechat-plain": (lambda url: wechat_target(url, "plain", migrate=True), wechat_inputs),
}


class Tally:
    def __init__(self) -> None:
        self.tried: Counter[str] = Counter()
        self.rejected: Counter[str] = Counter()
        self.crashed: Counter[str] = Counter()
        self.wrong: Counter[str] = Counter()
        self.first_failures: list[str] = []

    def failed(self, kind: str, what: str, item: Input) -> None:
        (self.crashed if what.startswith("crashed") else self.wrong)[kind] += 1
        if len(self.first_failures) < 5:
            self.first_failures.append(f"{what}: {item!r}"[:1500])


def fuzz(name: str, inputs: int, folder: str) -> Tally:
    """Send `inputs` generated inputs to one target; a fresh database for each."""
    open_target, strategy = TARGETS[name]
    tally = Tally()
    loop = asyncio.new_event_loop()
    stack = AsyncExitStack()
    target = loop.run_until_complete(
        stack.enter_async_context(open_target(f"sqlite+aiosqlite:///{folder}/{name}.sqlite3"))
    )

    @settings(
        max_examples=inputs,
        deadline=None,
        database=None,
        phases=[Phase.generate],  # every input counts; nothing is shrunk or replayed
        suppress_health_check=list(HealthCheck),
    )
    @given(item=strategy())
    def one(item: Input) -> None:
        tally.tried[item.kind] += 1
        try:
            answer = loop.run_until_complete(target.send(item))
        except Exception:
            tally.failed(item.kind, f"crashed: {traceback.format_exc(limit=3)}", item)
            return
        if answer.rejected:
            tally.rejected[item.kind] += 1
        for problem in problems(item, answer, wechat=name.startswith("wechat")):
            tally.failed(item.kind, problem, item)

    try:
        one()
    finally:
        loop.run_until_complete(stack.aclose())
        loop.close()
    return tally


def report(name: str, tally: Tally, seconds: float) -> str:
    kinds = ", ".join(f"{kind} {n:,}" for kind, n in sorted(tally.tried.items()))
    return (
        f"{name:>12}: {sum(tally.tried.values()):,} inputs in {seconds:.0f} s ({kinds}); "
        f"rejected as not understood {sum(tally.rejected.values()):,}; "
        f"crashed {sum(tally.crashed.values())}; wrong answer {sum(tally.wrong.values())}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__.split("\n")[0])
    parser.add_argument("--inputs", type=int, default=100_000, help="in all (default 100,000)")
    parser.add_argument("--targets", default=",".join(TARGETS), help="comma-separated")
    args = parser.parse_args(argv)
    names = args.targets.split(",")
    unknown = set(names) - set(TARGETS)
    if unknown:
        parser.error(f"unknown targets: {', '.join(sorted(unknown))}")
    # The service logs a warning for every rejected input: tens of thousands here.
    logging.basicConfig(level=logging.ERROR)
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    total: Counter[str] = Counter()
    crashed = wrong = 0
    with tempfile.TemporaryDirectory() as folder:
        for i, name in enumerate(names):
            started = time.monotonic()
            share = args.inputs // len(names) + (i < args.inputs % len(names))
            tally = fuzz(name, share, folder)
            print(report(name, tally, time.monotonic() - started), flush=True)
            for failure in tally.first_failures:
                print(f"    {failure}", flush=True)
            total.update(tally.tried)
            crashed += sum(tally.crashed.values())
            wrong += sum(tally.wrong.values())
    verdict = "none crashed" if crashed == 0 else f"{crashed} CRASHED"
    print(f"{'all':>12}: {sum(total.values()):,} inputs tried; {verdict}; {wrong} wrong answers")
    return 1 if crashed or wrong else 0


if __name__ == "__main__":
    sys.exit(main())

"""Where one WeChat message's time goes: `intake serve` with a clock on every stage.

    python -m benchmarks.step_profile --out FILE -m intake.cli serve

runs the service as usual, with each stage of the WeChat step (see `STAGES`) wrapped in
a timer; on SIGUSR1 it writes the seconds spent in each so far, and the messages
handled, to FILE as JSON. `benchmarks.dialogue_step --profile` runs it on one core with a
single connection, one message at a time: a stage's wall-clock time is then all the
time the message waited for it, the database driver's thread included (aiosqlite runs
each statement there) — and, on a machine shared with other work, the time the core was
busy with something else. A profiler that hooks every call (cProfile) was tried first: it
inflates SQLAlchemy's deep call chains several times over and, since SQLAlchemy's
greenlets leave frames on its stack while a statement waits, charges one stage with
others' time; two clocks per stage cost nothing measurable.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import json
import os
import runpy
import signal
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# (stage, module, attribute path): where the function is looked up when it is called.
STAGES: tuple[tuple[str, str, str], ...] = (
    ("signature", "bots.wechat.codec", "WeChatCodec._check_signature"),
    ("parse XML", "bots.wechat.codec", "parse_xml"),
    ("decrypt", "bots.wechat.codec", "PrpCrypto.decrypt"),
    ("gate + convert", "bots.wechat.channel", "check_message"),
    ("gate + convert", "bots.wechat.channel", "to_inbound"),
    ("desk: staff command?", "core.desk.service", "DeskService.handle"),
    ("open transaction", "storage.unit_of_work", "SqlUnitOfWork.__aenter__"),
    ("dedupe", "storage.dialogues", "SqlDeliveryLog.first_time"),
    ("lock dialogue", "storage.dialogues", "SqlDialogueStore.lock"),
    ("dialogue engine", "core.customers.conversation", "converse"),
    ("effect (filing a case)", "core.customers.conversation", "ConversationService._carry_out"),
    ("save dialogue", "storage.dialogues", "SqlDialogueStore.save"),
    ("reply: render, keep, queue", "core.customers.conversation", "settle_answer"),
    ("commit", "storage.unit_of_work", "SqlUnitOfWork.commit"),
    ("end transaction", "storage.unit_of_work", "SqlUnitOfWork.__aexit__"),
    ("held pushes", "storage.wechat", "SqlWeChatStore.release_held"),
    ("encrypt", "bots.wechat.codec", "WeChatCodec.seal"),
)
HANDLER = ("WeChat handler", "bots.wechat.channel", "WeChatChannel._receive")

_SPENT: defaultdict[str, float] = defaultdict(float)
_CALLS: defaultdict[str, int] = defaultdict(int)


def _timed(stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.iscoroutinefunction(function):

        @functools.wraps(function)
        async def clocked_async(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return await function(*args, **kwargs)
            finally:
                _SPENT[stage] += time.perf_counter() - start
                _CALLS[stage] += 1

        return clocked_async

    @functools.wraps(function)
    def clocked(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            _SPENT[stage] += time.perf_counter() - start
            _CALLS[stage] += 1

    return clocked


def install() -> None:
    """Wrap every stage's function where its callers look it up."""
    for stage, module_name, path in (*STAGES, HANDLER):
        owner: Any = importlib.import_module(module_name)
        *outer, name = path.split(".")
        for part in outer:
            owner = getattr(owner, part)
        setattr(owner, name, _timed(stage, getattr(owner, name)))


def thread_cpu(pid: int) -> dict[int, float]:
    """CPU seconds (user + system) of each thread of process `pid`."""
    tick = os.sysconf("SC_CLK_TCK")
    times = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # the thread ended meanwhile
            continue
        times[int(task.name)] = (int(fields[11]) + int(fields[12])) / tick
    return times


@dataclass
class CpuSplit:
    """CPU the service used during the load: its event loop's thread and the others."""

    loop_s: float
    others_s: float

    @classmethod
    def between(cls, pid: int, before: dict[int, float], after: dict[int, float]) -> CpuSplit:
        spent = {t: s - before.get(t, 0.0) for t, s in after.items()}
        loop = spent.pop(pid, 0.0)
        return cls(loop, sum(spent.values()))


def snapshot(pid: int, out: Path) -> dict[str, float]:
    """The stage clocks of the service `pid` now (it writes them to `out` on SIGUSR1);
    called between loads, so waiting for the file blocks nothing that is measured."""
    out.unlink(missing_ok=True)
    os.kill(pid, signal.SIGUSR1)
    while not out.exists():
        time.sleep(0.05)
    return {k: float(v) for k, v in json.loads(out.read_text()).items()}


def breakdown(
    first: dict[str, float], last: dict[str, float], cpu: CpuSplit, latency_s: float
) -> list[str]:
    """The table between two snapshots: each stage's time per message and its share of
    the handler's; then what the client waited beyond the handler (aiohttp, the event
    loop, the network), and the CPU the process used per message."""
    spent = {k: v - first.get(k, 0.0) for k, v in last.items()}
    messages = spent["messages"]
    handler = spent[HANDLER[0]]
    lines = [f"{'stage':<32} {'ms/msg':>7} {'share':>6}"]

    def row(name: str, seconds: float, share: bool = True) -> None:
        shown = f"{seconds / handler:6.1%}" if share else ""
        lines.append(f"{name:<32} {seconds / messages * 1000:7.3f} {shown}")

    staged = 0.0
    for name in dict.fromkeys(stage for stage, _, _ in STAGES):
        staged += spent.get(name, 0.0)
        row(name, spent.get(name, 0.0))
    row("rest of the WeChat handler", handler - staged)
    row("the WeChat handler, in all", handler)
    row("aiohttp, loop, network", latency_s * messages - handler, share=False)
    row("the client's wait (mean)", latency_s * messages, share=False)
    row("the process's CPU", cpu.loop_s + cpu.others_s, share=False)
    row("  of it in driver threads", cpu.others_s, share=False)
    return lines


def main() -> None:
    out = Path(sys.argv[sys.argv.index("--out") + 1])
    module = sys.argv[sys.argv.index("-m") + 1]
    install()

    def write(_signal: int, _frame: object) -> None:
        written = out.with_suffix(".part")
        written.write_text(json.dumps({**_SPENT, "messages": _CALLS[HANDLER[0]]}))
        written.rename(out)

    signal.signal(signal.SIGUSR1, write)
    sys.argv = [module, *sys.argv[sys.argv.index("-m") + 2 :]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()

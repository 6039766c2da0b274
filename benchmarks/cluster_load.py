"""Benchmark: four `intake serve` behind nginx on one PostgreSQL, through a kill -9 of one
process and a restart of the database, with platforms that redeliver.

Everything runs on this machine in a temp folder: a throwaway PostgreSQL cluster of its
own (initdb, port 55432, never the server on 5432), the Bot API double and the WeChat
platform double from the tests as loopback servers, four `intake serve` processes
(Telegram in webhook mode, WeChat in safe mode, the embedded scheduler and dispatcher)
and nginx in front of them. This process plays the platforms and the people: customers
walk complaint and suggestion dialogues over Telegram webhook updates and WeChat
messages, staff take, classify and resolve the cases with bot commands, and a share of
the webhooks is delivered again the way the platforms do (same update_id / MsgId, at
once or after the answer; anything not answered 200 in time is retried until it is).

Meanwhile one process is killed with SIGKILL and started again, and the database is
stopped and started, while `/healthz` of one process is polled directly (it must answer
503 while the database is away and 200 after). At the end, once the outbox is empty, the
database and the doubles are compared: every message queued arrived exactly once, every
finished dialogue is exactly one case. Exit code 1 on any loss or duplicate.

    .venv/bin/python -m benchmarks.cluster_load          # 5 minutes, 300 customers, 8 s apart
    .venv/bin/python -m benchmarks.cluster_load --smoke  # about a minute, as CI runs it
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import shutil
import signal
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.cluster_checks import check, summarize
from benchmarks.cluster_platforms import (
    WEBHOOK_SECRET,
    BotApi,
    Rig,
    Stats,
    send_telegram,
    send_wechat,
)
from benchmarks.cluster_rig import (
    REPO,
    Nginx,
    PgCluster,
    Service,
    free_port,
    run_intake,
)
from tests.doubles.telegram_bot_api import SentMessage
from tests.doubles.wechat_platform import (
    WeChatApiServer,
    WeChatPlatform,
)

PROCESSES = 4
WECHAT_TOKEN = "ClusterToken"
WECHAT_APP_ID = "wxcluster00000001"
WECHAT_SECRET = "cluster-app-secret"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
STAFF_IDS = range(900_001, 900_005)
CASE_NUMBER = re.compile(r"\b(?:CP|SG|PR)-\d{8}-\d{4}\b")
DESCRIPTION = "ATM 吞卡后网点无人处理，等待了一个多小时，希望尽快解决。"
# A dialogue, answer by answer; option numbers are typed (both channels take them): the
# menu, a business type, "online" (no INTAKE_BRANCHES), an e-channel, the description and
# on, for a complaint the outcome wanted, consent, name, phone, and submit.
SCRIPTS = {
    "complaint": [
        *("你好", "1", "5", "1", "1", DESCRIPTION, "1", "退卡", "1"),
        *("张三", "13812348000", "1"),
    ],
    "suggestion": ["你好", "2", "5", "1", "1", DESCRIPTION, "1", "1", "李四", "13912348000", "1"],
}
REPLY_WAIT = 120.0  # a customer waiting this long for an answer: a lost answer


# ------------------------------------------------------------------ the people


async def telegram_says(rig: Rig, user: int, text: str) -> list[SentMessage] | None:
    """Send a text and wait for the service's answer; the messages that came."""
    seen = len(rig.api.sent(user))
    sent_at = time.monotonic()
    if not await send_telegram(rig, rig.api.user_text(user, text, enqueue=False)):
        return None
    try:
        await rig.api.wait_for_count(user, seen + 1, REPLY_WAIT)
    except TimeoutError:
        return None
    rig.stats.reply_times.append(time.monotonic() - sent_at)
    return rig.api.sent(user)[seen:]


async def _think(rig: Rig, think: float) -> None:
    await asyncio.sleep(think * (0.5 + rig.rng.random()))


async def telegram_customer(rig: Rig, user: int, kind: str, think: float, cases: Any) -> None:
    rig.stats.started[f"telegram {kind}"] += 1
    script = SCRIPTS[kind]
    for step, text in enumerate(script):
        answer = await telegram_says(rig, user, text)
        if answer is None:
            rig.stats.stuck.append(f"telegram:{user} at step {step}")
            return
        if step < len(script) - 1:
            await _think(rig, think)
    # The confirmation may follow the answer it came with: read until the number shows.
    deadline = time.monotonic() + REPLY_WAIT
    while time.monotonic() < deadline:
        for message in rig.api.sent(user):
            found = CASE_NUMBER.search(message.text or "")
            if found:
                rig.stats.completed[found.group(0)] = f"telegram:{user}"
                await cases.put((found.group(0), kind))
                return
        with contextlib.suppress(TimeoutError):
            await rig.api.wait_for_count(user, len(rig.api.sent(user)) + 1, 5)
    rig.stats.stuck.append(f"telegram:{user} without a case number")


async def wechat_customer(rig: Rig, openid: str, kind: str, think: float, cases: Any) -> None:
    rig.stats.started[f"wechat {kind}"] += 1
    script = SCRIPTS[kind]
    reply = ""
    for step, text in enumerate(script):
        answer = await send_wechat(rig, rig.wechat.build_text(openid, text))
        if answer is None:
            rig.stats.stuck.append(f"wechat:{openid} at step {step}")
            return
        reply = answer
        if step < len(script) - 1:
            await _think(rig, think)
    found = CASE_NUMBER.search(reply)
    if found is None:  # did not fit the passive reply: it follows as a push
        deadline = time.monotonic() + REPLY_WAIT
        while found is None and time.monotonic() < deadline:
            for message in rig.wechat.api.custom_messages(openid):
                found = found or CASE_NUMBER.search(message.text or "")
            if found is None:
                await asyncio.sleep(1)
    if found is None:
        rig.stats.stuck.append(f"wechat:{openid} without a case number: {reply[:80]!r}")
        return
    rig.stats.completed[found.group(0)] = f"wechat:{openid}"
    await cases.put((found.group(0), kind))


async def customer_slot(rig: Rig, slot: int, think: float, cases: Any) -> None:
    """One customer after another, each filing one case, until the load phase ends."""
    serial = 0
    while time.monotonic() < rig.stop_at:
        serial += 1
        kind = "complaint" if rig.rng.random() < 0.6 else "suggestion"
        if slot % 2 == 0:
            await telegram_customer(rig, 10_000_000 + slot * 10_000 + serial, kind, think, cases)
        else:
            openid = f"oCluster{slot:04d}x{serial:05d}"
            await wechat_customer(rig, openid, kind, think, cases)
        await _think(rig, think)


async def staff_member(rig: Rig, user: int, cases: Any) -> None:
    """Takes the cases as they are filed and answers them, until the load phase ends."""
    while time.monotonic() < rig.stop_at:
        try:
            number, kind = await asyncio.wait_for(cases.get(), 2)
        except TimeoutError:
            continue
        if kind == "complaint":
            commands = [
                f"/take {number}",
                f"/classify {number} 2",
                f"/resolve {number} 处理结果：{number} 银行卡已找回，请到网点领取。",
            ]
        else:
            commands = [f"/take {number}", f"/adopt {number}"]
        for command in commands:
            if await telegram_says(rig, user, command) is None:
                rig.stats.staff_failed.append(f"{number}: {command}")
                break
        else:
            rig.stats.staff_done[number] = (kind, time.monotonic())


# ------------------------------------------------------------------ the trouble


async def kill_and_restart(rig: Rig, at: float, down_for: float, start: float) -> None:
    await asyncio.sleep(max(0.0, start + at - time.monotonic()))
    victim = rig.services[1]
    began = time.monotonic()
    await victim.kill()
    rig.stats.killed_at = began
    print(f"  {began - start:6.1f} s: intake serve #{victim.index} killed (SIGKILL)", flush=True)
    await asyncio.sleep(down_for)
    while True:  # as a supervisor does: again, until it stays up
        await victim.start()
        try:
            await victim.wait_healthy(rig.session, timeout=120)
            break
        except RuntimeError:
            await asyncio.sleep(1)
    back = time.monotonic()
    print(f"  {back - start:6.1f} s: intake serve #{victim.index} up again", flush=True)
    rig.stats.windows.append(("kill -9", began, back + 5))


async def make_trouble(rig: Rig, duration: float, down_for: float, start: float) -> None:
    """One after the other, so that the restarted process does not meet a database away."""
    await kill_and_restart(rig, duration * 0.2, down_for, start)
    await restart_database(rig, max(duration * 0.55, time.monotonic() - start + 3), down_for, start)


async def restart_database(rig: Rig, at: float, down_for: float, start: float) -> None:
    await asyncio.sleep(max(0.0, start + at - time.monotonic()))
    watched = rig.services[0]
    polling = asyncio.create_task(_poll_healthz(rig, watched))
    began = time.monotonic()
    try:
        await asyncio.to_thread(rig.pg.stop)
        print(f"  {time.monotonic() - start:6.1f} s: PostgreSQL stopped", flush=True)
        await asyncio.sleep(down_for)
        restarted = time.monotonic()
        await asyncio.to_thread(rig.pg.start)
        print(f"  {time.monotonic() - start:6.1f} s: PostgreSQL started", flush=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _healthz_back(rig.stats, restarted):  # noqa: ASYNC110
            await asyncio.sleep(0.2)  # the poller's answers, appended by another task
    finally:
        polling.cancel()
        await asyncio.gather(polling, return_exceptions=True)
    statuses = [s for t, s in rig.stats.healthz if t >= began]
    down = [s for t, s in rig.stats.healthz if began + 1 < t < restarted]
    rig.stats.healthz_ok = bool(down) and all(s == 503 for s in down) and statuses[-1] == 200
    rig.stats.windows.append(("PostgreSQL restart", began, time.monotonic() + 5))
    print(
        f"  /healthz of #{watched.index}: {Counter(down)} while the database was away, "
        f"{statuses[-1] if statuses else None} after",
        flush=True,
    )


def _healthz_back(stats: Stats, since: float) -> bool:
    return any(t > since and status == 200 for t, status in stats.healthz)


async def _poll_healthz(rig: Rig, service: Service) -> None:
    url = f"http://127.0.0.1:{service.port}/healthz"
    while True:
        try:
            async with rig.session.get(url, timeout=aiohttp.ClientTimeout(total=5)) as response:
                await response.read()
                rig.stats.healthz.append((time.monotonic(), response.status))
        except (TimeoutError, aiohttp.ClientError):
            rig.stats.healthz.append((time.monotonic(), 0))
        await asyncio.sleep(0.25)


# ------------------------------------------------------------------ set-up


def service_env(
    rig_folder: Path, pg: PgCluster, api: BotApi, wx: WeChatApiServer, port: int
) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO)
        + (":" + os.environ["PYTHONPATH"] if "PYTHONPATH" in os.environ else ""),
        "PTB_TIMEDELTA": "true",
        "DATABASE_URL": pg.url,
        "INTAKE_HTTP_HOST": "127.0.0.1",
        "INTAKE_LOG_LEVEL": "WARNING",
        "INTAKE_SCHEDULER": "embedded",
        "INTAKE_REPORTS_DIR": str(rig_folder / "reports"),
        "INTAKE_WEB_TOKEN_KEY": "cluster-load-web-token-key-0123456789abcdef",
        # A killed process's claimed messages go out once this lease has run out.
        "INTAKE_OUTBOX_LEASE_SECONDS": "20",
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_API_BASE_URL": api.root_url,
        "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/webhook",
        "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "WECHAT_TOKEN": WECHAT_TOKEN,
        "WECHAT_APP_ID": WECHAT_APP_ID,
        "WECHAT_APP_SECRET": WECHAT_SECRET,
        "WECHAT_AES_KEY": AES_KEY,
        "WECHAT_API_BASE_URL": wx.base_url,
    }


async def set_up_desk(rig: Rig, env: dict[str, str], folder: Path) -> None:
    """Cases go to a department with no team chat and no members, so that nobody is told
    of each new one: one chat takes one message a second (Telegram: 20 a minute in a
    group), fewer than the cases this run files. Its staff are supervisors elsewhere,
    who may take any case, registered on Telegram with the code `intake staff invite`
    prints."""
    for code, name, default in (("intake", "受理中心", ["--default"]), ("desk", "客服中心", [])):
        add = ("department", "add", code, "--name", name, "--business", "", *default)
        await run_intake(*add, env=env, cwd=folder)
    for n, user in enumerate(STAFF_IDS, 1):
        invite = ("staff", "invite", "--name", f"坐席{n}", "--role", "supervisor")
        out = await run_intake(*invite, "--department", "desk", env=env, cwd=folder)
        code = out.split()[0]
        answer = await telegram_says(rig, user, f"/register {code}")
        if answer is None or "注册成功" not in (answer[0].text or ""):
            raise RuntimeError(f"staff {user} could not register: {answer}")


# ------------------------------------------------------------------ the run


async def run(args: argparse.Namespace) -> bool:
    folder = Path(tempfile.mkdtemp(prefix="intake-cluster-"))
    # PostgreSQL (as postgres) and nginx's workers (as nobody) work in folders below.
    os.chmod(folder, 0o755)  # noqa: S103
    stack = contextlib.AsyncExitStack()
    try:
        async with stack:
            return await _run(args, folder, stack)
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


async def _run(args: argparse.Namespace, folder: Path, stack: contextlib.AsyncExitStack) -> bool:
    duration = args.minutes * 60
    pg = PgCluster(folder / "pg")
    stack.callback(pg.destroy)
    await asyncio.to_thread(pg.create)
    api = BotApi()
    await stack.enter_async_context(api)
    wx_api = await stack.enter_async_context(
        WeChatApiServer(WECHAT_APP_ID, WECHAT_SECRET, now=time.time)
    )
    nginx_port = free_port()
    env = service_env(folder, pg, api, wx_api, nginx_port)
    await run_intake("db", "upgrade", env=env, cwd=folder)
    services = [Service(i, free_port(), env, folder) for i in range(1, PROCESSES + 1)]
    nginx = Nginx(folder / "nginx", nginx_port, [s.port for s in services])
    session = await stack.enter_async_context(
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    )
    wechat = await stack.enter_async_context(
        WeChatPlatform(
            f"http://127.0.0.1:{nginx_port}/wechat",
            token=WECHAT_TOKEN,
            app_id=WECHAT_APP_ID,
            app_secret=WECHAT_SECRET,
            encoding_aes_key=AES_KEY,
            api=wx_api,
            now=time.time,
        )
    )
    rig = Rig(
        api, wechat, services, nginx, pg, session, Stats(), random.Random(args.seed), args.redeliver
    )
    for service in services:
        stack.push_async_callback(service.stop)
        await service.start()
    stack.push_async_callback(nginx.stop)
    await nginx.start()
    await asyncio.gather(*(s.wait_healthy(session, timeout=120) for s in services))
    await set_up_desk(rig, env, folder)
    print(
        f"cluster: PostgreSQL on 127.0.0.1:{pg.port}, {PROCESSES} x intake serve on "
        f"{[s.port for s in services]}, nginx on {nginx_port}; {args.customers} customers at "
        f"once for {duration:.0f} s",
        flush=True,
    )

    cases: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
    start = rig.began = time.monotonic()
    rig.stop_at = start + duration
    people = [
        asyncio.create_task(customer_slot(rig, slot, args.think, cases))
        for slot in range(args.customers)
    ]
    people += [asyncio.create_task(staff_member(rig, user, cases)) for user in STAFF_IDS]
    trouble = [asyncio.create_task(make_trouble(rig, duration, args.down, start))]
    try:
        await asyncio.gather(*trouble)
        await asyncio.gather(*people)
    finally:
        for task in people + trouble:
            task.cancel()
        await asyncio.gather(*people, *trouble, return_exceptions=True)
    elapsed = time.monotonic() - start
    result = await check(rig, drain_timeout=180)
    return summarize(rig, result, elapsed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="length of the load")
    parser.add_argument("--customers", type=int, default=300, help="customers at once")
    parser.add_argument("--think", type=float, default=8.0, help="seconds between answers")
    parser.add_argument("--redeliver", type=float, default=0.1, help="share redelivered")
    parser.add_argument("--down", type=float, default=8.0, help="seconds a process/PG is down")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (logs)")
    parser.add_argument("--smoke", action="store_true", help="under a minute, as CI runs it")
    args = parser.parse_args()
    if args.smoke:
        args.minutes, args.customers, args.think, args.down = 0.75, 40, 2.0, 4.0
    loop = asyncio.new_event_loop()
    main_task = loop.create_task(run(args))
    # Ctrl-C and SIGTERM cancel the run, which then stops everything it started.
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, main_task.cancel)
    try:
        ok = loop.run_until_complete(main_task)
    except asyncio.CancelledError:
        print("interrupted; everything it started is stopped and removed")
        raise SystemExit(130) from None
    finally:
        loop.close()
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()

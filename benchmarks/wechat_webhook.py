"""Benchmark: signed WeChat messages fired at `/wechat` of a real `intake serve`.

The load comes from this process, the service runs in its own; messages are sent on an
open-loop schedule (the N-th at start + N/rate, whether or not earlier ones have been
answered), so slow answers show up as latency instead of quietly lowering the load.
Each simulated customer walks through a complaint, so cases are filed along the way.

    .venv/bin/python -m benchmarks.wechat_webhook --database sqlite --rate 200 --messages 4000
    .venv/bin/python -m benchmarks.wechat_webhook --database postgresql --rate 200
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import secrets
import statistics
import time
from dataclasses import dataclass

import aiohttp
from wechatpy.crypto import WeChatCrypto

from benchmarks.service import running_service, scratch_database
from bots.wechat.codec import sign

TOKEN = "BenchToken"
APP_ID = "wxbench0000000001"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
# One customer's complaint, step by step; customers start at different steps.
SCRIPT = [
    "你好",
    "1",
    "5",
    "1",
    "ATM 吞卡后网点无人处理，等待了一个多小时。",
    "1",
    "退卡",
    "1",
    "张三",
    "13812348000",
    "1",
]


@dataclass
class Result:
    latencies: list[float]
    errors: int
    elapsed: float


def signed_request(openid: str, text: str, msg_id: int, encrypted: bool) -> tuple[dict, bytes]:
    now = str(int(time.time()))
    nonce = secrets.token_hex(6)
    xml = (
        f"<xml><ToUserName>gh_bench</ToUserName><FromUserName>{openid}</FromUserName>"
        f"<CreateTime>{now}</CreateTime><MsgType>text</MsgType>"
        f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )
    query = {
        "timestamp": now,
        "nonce": nonce,
        "openid": openid,
        "signature": sign(TOKEN, now, nonce),
    }
    if not encrypted:
        return query, xml.encode()
    sealed = WeChatCrypto(TOKEN, AES_KEY, APP_ID).encrypt_message(xml, nonce, now)
    encrypt = sealed.split("<Encrypt><![CDATA[")[1].split("]]>")[0]
    query |= {"encrypt_type": "aes", "msg_signature": sign(TOKEN, now, nonce, encrypt)}
    body = f"<xml><ToUserName>gh_bench</ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    return query, body.encode()


async def fire(port: int, messages: int, rate: float, customers: int, encrypted: bool) -> Result:
    url = f"http://127.0.0.1:{port}/wechat"
    steps = [
        itertools.cycle(SCRIPT[i % len(SCRIPT) :] + SCRIPT[: i % len(SCRIPT)])
        for i in range(customers)
    ]
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=0)

    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(i: int) -> None:
            nonlocal errors
            customer = i % customers
            query, body = signed_request(
                f"oBench{customer:05d}", next(steps[customer]), 10_000_000 + i, encrypted
            )
            sent = time.perf_counter()
            try:
                async with session.post(url, params=query, data=body) as response:
                    await response.read()
                    if response.status != 200:
                        errors += 1
            except aiohttp.ClientError:
                errors += 1
            latencies.append(time.perf_counter() - sent)

        start = time.perf_counter()
        tasks = []
        for i in range(messages):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
        return Result(latencies, errors, time.perf_counter() - start)


def report(kind: str, rate: float, result: Result, cpu: float) -> None:
    ordered = sorted(result.latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    print(
        f"{kind:>10}: {len(ordered)} messages at a target {rate:.0f}/s -> "
        f"{len(ordered) / result.elapsed:.1f}/s achieved, errors {result.errors}; "
        f"latency p50 {pct(0.50):.1f} ms, p99 {pct(0.99):.1f} ms, max {ordered[-1] * 1000:.1f} ms"
        f" (mean {statistics.fmean(ordered) * 1000:.1f} ms); "
        f"service CPU {cpu / len(ordered) * 1000:.2f} ms per message"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--rate", type=float, default=200.0, help="messages per second")
    parser.add_argument("--messages", type=int, default=4000)
    parser.add_argument("--customers", type=int, default=400)
    parser.add_argument("--plaintext", action="store_true", help="no AES (default: safe mode)")
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    env = {
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_APP_ID": APP_ID,
        "WECHAT_APP_SECRET": "bench",
        "WECHAT_AES_KEY": AES_KEY,
        "WECHAT_API_BASE_URL": "http://127.0.0.1:9",
    }
    for kind in kinds:
        async with scratch_database(kind) as url, running_service(url, env) as service:
            encrypted = not args.plaintext
            await fire(
                service.port, min(200, args.messages), args.rate, args.customers, encrypted
            )  # warm-up
            cpu = service.cpu_seconds()
            result = await fire(service.port, args.messages, args.rate, args.customers, encrypted)
            report(kind, args.rate, result, service.cpu_seconds() - cpu)


if __name__ == "__main__":
    asyncio.run(main())

"""The end of `benchmarks.cluster_load`: once the outbox has drained, the database and
the platform doubles compared (lost, twice), and the summary.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from typing import Any

import asyncpg

from benchmarks.cluster_platforms import Rig
from bots.telegram.render import render as telegram_render
from bots.wechat.convert import as_text
from storage.outbox import stored_message as outbox_message
from storage.tables import OutboxRow

KILL_WINDOW_S = 1.0  # how long before a kill -9 a send can still have been unrecorded


async def check(rig: Rig, drain_timeout: float) -> dict[str, Any]:
    """Wait for the outbox to drain, then compare the database with the doubles."""
    dsn = rig.pg.url.replace("postgresql+asyncpg", "postgresql")
    db = await asyncpg.connect(dsn)
    try:
        deadline = time.monotonic() + drain_timeout
        while True:
            pending = await db.fetchval("SELECT count(*) FROM outbox WHERE status = 'pending'")
            if pending == 0 or time.monotonic() > deadline:
                break
            await asyncio.sleep(1)
        await asyncio.sleep(2)  # the last sends' answers are recorded by the doubles
        rows = await db.fetch(
            "SELECT platform, address, to_customer, payload, status FROM outbox ORDER BY id"
        )
        cases = await db.fetch(
            "SELECT number, type, status, customer_platform, customer_user_id FROM cases"
        )
        deliveries = await db.fetchval(
            "SELECT count(*) FROM deliveries WHERE key LIKE 'telegram:%' OR key LIKE 'wechat:%'"
        )
    finally:
        await db.close()

    expected: dict[tuple[str, str], Counter[str]] = {}
    not_sent = Counter(r["status"] for r in rows if r["status"] != "sent")
    for r in rows:
        if r["status"] != "sent":  # counted as not sent; lost: sent, but never arrived
            continue
        for text in _as_sent(r):
            expected.setdefault((r["platform"], r["address"]), Counter())[text] += 1
    arrived: dict[tuple[str, str], Counter[str]] = {}
    when: dict[tuple[str, str, str], list[float]] = {}  # seconds into the load
    for m in rig.api.sent():
        arrived.setdefault(("telegram", str(m.chat_id)), Counter())[m.text or ""] += 1
        when.setdefault(("telegram", str(m.chat_id), m.text or ""), []).append(m.clock)
    wall = time.time() - time.monotonic()
    for c in rig.wechat.api.custom_messages():
        arrived.setdefault(("wechat", c.openid), Counter())[c.text or ""] += 1
        when.setdefault(("wechat", c.openid, c.text or ""), []).append(c.at - wall)
    losses = duplicates = in_kill_window = 0
    examples: list[str] = []
    for chat in expected.keys() | arrived.keys():
        want, got = expected.get(chat, Counter()), arrived.get(chat, Counter())
        missing, extra = want - got, got - want
        losses += sum(missing.values())
        for text in list(missing)[:1]:
            examples.append(f"lost to {chat}: {text[:60]!r}")
        for text, n in extra.items():
            times = when[(*chat, text)]
            if n == 1 and _sent_as_killed(rig.stats.killed_at, times):
                in_kill_window += 1
            else:
                duplicates += n
            shown = ", ".join(f"{t - rig.began:.1f}" for t in times)
            examples.append(f"twice to {chat} at {shown} s: {text[:50]!r}")

    per_customer = Counter(f"{c['customer_platform']}:{c['customer_user_id']}" for c in cases)
    numbers = {c["number"] for c in cases}
    completed = rig.stats.completed
    pushes_missing = [
        number
        for number, (_kind, _at) in rig.stats.staff_done.items()
        if not _pushed(rig, completed[number], number)
    ]
    return {
        "outbox": len(rows),
        "not_sent": dict(not_sent),
        "losses": losses,
        "duplicates": duplicates,
        "in_kill_window": in_kill_window,
        "examples": examples[:10],
        "cases": len(cases),
        "case_status": dict(Counter(c["status"] for c in cases)),
        "cases_twice": sorted(k for k, n in per_customer.items() if n > 1),
        "completed_without_case": sorted(set(completed) - numbers),
        "cases_without_dialogue": len(numbers - set(completed)),
        "deliveries": deliveries,
        "pushes_missing": pushes_missing,
    }


def _sent_as_killed(killed_at: float | None, times: list[float]) -> bool:
    """A message the killed process had sent, the platform accepted, and it died before
    recording: sent again after its lease. No sender can close that window (the Bot API
    and WeChat take no idempotency key; README: "Exactly once")."""
    if killed_at is None or len(times) != 2:
        return False
    return killed_at - KILL_WINDOW_S <= times[0] <= killed_at + 0.1 < times[1]


def _as_sent(row: asyncpg.Record) -> list[str]:
    """The texts an outbox row becomes on its platform, rendered as the channel does."""
    payload = row["payload"]
    stored = OutboxRow(
        platform=row["platform"],
        address=row["address"],
        to_customer=row["to_customer"],
        payload=payload if isinstance(payload, dict) else json.loads(payload),
        idempotency_key="",
    )
    reply = outbox_message(stored).reply
    if row["platform"] == "telegram":
        return [piece.text for piece in telegram_render(reply)]
    return [as_text([reply])]


def _pushed(rig: Rig, customer: str, number: str) -> bool:
    platform, _, user = customer.partition(":")
    if platform == "telegram":
        # The filing's confirmation came this way too: the push is a second message.
        texts, confirmations = [m.text or "" for m in rig.api.sent(int(user))], 1
    else:  # the confirmation was the passive reply
        texts, confirmations = [m.text or "" for m in rig.wechat.api.custom_messages(user)], 0
    return sum(number in t for t in texts) > confirmations


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


def summarize(rig: Rig, result: dict[str, Any], elapsed: float) -> bool:
    s = rig.stats
    first = [r for r in s.requests if not r.redelivery]
    ok = [r.latency for r in first if r.status == 200]
    in_window = [r for r in s.requests if any(a <= r.at <= b for _, a, b in s.windows)]
    bad_in_window = sum(r.status != 200 for r in in_window)
    bad = sum(r.status != 200 for r in s.requests)
    by_status = Counter(r.status for r in s.requests if r.status != 200)
    per_channel = Counter(r.channel for r in first)
    print(f"\nload: {elapsed:.0f} s, {sum(s.started.values())} dialogues started {dict(s.started)}")
    print(
        f"  webhooks: {len(first)} messages in ({dict(per_channel)}), "
        f"{len(s.requests)} requests with redeliveries and retries; accepted {len(s.accepted)}, "
        f"recorded as handled in the database {result['deliveries']}; given up {len(s.gave_up)}"
    )
    print(
        f"  redelivered on purpose: {dict(s.redelivered)}; WeChat redeliveries answered "
        f"differently {len(s.wechat_reply_mismatch)}; malformed replies {len(s.bad_replies)}"
    )
    print(
        f"  latency of first deliveries answered 200: p50 {percentile(ok, 0.5):.1f} ms, "
        f"p99 {percentile(ok, 0.99):.1f} ms; Telegram answer at the Bot API (update to "
        f"sendMessage): p50 {percentile(s.reply_times, 0.5):.0f} ms, "
        f"p99 {percentile(s.reply_times, 0.99):.0f} ms"
    )
    print(
        f"  error budget: {bad} of {len(s.requests)} requests not answered 200 "
        f"({bad / max(1, len(s.requests)):.2%}; {dict(by_status)}, 0 = timeout or refused), "
        f"{bad_in_window} of {len(in_window)} inside the kill/restart windows "
        f"({bad_in_window / max(1, len(in_window)):.2%}); every one retried until accepted"
        if not s.gave_up
        else f"  error budget: {bad} non-200, {len(s.gave_up)} NEVER accepted"
    )
    print(
        f"  cases filed {result['cases']} ({result['case_status']}) = dialogues completed "
        f"{len(s.completed)}; stuck dialogues {len(s.stuck)}; completed without a case "
        f"{len(result['completed_without_case'])}; customers with two cases "
        f"{len(result['cases_twice'])}"
    )
    print(
        f"  staff: {len(s.staff_done)} cases answered with bot commands "
        f"({len(s.staff_failed)} commands unanswered); results pushed to the customer: "
        f"{len(s.staff_done) - len(result['pushes_missing'])}"
    )
    print(
        f"  out: {result['outbox']} messages queued, not sent {result['not_sent'] or 0}; "
        f"{len(rig.api.sent())} sendMessage at the Bot API double, "
        f"{len(rig.wechat.api.custom_messages())} customer-service messages at the WeChat "
        f"API double; lost {result['losses']}, duplicated {result['duplicates']}"
        f" (and {result['in_kill_window']} sent in the instant the process was killed, again "
        f"after its lease)"
    )
    print(f"  /healthz during the database restart: {'503 then 200' if s.healthz_ok else 'WRONG'}")
    for example in result["examples"] + s.stuck[:5] + s.staff_failed[:5] + s.bad_replies[:3]:
        print(f"    {example}")
    failed = (
        result["losses"]
        or result["duplicates"]
        or result["not_sent"]
        or result["cases_twice"]
        or result["completed_without_case"]
        or result["pushes_missing"]
        or s.gave_up
        or s.stuck
        or s.wechat_reply_mismatch
        or s.bad_replies
        or not s.healthz_ok
    )
    print("RESULT: FAILED" if failed else "RESULT: OK, nothing lost, nothing twice")
    return not failed

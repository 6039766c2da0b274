"""The supervisor that keeps a channel trying: backoff, states, and what it reports."""

from __future__ import annotations

import asyncio

from bots.supervisor import ChannelState, Supervisor, backoff, describe
from tests.factories import at

NOW = at("2026-11-02 10:00")


def test_the_pause_doubles_up_to_a_minute_with_jitter() -> None:
    for retries, expected in [(1, 1), (2, 2), (3, 4), (6, 32), (7, 60), (30, 60)]:
        pauses = [backoff(retries, 1.0) for _ in range(50)]
        assert all(0.8 * expected <= p <= 1.2 * expected for p in pauses), (retries, pauses)
        assert len(set(pauses)) > 1  # jittered


def test_errors_are_described_briefly_and_without_secrets() -> None:
    error = ConnectionError("GET /token?appid=wx1&secret=s3cr3t failed for 123:ABC")
    assert describe(error, ("123:ABC",)) == (
        "ConnectionError: GET /token?appid=wx1&secret=*** failed for ***"
    )
    assert describe(TimeoutError()) == "TimeoutError"
    assert len(describe(OSError("x" * 1000))) == 200


async def test_a_failing_start_is_retried_until_it_comes_up() -> None:
    failures: list[Exception] = [ConnectionError("refused"), TimeoutError(), OSError("tok-1 bad")]
    attempts = 0

    async def attempt() -> None:
        nonlocal attempts
        attempts += 1
        if failures:
            raise failures.pop(0)

    came_up = asyncio.Event()
    supervisor = Supervisor(
        "test", clock=lambda: NOW, base_s=0.001, secrets=("tok-1",), on_up=came_up.set
    )
    assert supervisor.health.state is ChannelState.STARTING and not supervisor.down
    supervisor.start(attempt)
    await supervisor.settled()  # after the first attempt
    health = supervisor.health
    assert health.state is ChannelState.DOWN and health.retries >= 1 and supervisor.down
    await asyncio.wait_for(came_up.wait(), 5)
    health = supervisor.health
    assert health.state is ChannelState.UP and health.retries == 0 and attempts == 4
    assert health.last_error == "OSError: *** bad"  # the latest failure stays on show
    assert health.as_json() == {
        "state": "up",
        "since": NOW.isoformat(),
        "last_error": "OSError: *** bad",
        "retries": 0,
    }
    await supervisor.stop()


async def test_a_channel_reported_lost_is_probed_again() -> None:
    attempts: list[int] = []
    ups = asyncio.Queue[None]()
    supervisor = Supervisor(
        "test", clock=lambda: NOW, base_s=0.001, on_up=lambda: ups.put_nowait(None)
    )
    supervisor.lost(ConnectionError("before start"))  # not running: nothing to do
    assert supervisor.health.state is ChannelState.STARTING

    async def attempt() -> None:
        attempts.append(1)

    supervisor.start(attempt)
    await supervisor.settled()
    await asyncio.wait_for(ups.get(), 5)
    assert supervisor.health.state is ChannelState.UP and len(attempts) == 1
    supervisor.lost(ConnectionError("send failed"))
    assert supervisor.down and supervisor.health.last_error == "ConnectionError: send failed"
    await asyncio.wait_for(ups.get(), 5)  # probed, and up again
    assert supervisor.health.state is ChannelState.UP and len(attempts) == 2
    await supervisor.stop()
    assert not supervisor.down


async def test_a_watching_attempt_ignores_reports_and_restarts_when_it_fails() -> None:
    drop = asyncio.Event()
    ups = asyncio.Queue[None]()
    supervisor = Supervisor(
        "test", clock=lambda: NOW, base_s=0.001, on_up=lambda: ups.put_nowait(None)
    )

    async def poll() -> None:  # like a polling loop: up while it runs
        supervisor.up()
        await drop.wait()
        drop.clear()
        raise ConnectionError("poll failed")

    supervisor.start(poll)
    await supervisor.settled()
    await asyncio.wait_for(ups.get(), 5)
    supervisor.lost(ConnectionError("a send failed"))  # the loop is the judge
    assert supervisor.health.state is ChannelState.UP
    drop.set()
    await asyncio.wait_for(ups.get(), 5)  # restarted after the failure
    assert supervisor.health.last_error == "ConnectionError: poll failed"
    await supervisor.stop()

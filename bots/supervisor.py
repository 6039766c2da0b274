"""Keeps a chat channel connected to its platform, however long the platform is away.

A platform outage (the Bot API unreachable or stalling during a deploy, WeChat's token
endpoint failing) must delay a channel, never disable it and never stop the process.
Each channel hands its start-up steps to a `Supervisor`, which runs them in a background
task and, when they fail — or later, when the channel finds the platform gone — runs them
again after a capped exponential backoff with jitter, for as long as the service runs.
Its `Health` is what `/healthz` shows for the channel.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

log = logging.getLogger("bots.supervisor")

BACKOFF_CAP_S = 60.0
MAX_ERROR_CHARS = 200
# Credentials that travel in URLs, and so in the texts of HTTP libraries' errors.
_URL_SECRETS = re.compile(r"(secret|access_token)=[^&\s'\"]+")

Attempt = Callable[[], Awaitable[None]]


class ChannelState(StrEnum):
    STARTING = "starting"  # the first attempt has not finished yet
    UP = "up"
    DOWN = "down"  # the last attempt failed, or the platform went away since


@dataclass(frozen=True, slots=True)
class Health:
    state: ChannelState
    since: datetime  # when it entered this state
    last_error: str | None  # the latest failure (kept once up again), without secrets
    retries: int  # failed attempts since the channel was last up

    def as_json(self) -> dict[str, object]:
        return {
            "state": self.state.value,
            "since": self.since.isoformat(),
            "last_error": self.last_error,
            "retries": self.retries,
        }


def describe(error: BaseException, secrets: Iterable[str] = ()) -> str:
    """A short text for an error, safe to log and to show: known secrets and credentials
    in URLs are masked."""
    text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = _URL_SECRETS.sub(r"\1=***", text)
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


def backoff(retries: int, base_s: float, cap_s: float = BACKOFF_CAP_S) -> float:
    """The pause after the `retries`-th failure in a row: doubling from the base up to the
    cap, then spread by ±20 % so that processes restarted together do not retry in step."""
    delay = min(cap_s, base_s * 2 ** max(retries - 1, 0))
    return delay * random.uniform(0.8, 1.2)  # noqa: S311 (jitter, not cryptography)


class Supervisor:
    def __init__(
        self,
        name: str,
        *,
        clock: Callable[[], datetime],
        base_s: float = 1.0,
        cap_s: float = BACKOFF_CAP_S,
        secrets: Iterable[str] = (),
        on_up: Callable[[], None] | None = None,
    ) -> None:
        """`on_up` is called each time the channel comes up (the dispatcher is woken by it,
        so messages that waited go out at once)."""
        self.name = name
        self._clock = clock
        self._base_s = base_s
        self._cap_s = cap_s
        self._secrets = tuple(secrets)
        self._on_up = on_up
        self._health = Health(ChannelState.STARTING, clock(), None, 0)
        self._task: asyncio.Task[None] | None = None
        self._settled = asyncio.Event()
        self._lost = asyncio.Event()
        self._awaiting_loss = False

    @property
    def health(self) -> Health:
        return self._health

    @property
    def down(self) -> bool:
        """The platform cannot be reached now; messages for it should wait."""
        return self._task is not None and self._health.state is ChannelState.DOWN

    def start(self, attempt: Attempt) -> None:
        """Run `attempt` in the background until it succeeds, and again whenever it fails.

        `attempt` does the start-up steps. It may call `up()` and keep running while the
        platform answers (a polling loop), raising once it does not; or it may return,
        after which the channel counts as up until the channel reports `lost()`."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(attempt), name=f"{self.name} supervisor")

    async def settled(self) -> None:
        """Until the first attempt came up or failed."""
        await self._settled.wait()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    def up(self) -> None:
        if self._health.state is not ChannelState.UP:
            if self._health.state is ChannelState.DOWN:
                log.info("%s channel up again", self.name, extra={"channel": self.name})
            self._health = Health(ChannelState.UP, self._clock(), self._health.last_error, 0)
            if self._on_up is not None:
                self._on_up()
        self._settled.set()

    def lost(self, error: BaseException) -> None:
        """A call found the platform gone. Counts only while the channel rests up after
        its start-up steps; a running attempt (a polling loop) watches for itself."""
        if self._awaiting_loss and self._health.state is ChannelState.UP:
            self._fail(describe(error, self._secrets))
            self._lost.set()

    async def _run(self, attempt: Attempt) -> None:
        while True:
            self._lost.clear()
            try:
                await attempt()
                self.up()
                self._awaiting_loss = True
                await self._lost.wait()  # marked down already, by `lost`
            except asyncio.CancelledError:
                raise
            except Exception as error:  # whatever stops the channel: try again later
                self._fail(describe(error, self._secrets))
            finally:
                self._awaiting_loss = False
            delay = backoff(self._health.retries, self._base_s, self._cap_s)
            log.warning(
                "%s channel cannot reach its platform; retrying in %.1f s",
                self.name,
                delay,
                extra={
                    "channel": self.name,
                    "error": self._health.last_error,
                    "retries": self._health.retries,
                },
            )
            await asyncio.sleep(delay)

    def _fail(self, error: str) -> None:
        previous = self._health
        since = previous.since if previous.state is ChannelState.DOWN else self._clock()
        self._health = Health(ChannelState.DOWN, since, error, previous.retries + 1)
        self._settled.set()

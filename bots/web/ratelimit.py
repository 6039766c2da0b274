"""Requests a minute per conversation and per client address (token buckets, in memory:
each process limits what reaches it)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

# Buckets kept at most; the fullest (idle) ones go first when there are more.
_MAX_KEYS = 50_000


class RateLimit:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._capacity = float(per_minute)
        self._rate = per_minute / 60.0
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str) -> int | None:
        """None if `key` may make a request now; else the seconds until it may."""
        now = self._clock()
        tokens, at = self._buckets.get(key, (self._capacity, now))
        tokens = min(self._capacity, tokens + (now - at) * self._rate)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            return max(1, math.ceil((1 - tokens) / self._rate))
        self._buckets[key] = (tokens - 1, now)
        if len(self._buckets) > _MAX_KEYS:
            self._forget_idle(now)
        return None

    def _forget_idle(self, now: float) -> None:
        full = [
            k
            for k, (tokens, at) in self._buckets.items()
            if tokens + (now - at) * self._rate >= self._capacity
        ]
        for key in full:
            del self._buckets[key]

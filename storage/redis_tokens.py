"""The WeChat access token in Redis, for deployments that prefer it to the database.

Same contract as `SqlWeChatStore.token` / `refresh_token`: one shared token, one fetch
at a time across every process. The refresh lock is a Redis key set with NX and an
expiry (so a crashed holder cannot block the others for long), released only by its
holder.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import datetime, timedelta

from redis.asyncio import Redis

from storage.wechat import TokenFetch

LOCK_TTL_MS = 15_000
# How often a process waiting for another's refresh looks again. The wait is short
# (a token fetch is one HTTPS call) and rare (once in two hours).
_POLL_S = 0.05
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class RedisTokenStore:
    def __init__(self, redis: Redis, prefix: str = "intake:wechat") -> None:
        self._redis = redis
        self._prefix = prefix

    async def token(self, app_id: str) -> tuple[str, datetime] | None:
        value = await self._redis.get(f"{self._prefix}:token:{app_id}")
        if value is None:
            return None
        text = value.decode() if isinstance(value, bytes) else value  # decode_responses or not
        token, expires = text.split("|", 1)
        return token, datetime.fromisoformat(expires)

    async def refresh_token(
        self, app_id: str, stale: str | None, now: datetime, margin: timedelta, fetch: TokenFetch
    ) -> tuple[str, datetime]:
        lock_key = f"{self._prefix}:refresh:{app_id}"
        holder = secrets.token_hex(8)
        async with asyncio.timeout(LOCK_TTL_MS / 1000 * 2):
            while not await self._redis.set(lock_key, holder, nx=True, px=LOCK_TTL_MS):  # noqa: ASYNC110 (another process holds it: nothing local to wait on)
                await asyncio.sleep(_POLL_S)
        try:
            current = await self.token(app_id)
            if current and current[0] != stale and current[1] - margin > now:
                return current  # another process refreshed while we waited
            token, expires_in = await fetch()
            expires_at = now + timedelta(seconds=expires_in)
            await self._redis.set(
                f"{self._prefix}:token:{app_id}",
                f"{token}|{expires_at.isoformat()}",
                ex=expires_in,
            )
            return token, expires_at
        finally:
            await self._redis.eval(_RELEASE, 1, lock_key, holder)

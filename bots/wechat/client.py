"""The WeChat API through wechatpy's client, with one access token shared by all processes.

wechatpy's client is synchronous and would fetch tokens on its own. Here it is told
where the API lives (`WECHAT_API_BASE_URL`, the token endpoint included), its calls run
in worker threads so the event loop never blocks, and the token comes from the shared
store: fetched once, refreshed before expiry, and refreshed exactly once more when
WeChat says it is invalid (40001/40014) or expired (42001), followed by one retry.
A failed fetch raises `TokenUnavailable`, whose text carries no secret (the request's
URL, which error texts quote, holds the AppSecret). Every errcode WeChat answers, and
every fetch that got no answer, is counted (`intake_platform_errors_total`).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from bots.supervisor import describe
from telemetry.series import PLATFORM_ERRORS

T = TypeVar("T")
PLATFORM = "wechat"
TOKEN_REJECTED = frozenset({40001, 40014, 42001})
# Refresh this long before expiry, so no call goes out with a token about to lapse.
REFRESH_MARGIN = timedelta(minutes=5)

TokenFetch = Callable[[], Awaitable[tuple[str, int]]]

# The token for the call running in this context; asyncio.to_thread carries it over.
_current_token: contextvars.ContextVar[str] = contextvars.ContextVar("wechat_access_token")


class TokenUnavailable(Exception):
    """No access token: the token endpoint was unreachable, timed out, or refused."""


class TokenStore(Protocol):
    async def token(self, app_id: str) -> tuple[str, datetime] | None: ...

    async def refresh_token(
        self, app_id: str, stale: str | None, now: datetime, margin: timedelta, fetch: TokenFetch
    ) -> tuple[str, datetime]: ...


class BankWeChatClient(WeChatClient):
    """wechatpy's client, aimed at a configurable API host and fed the shared token."""

    def __init__(self, app_id: str, app_secret: str, api_base_url: str) -> None:
        # auto_retry off: wechatpy would fetch a private token of its own on 40001,
        # voiding everyone else's. The retry happens in `WeChatApi.call` instead.
        super().__init__(app_id, app_secret, auto_retry=False, timeout=10)
        base = api_base_url.rstrip("/")
        self.API_BASE_URL = f"{base}/cgi-bin/"
        self._token_url = f"{base}/cgi-bin/token"

    def fetch_access_token(self) -> dict[str, Any]:
        """GET the token, within the client's timeout (wechatpy's own fetch has none, so a
        stalled endpoint would hold the call, and the store's lock, for ever)."""
        params = {"grant_type": "client_credential", "appid": self.appid, "secret": self.secret}
        try:
            response = self._http.get(self._token_url, params=params, timeout=self.timeout)
            response.raise_for_status()
            result = dict(response.json())
        except (OSError, ValueError) as error:  # requests' errors are OSErrors
            PLATFORM_ERRORS.labels(PLATFORM, "network").inc()
            raise TokenUnavailable(describe(error, (self.secret,))) from None
        if result.get("errcode", 0) != 0 or "access_token" not in result:
            PLATFORM_ERRORS.labels(PLATFORM, str(result.get("errcode", "no_token"))).inc()
            raise TokenUnavailable(f"errcode {result.get('errcode')}: {result.get('errmsg')}")
        return result

    @property
    def access_token(self) -> str:
        token = _current_token.get(None)
        if token is None:
            # AttributeError, not another kind: wechatpy introspects its client's attributes
            # when it is created, outside any call.
            raise AttributeError("WeChat API calls go through WeChatApi.call")
        return token


class WeChatApi:
    def __init__(
        self, client: BankWeChatClient, store: TokenStore, clock: Callable[[], datetime]
    ) -> None:
        self.client = client
        self._store = store
        self._clock = clock
        self._cached: tuple[str, datetime] | None = None
        self._refreshing = asyncio.Lock()
        self._rejected: str | None = None  # a token WeChat refused that no fetch replaced yet

    async def call(self, action: Callable[[BankWeChatClient], T]) -> T:
        token = await self._token()
        try:
            return await self._run(action, token)
        except WeChatClientException as exc:
            if exc.errcode not in TOKEN_REJECTED:
                raise
        self._rejected = token
        return await self._run(action, await self._refresh(stale=token))

    async def ensure_token(self) -> None:
        """Have a usable token (fetching one if need be): the channel's start-up step,
        and its check that the token endpoint answers again after a failure."""
        token = await self._token()
        if token == self._rejected:
            await self._refresh(stale=token)

    async def send_text(self, openid: str, text: str) -> None:
        await self.call(lambda c: c.message.send_text(openid, text))

    async def send_template(self, openid: str, template_id: str, data: dict[str, Any]) -> None:
        await self.call(lambda c: c.message.send_template(openid, template_id, data))

    async def create_menu(self, menu: dict[str, Any]) -> None:
        await self.call(lambda c: c.menu.create(menu))

    async def _run(self, action: Callable[[BankWeChatClient], T], token: str) -> T:
        context = contextvars.copy_context()
        context.run(_current_token.set, token)
        try:
            return await asyncio.to_thread(context.run, action, self.client)
        except WeChatClientException as exc:
            # No errcode: the request failed on the way (unreachable, timed out, a 5xx).
            code = "network" if exc.errcode is None else str(exc.errcode)
            PLATFORM_ERRORS.labels(PLATFORM, code).inc()
            raise

    async def _token(self) -> str:
        now = self._clock()
        if self._cached and self._cached[1] - REFRESH_MARGIN > now:
            return self._cached[0]
        stored = await self._store.token(self.client.appid)
        if stored and stored[1] - REFRESH_MARGIN > now:
            self._cached = stored
            return stored[0]
        return await self._refresh(stale=stored[0] if stored else None)

    async def _refresh(self, stale: str | None) -> str:
        # One refresh at a time in this process; the store's row lock does the same
        # across processes, and hands back a token someone else fetched meanwhile.
        async with self._refreshing:
            if (
                self._cached
                and self._cached[0] != stale
                and (self._cached[1] - REFRESH_MARGIN > self._clock())
            ):
                return self._cached[0]
            self._cached = await self._store.refresh_token(
                self.client.appid, stale, self._clock(), REFRESH_MARGIN, self._fetch
            )
            self._rejected = None
            return self._cached[0]

    async def _fetch(self) -> tuple[str, int]:
        result = await asyncio.to_thread(self.client.fetch_access_token)
        return str(result["access_token"]), int(result.get("expires_in", 7200))

"""The Bot API's HTTP client, counting the errors it answers (`intake_platform_errors_total`).

python-telegram-bot turns an error answer into an exception that no longer carries its
code, so the code is read here, where the answer arrives: every call (sends, getMe,
setWebhook, getUpdates) goes through it.
"""

from __future__ import annotations

from typing import Any

from telegram.error import NetworkError, TimedOut
from telegram.request import HTTPXRequest

from telemetry.series import PLATFORM_ERRORS

PLATFORM = "telegram"


class CountingRequest(HTTPXRequest):
    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        try:
            code, payload = await super().do_request(*args, **kwargs)
        except TimedOut:
            PLATFORM_ERRORS.labels(PLATFORM, "timeout").inc()
            raise
        except NetworkError:
            PLATFORM_ERRORS.labels(PLATFORM, "network").inc()
            raise
        if code >= 400:  # the Bot API's error_code is the HTTP status
            PLATFORM_ERRORS.labels(PLATFORM, str(code)).inc()
        return code, payload

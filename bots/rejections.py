"""Inputs a webhook authenticated but could not understand: refused at the gate, counted.

The platforms redeliver whatever is not acknowledged (Telegram retries a non-2xx answer;
WeChat retries and then shows the customer 「该公众号暂时无法提供服务」), so such an
input is answered as received, stores nothing, and is logged and counted here instead.
The counts are per process, since it started, and appear in `/healthz`; the request
counts as `rejected` in `intake_requests_total`.
"""

from __future__ import annotations

import logging
from collections import Counter

from telemetry.handling import REJECTED, mark

log = logging.getLogger("bots.rejections")


class Rejected(Exception):
    """An authenticated input the service cannot understand.

    `reason` names the field and the problem ("message.text: too long"); it is built from
    the gate's own vocabulary, never from the input, so it holds no personal data and the
    number of distinct reasons stays small.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RejectedInputs:
    """Counts of rejected inputs by channel and reason."""

    def __init__(self) -> None:
        self._counts: dict[str, Counter[str]] = {}

    def record(self, channel: str, rejected: Rejected) -> None:
        log.warning(
            "%s input rejected: %s",
            channel,
            rejected.reason,
            extra={"channel": channel, "reason": rejected.reason},
        )
        self._counts.setdefault(channel, Counter())[rejected.reason] += 1
        mark(REJECTED)

    def total(self, channel: str) -> int:
        return sum(self._counts.get(channel, Counter()).values())

    def snapshot(self) -> dict[str, dict[str, int]]:
        return {channel: dict(counts) for channel, counts in sorted(self._counts.items())}

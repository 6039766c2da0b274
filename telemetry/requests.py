"""Each request or update a channel took in: counted by outcome and logged once, with
its request id (`intake_requests_total`; README: "Logs")."""

from __future__ import annotations

import logging

from telemetry.handling import ERROR, FORBIDDEN, HANDLED, REJECTED, Handling
from telemetry.series import REQUESTS

log = logging.getLogger("intake.requests")


def outcome_of(status: int) -> str:
    """The outcome an HTTP answer stands for, when the handler did not say it."""
    if status in (401, 403):
        return FORBIDDEN
    if status >= 500:
        return ERROR
    if status >= 400:
        return REJECTED
    return HANDLED


def finish(channel: str, current: Handling, answered: str, **fields: object) -> None:
    """Count and log the request `current` of `channel`; `answered` is its outcome unless
    the handler marked another (a rejection, a redelivery). Call it while still handling
    it, so that the line carries its request id."""
    outcome = current.outcome or answered
    REQUESTS.labels(channel, outcome).inc()
    log.info(
        "%s request %s",
        channel,
        outcome,
        extra={"channel": channel, "outcome": outcome, **fields},
    )

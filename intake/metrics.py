"""`GET /metrics`: the service's figures in Prometheus' text format (README: "Monitoring").

The counters and histograms are this process's own (`telemetry.series`); what the
database knows — the outbox's backlog and failures, overdue cases, provisional deadlines
— is read afresh for each scrape (`storage.monitoring`), so every process reports the
same figures and they are right from the first scrape after a restart. The read is
async and comes first; the synchronous rendering then only formats what it found.

Where it is served: on a listener of its own (INTAKE_METRICS_HOST, INTAKE_METRICS_PORT)
and, only when INTAKE_METRICS_TOKEN is set, on the public port too. The token, when set,
is asked for wherever /metrics is served (`Authorization: Bearer TOKEN`).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator
from datetime import datetime

from aiohttp import web
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from intake.wiring import Wiring
from storage.monitoring import Watched, watched
from telemetry.series import CHANNELS

log = logging.getLogger("intake.metrics")

PATH = "/metrics"
# Well inside Prometheus' default scrape timeout (10 s).
READ_TIMEOUT_S = 5.0


class _Scrape:
    """One scrape: the process's series, then what the database said a moment ago."""

    def __init__(self, stored: Watched | None, now: datetime) -> None:
        self._stored = stored
        self._now = now

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()
        up = 0 if self._stored is None else 1
        yield GaugeMetricFamily(
            "intake_database_up", "1 if the database answered this scrape's reads.", value=up
        )
        if self._stored is not None:
            yield from _stored_series(self._stored, self._now)


def _stored_series(stored: Watched, now: datetime) -> Iterable[Metric]:
    # Every channel is listed, at 0 when it has nothing: a series that appears only when
    # something is wrong is hard to alert on.
    channels = sorted({*CHANNELS, *stored.pending, *stored.failed})
    pending = GaugeMetricFamily(
        "intake_outbox_pending", "Outbox messages waiting to be sent.", labels=["channel"]
    )
    age = GaugeMetricFamily(
        "intake_outbox_oldest_pending_age_seconds",
        "Age of the oldest outbox message waiting to be sent; 0 when none waits.",
        labels=["channel"],
    )
    failed = GaugeMetricFamily(
        "intake_outbox_failed",
        "Outbox messages given up on (`intake outbox list`; `intake outbox retry ID`).",
        labels=["channel"],
    )
    for channel in channels:
        pending.add_metric([channel], stored.pending.get(channel, 0))
        oldest = stored.oldest_pending.get(channel)
        age.add_metric([channel], 0 if oldest is None else max(0, (now - oldest).total_seconds()))
        failed.add_metric([channel], stored.failed.get(channel, 0))
    provisional = GaugeMetricFamily(
        "intake_cases_provisional_deadlines",
        "Open cases whose deadline is provisional: the calendar lacks this year.",
        labels=["year"],
    )
    for year, count in sorted(stored.provisional.items()):
        provisional.add_metric([str(year)], count)
    overdue = GaugeMetricFamily(
        "intake_cases_overdue", "Open cases past their deadline.", value=stored.overdue
    )
    return (pending, age, failed, overdue, provisional)


def metrics_handler(wiring: Wiring) -> Callable[[web.Request], Awaitable[web.Response]]:
    configured = wiring.settings.intake_metrics_token
    expected = None if configured is None else f"Bearer {configured.get_secret_value()}"

    async def metrics(request: web.Request) -> web.Response:
        given = request.headers.get("Authorization", "")
        if expected is not None and not hmac.compare_digest(given.encode(), expected.encode()):
            return web.Response(status=401, headers={"WWW-Authenticate": "Bearer"})
        now = wiring.clock()
        stored: Watched | None
        try:
            stored = await asyncio.wait_for(watched(wiring.engine, now), READ_TIMEOUT_S)
        except Exception as error:  # down or slow: the process's own series still count
            log.warning(
                "metrics: the database was not read (%s)", type(error).__name__ or "timeout"
            )
            stored = None
        body = generate_latest(_Scrape(stored, now))
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_PLAIN_0_0_4})

    return metrics


def add_metrics_route(app: web.Application, wiring: Wiring) -> None:
    """/metrics on the public port: only behind a token (else it answers 404)."""
    if wiring.settings.intake_metrics_token is not None:
        app.router.add_get(PATH, metrics_handler(wiring))


def build_metrics_app(wiring: Wiring) -> web.Application:
    """The metrics listener's application: /metrics and nothing else."""
    app = web.Application()
    app.router.add_get(PATH, metrics_handler(wiring))
    return app

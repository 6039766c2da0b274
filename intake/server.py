"""The one HTTP service: health check now; the chat channels mount their routes here.

Every request gets a request id — the proxy's X-Request-Id if well-formed, else a new
one — sent back in the answer's X-Request-Id and carried by every log line written while
handling it and by the outbox messages it queues. Each request to a channel (the
webhooks, the web API) is counted by outcome and logged once.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import time
from datetime import datetime

from aiohttp import web
from aiohttp.typedefs import Handler
from sqlalchemy import text

from bots.supervisor import ChannelState
from bots.telegram.channel import CHANNEL as TELEGRAM
from bots.telegram.webhook import PATH as TELEGRAM_PATH
from bots.telegram.webhook import add_webhook_route
from bots.web.routes import add_web_routes
from bots.web.security import API_PREFIX
from bots.wechat.channel import CHANNEL as WECHAT
from bots.wechat.channel import PATH as WECHAT_PATH
from core.identity import Platform
from intake.config import Settings
from intake.metrics import add_metrics_route, build_metrics_app
from intake.wiring import Wiring
from storage.database import is_sqlite, ping
from storage.migrate import pending_revisions, upgrade
from storage.rekey import unknown_key
from telemetry.handling import accepted_request_id, handling
from telemetry.requests import finish, outcome_of

log = logging.getLogger("intake.server")
WIRING = web.AppKey("wiring", Wiring)
REQUEST_ID_HEADER = "X-Request-Id"
REQUEST_ID = web.RequestKey("request_id", str)


class StartupRefused(RuntimeError):
    """The service will not start; the message says what the operator must do."""


@web.middleware
async def no_traceback(request: web.Request, handler: Handler) -> web.StreamResponse:
    """An unexpected error is logged and answered with a bare 500 (which the platforms
    retry), never with a page describing the error."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception:
        log.exception("request failed", extra={"path": request.path})
        return web.Response(status=500, text="internal error")


def _channel(path: str) -> str | None:
    """The channel a request is for; None for the rest (health, metrics, the page)."""
    if path == TELEGRAM_PATH:
        return TELEGRAM
    if path == WECHAT_PATH:
        return WECHAT
    return Platform.WEB.value if path.startswith(API_PREFIX) else None


@web.middleware
async def request_ids(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Handle the request under its request id; count and log a channel's requests."""
    request_id = accepted_request_id(request.headers.get(REQUEST_ID_HEADER))
    request[REQUEST_ID] = request_id
    channel = _channel(request.path)
    started = time.perf_counter()
    with handling(request_id) as current:
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as answer:
            status = answer.status
            raise
        finally:
            if channel is not None:
                elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
                finish(channel, current, outcome_of(status), status=status, ms=elapsed_ms)


async def _send_request_id(request: web.Request, response: web.StreamResponse) -> None:
    """Every answer names its request id, streams and refusals included."""
    request_id = request.get(REQUEST_ID)
    if request_id is not None:
        response.headers[REQUEST_ID_HEADER] = request_id


def build_web_app(wiring: Wiring) -> web.Application:
    app = web.Application(client_max_size=1024 * 1024, middlewares=[request_ids, no_traceback])
    app[WIRING] = wiring
    app.on_response_prepare.append(_send_request_id)
    app.router.add_get("/healthz", healthz)
    add_metrics_route(app, wiring)
    wiring.reports.add_routes(app)
    telegram = wiring.telegram
    if telegram is not None and telegram.webhook is not None:
        add_webhook_route(app, telegram, telegram.webhook.secret, wiring.rejected_inputs)
    if wiring.wechat is not None:
        wiring.wechat.add_routes(app)
    add_web_routes(app, wiring.web)
    return app


def page_url(settings: Settings, port: int) -> str:
    """The page's address: the public one if configured, else this listener's."""
    if settings.intake_public_url:
        return settings.page_url
    host = settings.intake_http_host
    # Listening on every interface: this machine is reached by its loopback address.
    everywhere = host in ("", "0.0.0.0", "::")  # noqa: S104
    shown = "127.0.0.1" if everywhere else f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


async def healthz(request: web.Request) -> web.Response:
    wiring = request.app[WIRING]
    database_ok = await ping(wiring.engine)
    body: dict[str, object] = {
        "status": "ok" if database_ok else "unavailable",
        "database": "ok" if database_ok else "down",
        "calendar_years": _year_span(wiring),
        "rejected_inputs": wiring.rejected_inputs.snapshot(),
    }
    body.update(_readiness(wiring, database_ok))
    return web.json_response(body, status=200 if database_ok else 503)


def _readiness(wiring: Wiring, database_ok: bool) -> dict[str, object]:
    """Each channel's connection to its platform. A platform outage leaves the status at
    200 (a load balancer must not pull every node for it); `ready` and `down` say it."""
    channels = wiring.channel_health()
    down = [name for name, health in channels.items() if health.state is not ChannelState.UP]
    return {
        "channels": {name: health.as_json() for name, health in channels.items()},
        "ready": database_ok and not down,
        "down": down,
    }


def _year_span(wiring: Wiring) -> str:
    years = wiring.calendar.known_years
    return f"{min(years)}-{max(years)}"


async def prepare_database(wiring: Wiring) -> None:
    """SQLite (a single node) migrates itself; on PostgreSQL migrating is a deploy step."""
    if is_sqlite(wiring.engine):
        await upgrade(wiring.engine)
        # SQLite plans with statistics only if asked to gather them; without, the deadline
        # sweep reads every open case for each batch.
        async with wiring.engine.begin() as conn:
            await conn.execute(text("PRAGMA optimize"))
        return
    pending = await pending_revisions(wiring.engine)
    if pending:
        raise StartupRefused(
            f"database schema is behind by {len(pending)} migration(s): run `intake db upgrade`"
        )


async def check_data_keys(wiring: Wiring) -> None:
    """Refuse to start when stored contact data needs a key that is not configured (it
    could not be read), and say so when contact data is stored unencrypted."""
    missing = await unknown_key(wiring.engine)
    if missing == "":
        raise StartupRefused(
            "the database holds encrypted contact data but INTAKE_DATA_KEYS is empty: "
            "configure the keys it was written with"
        )
    if missing is not None:
        raise StartupRefused(
            f"stored contact data needs key {missing!r}, which INTAKE_DATA_KEYS does not "
            "list: add it after the current key"
        )
    if wiring.settings.data_keys is None:
        log.warning(
            "contact data is stored unencrypted: set INTAKE_DATA_KEYS to encrypt it "
            "(README: Privacy)"
        )


def warn_about_calendar(wiring: Wiring, now: datetime) -> None:
    """Deadlines of the coming weeks may fall into next year: say so before they do."""
    local = now.astimezone(wiring.calendar.tz)
    for year in sorted({local.year, local.year + 1}):
        if not wiring.calendar.knows(year):
            log.warning(
                "working-day calendar has no data for %s: deadlines counted through it are "
                "provisional until INTAKE_CALENDAR_FILE lists that year",
                year,
                extra={"year": year},
            )


async def start_metrics_listener(wiring: Wiring) -> web.AppRunner | None:
    """Serve /metrics on INTAKE_METRICS_HOST:INTAKE_METRICS_PORT, if a port is set."""
    settings = wiring.settings
    if settings.intake_metrics_port is None:
        return None
    runner = web.AppRunner(build_metrics_app(wiring), handle_signals=False)
    await runner.setup()
    host, port = settings.intake_metrics_host, settings.intake_metrics_port
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        await runner.cleanup()
        raise StartupRefused(
            f"cannot listen for /metrics on {host}:{port} ({exc.strerror or exc}); stop what "
            "uses that port or set INTAKE_METRICS_HOST and INTAKE_METRICS_PORT (each process "
            "needs a port of its own)"
        ) from None
    log.info("metrics listening", extra={"host": host, "port": runner.addresses[0][1]})
    return runner


async def run_scheduler(wiring: Wiring) -> None:
    """`intake scheduler`: chase deadlines and deliver the outbox, without serving HTTP
    (but /metrics, when INTAKE_METRICS_PORT is set)."""
    await prepare_database(wiring)
    await check_data_keys(wiring)
    metrics = await start_metrics_listener(wiring)
    stop = _stop_on_signals()
    await wiring.start(receive=False, scheduler=True)
    settle_heap()
    try:
        await _until(stop)
    finally:
        if metrics is not None:
            await metrics.cleanup()
        await wiring.stop()
        await wiring.close()
        log.info("stopped")


def settle_heap() -> None:
    """Once started, keep what start-up built out of every later full collection.

    Modules, mappings, compiled statements and the like live as long as the process, yet
    a full (generation 2) collection walks all of them: about 120 ms on this service,
    about once a minute under load, during which no request is answered. Frozen, they
    are never walked again, and a full collection takes a few ms.
    """
    gc.collect()
    gc.freeze()


def _stop_on_signals() -> asyncio.Event:
    """Set on SIGINT or SIGTERM; installed before the channels start, since a platform
    that stalls can hold their first attempt for a while."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def _until(stop: asyncio.Event) -> None:
    await stop.wait()
    log.info("stopping")


async def serve(wiring: Wiring) -> None:
    """Run until SIGINT or SIGTERM, then stop accepting, finish requests and close."""
    await prepare_database(wiring)
    await check_data_keys(wiring)
    warn_about_calendar(wiring, wiring.clock())
    runner = web.AppRunner(build_web_app(wiring), handle_signals=False)
    await runner.setup()
    settings = wiring.settings
    site = web.TCPSite(runner, settings.intake_http_host, settings.intake_http_port)
    try:
        await site.start()
    except OSError as exc:  # the port is taken, or the host is not one of this machine's
        await runner.cleanup()
        await wiring.close()
        raise StartupRefused(
            f"cannot listen on {settings.intake_http_host}:{settings.intake_http_port} "
            f"({exc.strerror or exc}); stop what uses that port or set INTAKE_HTTP_HOST "
            "and INTAKE_HTTP_PORT"
        ) from None
    port = runner.addresses[0][1]
    log.info("listening", extra={"host": settings.intake_http_host, "port": port})
    try:
        metrics = await start_metrics_listener(wiring)
    except StartupRefused:
        await runner.cleanup()
        await wiring.close()
        raise
    # On stdout, apart from the logs: where a newcomer tries the chat in the browser.
    print(f"Open {page_url(settings, port)} in a browser to try the chat.", flush=True)
    stop = _stop_on_signals()
    await wiring.start(scheduler=settings.intake_scheduler == "embedded")
    settle_heap()

    try:
        await _until(stop)
    finally:
        await runner.cleanup()
        if metrics is not None:
            await metrics.cleanup()
        await wiring.stop()
        await wiring.close()
        log.info("stopped")

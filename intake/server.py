"""The one HTTP service: health check now; the chat channels mount their routes here."""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import UTC, datetime

from aiohttp import web
from aiohttp.typedefs import Handler
from sqlalchemy import text

from bots.telegram.webhook import add_webhook_route
from intake.wiring import Wiring
from storage.database import is_sqlite, ping
from storage.migrate import pending_revisions, upgrade

log = logging.getLogger("intake.server")
WIRING = web.AppKey("wiring", Wiring)


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


def build_web_app(wiring: Wiring) -> web.Application:
    app = web.Application(client_max_size=1024 * 1024, middlewares=[no_traceback])
    app[WIRING] = wiring
    app.router.add_get("/healthz", healthz)
    telegram = wiring.telegram
    if telegram is not None and telegram.webhook is not None:
        add_webhook_route(app, telegram, telegram.webhook.secret, wiring.rejected_inputs)
    if wiring.wechat is not None:
        wiring.wechat.add_routes(app)
    return app


async def healthz(request: web.Request) -> web.Response:
    wiring = request.app[WIRING]
    database_ok = await ping(wiring.engine)
    body = {
        "status": "ok" if database_ok else "unavailable",
        "database": "ok" if database_ok else "down",
        "calendar_years": _year_span(wiring),
        "rejected_inputs": wiring.rejected_inputs.snapshot(),
    }
    return web.json_response(body, status=200 if database_ok else 503)


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


def warn_about_calendar(wiring: Wiring, now: datetime) -> None:
    """Deadlines of the coming weeks may fall into next year: say so before they fail."""
    local = now.astimezone(wiring.calendar.tz)
    for year in sorted({local.year, local.year + 1}):
        if year not in wiring.calendar.known_years:
            log.warning(
                "working-day calendar has no data for %s: deadlines falling in it are refused "
                "until INTAKE_CALENDAR_FILE lists that year",
                year,
                extra={"year": year},
            )


async def run_scheduler(wiring: Wiring) -> None:
    """`intake scheduler`: chase deadlines and deliver the outbox, without serving HTTP."""
    await prepare_database(wiring)
    await wiring.start(receive=False, scheduler=True)
    try:
        await _until_signalled()
    finally:
        await wiring.stop()
        await wiring.close()
        log.info("stopped")


async def _until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("stopping")


async def serve(wiring: Wiring) -> None:
    """Run until SIGINT or SIGTERM, then stop accepting, finish requests and close."""
    await prepare_database(wiring)
    warn_about_calendar(wiring, datetime.now(UTC))
    runner = web.AppRunner(build_web_app(wiring), handle_signals=False)
    await runner.setup()
    settings = wiring.settings
    site = web.TCPSite(runner, settings.intake_http_host, settings.intake_http_port)
    await site.start()
    port = runner.addresses[0][1]
    log.info("listening", extra={"host": settings.intake_http_host, "port": port})
    await wiring.start(scheduler=settings.intake_scheduler == "embedded")

    try:
        await _until_signalled()
    finally:
        await runner.cleanup()
        await wiring.stop()
        await wiring.close()
        log.info("stopped")

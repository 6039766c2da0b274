"""The `intake` command: serve, migrate the database, check the working-day calendar."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime

from pydantic import ValidationError

from bots.wechat.menu import custom_menu
from core.errors import UnknownCalendarYear
from intake.calendar_source import CalendarFileError
from intake.config import Settings
from intake.logs import configure_logging
from intake.server import StartupRefused, serve
from intake.wiring import build, build_calendar, system_clock, wechat_api
from storage.database import create_engine
from storage.migrate import upgrade


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        print(f"intake: configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.intake_log_level)
    try:
        return args.run(settings, args)
    except (UnknownCalendarYear, CalendarFileError, StartupRefused) as exc:
        print(f"intake: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="intake", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    cmd = commands.add_parser("serve", help="run the HTTP service (and, later, the bots)")
    cmd.set_defaults(run=_serve)

    db = commands.add_parser("db", help="database schema").add_subparsers(required=True)
    cmd = db.add_parser("upgrade", help="apply pending migrations")
    cmd.set_defaults(run=_db_upgrade)

    wechat = commands.add_parser("wechat", help="WeChat Official Account").add_subparsers(
        required=True
    )
    cmd = wechat.add_parser("menu", help="publish the custom menu")
    cmd.set_defaults(run=_wechat_menu)

    cal = commands.add_parser("calendar", help="working-day calendar").add_subparsers(required=True)
    cmd = cal.add_parser("due", help="when N working days after a moment fall due")
    cmd.add_argument("received", help="e.g. 2026-09-30T17:00 (bank's time zone unless given)")
    cmd.add_argument("days", type=int, help="working days, e.g. 3 for a complaint")
    cmd.set_defaults(run=_calendar_due)
    return parser


def _serve(settings: Settings, _args: argparse.Namespace) -> int:
    asyncio.run(serve(build(settings)))
    return 0


def _db_upgrade(settings: Settings, _args: argparse.Namespace) -> int:
    async def run() -> None:
        engine = create_engine(settings.database_url)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())
    print("database schema is up to date")
    return 0


def _wechat_menu(settings: Settings, _args: argparse.Namespace) -> int:
    async def run() -> bool:
        engine = create_engine(settings.database_url)
        try:
            api = wechat_api(settings, engine, system_clock)
            if api is None:
                return False
            await api.create_menu(custom_menu())
            return True
        finally:
            await engine.dispose()

    if not asyncio.run(run()):
        print("intake: set WECHAT_APP_ID and WECHAT_APP_SECRET first", file=sys.stderr)
        return 2
    print("custom menu published")
    return 0


def _calendar_due(settings: Settings, args: argparse.Namespace) -> int:
    calendar = build_calendar(settings)
    try:
        received = datetime.fromisoformat(args.received)
    except ValueError:
        print(f"intake: not a date and time: {args.received!r}", file=sys.stderr)
        return 2
    if received.tzinfo is None:
        received = received.replace(tzinfo=calendar.tz)
    due = calendar.add_working_days(received, args.days)
    print(f"{due.isoformat()} {due:%A}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

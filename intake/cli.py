"""The `intake` command: serve, migrate the database, check the configuration and the
working-day calendar, the administrators' commands (staff, departments, gift vouchers,
the outbox) and the figures of a period."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import NoReturn, TypeVar
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from core.analytics.periods import Period
from core.desk.staff import Role
from core.messages import LANGUAGES
from intake import admin, refusals
from intake.calendar_source import build_calendar, year_sources
from intake.clock import system_clock
from intake.config import Settings
from intake.logs import configure_logging
from storage.crypto import generate_key
from storage.database import create_engine
from storage.migrate import upgrade
from storage.outbox import SqlOutboxQueue
from storage.rekey import rotate, unknown_key
from storage.unit_of_work import SqlUnitOfWork

T = TypeVar("T")

# The service (aiohttp, the bots, the scheduler) and the report (charts, workbook) are
# imported by the commands that use them, not here: an administrator's `intake staff
# list` then starts in half the time, not paying for modules it never runs.


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.run is None:  # `intake doctor` reads the settings itself: a wrong one is a
        from intake import doctor  # finding of its own, not a refusal

        return doctor.run(system_clock())
    try:
        settings = Settings()
    except ValidationError as exc:
        return _refuse(refusals.configuration(exc))
    configure_logging(settings.intake_log_level, settings.secret_values())
    try:
        return args.run(settings, args)
    except Exception as exc:
        refusal = refusals.explain(exc, settings)
        if refusal is None:  # a bug: its traceback is wanted
            raise
        return _refuse(refusal)


def _refuse(problem: str) -> int:
    """Every refusal: one line, `intake: <problem>; <what to do>`, and exit code 2."""
    print(refusals.one_line(problem), file=sys.stderr)
    return 2


class _Parser(argparse.ArgumentParser):
    """argparse, answering a wrong command line in the one-line form of every refusal."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, refusals.one_line(f"{message}; see `{self.prog} --help`") + "\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="intake", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    cmd = commands.add_parser("serve", help="run the HTTP service (and, later, the bots)")
    cmd.set_defaults(run=_serve)

    cmd = commands.add_parser("scheduler", help="chase deadlines and deliver, without HTTP")
    cmd.set_defaults(run=_scheduler)

    outbox = commands.add_parser(
        "outbox",
        help="messages waiting or failed",
        description="Messages waiting or failed; without a subcommand, the same as `list`.",
    )
    outbox.set_defaults(run=_outbox_list)
    outbox_commands = outbox.add_subparsers(title="subcommands")
    cmd = outbox_commands.add_parser("list", help="messages pending or failed (the default)")
    cmd.set_defaults(run=_outbox_list)
    cmd = outbox_commands.add_parser("retry", help="send a failed message again")
    cmd.add_argument("id", type=int)
    cmd.set_defaults(run=_outbox_retry)

    cmd = commands.add_parser(
        "doctor",
        help="check the settings and the database before a deploy (no platform is called)",
        description="Check the settings' shapes, the calendar's years, and that the database"
        " answers, is migrated and can be read with INTAKE_DATA_KEYS: a line per check, OK,"
        " WARN or FAIL with what to do; exit status 1 if any failed. Nothing leaves the"
        " machine: tokens and keys are checked for their shape, never against Telegram,"
        " WeChat or the mail server.",
    )
    cmd.set_defaults(run=None)

    db = commands.add_parser("db", help="database schema").add_subparsers(required=True)
    cmd = db.add_parser("upgrade", help="apply pending migrations")
    cmd.set_defaults(run=_db_upgrade)

    staff = commands.add_parser("staff", help="staff members").add_subparsers(required=True)
    cmd = staff.add_parser("invite", help="print a one-time registration code (24 h)")
    cmd.add_argument("--name", required=True)
    cmd.add_argument("--role", required=True, choices=[r.name.lower() for r in Role])
    cmd.add_argument("--department", required=True)
    cmd.set_defaults(run=_staff_invite)
    cmd = staff.add_parser("list", help="list staff members and their chat accounts")
    cmd.set_defaults(run=_staff_list)
    cmd = staff.add_parser("disable", help="take a staff member's access away")
    cmd.add_argument("id", type=int)
    cmd.set_defaults(run=_staff_disable)
    cmd = staff.add_parser("enable", help="give a disabled staff member their access back")
    cmd.add_argument("id", type=int)
    cmd.set_defaults(run=_staff_enable)
    cmd = staff.add_parser("set", help="change a staff member's role, department, name, language")
    cmd.add_argument("id", type=int)
    cmd.add_argument("--role", help="agent, lead, supervisor or admin")
    cmd.add_argument("--department", help="a department's code")
    cmd.add_argument("--name")
    cmd.add_argument("--language", help=f"of their desk's texts: {', '.join(LANGUAGES)}")
    cmd.set_defaults(run=_staff_set)
    cmd = staff.add_parser("invitations", help="registration codes not used yet, with expiry")
    cmd.set_defaults(run=_staff_invitations)
    cmd = staff.add_parser("revoke", help="cancel a registration code not used yet")
    cmd.add_argument("code", help="as `intake staff invite` printed it")
    cmd.set_defaults(run=_staff_revoke)

    departments = commands.add_parser("department", help="departments").add_subparsers(
        required=True
    )
    cmd = departments.add_parser("add", help="add or change a department and its routing")
    cmd.add_argument("code")
    cmd.add_argument("--name", required=True)
    cmd.add_argument(
        "--business",
        default="",
        help="comma-separated business types routed here, e.g. credit_card,loans",
    )
    cmd.add_argument("--default", action="store_true", help="gets what no other one handles")
    cmd.set_defaults(run=_department_add)
    cmd = departments.add_parser("set-chat", help="announce new cases in a group chat")
    cmd.add_argument("code")
    chat = cmd.add_mutually_exclusive_group(required=True)
    chat.add_argument("chat", nargs="?", help="PLATFORM:CHAT_ID, e.g. telegram:-1001234567890")
    chat.add_argument("--clear", action="store_true", help="announce them in no chat any more")
    cmd.set_defaults(run=_department_set_chat)
    cmd = departments.add_parser("list", help="list departments")
    cmd.set_defaults(run=_department_list)
    cmd = departments.add_parser(
        "remove", help="delete a department without open cases, staff or pending invitations"
    )
    cmd.add_argument("code")
    cmd.set_defaults(run=_department_remove)

    rewards = commands.add_parser("rewards", help="gift vouchers bought with points")
    vouchers = rewards.add_subparsers(required=True)
    cmd = vouchers.add_parser("add-voucher", help="put a gift voucher in the catalog")
    cmd.add_argument("--name", required=True)
    cmd.add_argument("--cost", required=True, type=int, help="its price in points")
    cmd.add_argument("--stock", required=True, type=int, help="how many can be issued")
    cmd.add_argument(
        "--valid-days", required=True, type=int, help="an issued voucher expires after this"
    )
    cmd.set_defaults(run=_voucher_add)
    cmd = vouchers.add_parser("vouchers", help="the catalog, withdrawn and sold-out ones too")
    cmd.set_defaults(run=_voucher_list)
    cmd = vouchers.add_parser("restock", help="add vouchers to the stock")
    cmd.add_argument("id", type=int)
    cmd.add_argument("quantity", type=int)
    cmd.set_defaults(run=_voucher_restock)
    cmd = vouchers.add_parser("withdraw", help="take a voucher out of the catalog")
    cmd.add_argument("id", type=int)
    cmd.set_defaults(run=_voucher_withdraw)
    cmd = vouchers.add_parser("offer", help="put a withdrawn voucher back in the catalog")
    cmd.add_argument("id", type=int)
    cmd.set_defaults(run=_voucher_offer)
    cmd = vouchers.add_parser("redemptions", help="vouchers issued, newest first")
    cmd.add_argument("--limit", type=_whole_number(1), default=50)
    cmd.set_defaults(run=_redemption_list)

    wechat = commands.add_parser("wechat", help="WeChat Official Account").add_subparsers(
        required=True
    )
    cmd = wechat.add_parser("menu", help="publish the custom menu")
    cmd.set_defaults(run=_wechat_menu)

    keys = commands.add_parser("keys", help="keys for contact data at rest").add_subparsers(
        required=True
    )
    cmd = keys.add_parser("generate", help="print a new key for INTAKE_DATA_KEYS")
    cmd.add_argument("id", nargs="?", help="its id (default: k and today's date)")
    cmd.set_defaults(run=_keys_generate)
    cmd = keys.add_parser("rotate", help="re-encrypt all contact data with the first key")
    cmd.set_defaults(run=_keys_rotate)

    cmd = commands.add_parser(
        "report",
        help="the figures of a month, quarter, year or range of days, against the targets",
        description="The figures of a period in bank time (README: Figures and reports).",
    )
    when = cmd.add_mutually_exclusive_group(required=True)
    when.add_argument("--quarter", type=_period(Period.parse_quarter), help="e.g. 2026Q4")
    when.add_argument("--month", type=_period(Period.parse_month), help="e.g. 2026-11")
    when.add_argument("--year", type=_period(_parse_year), help="e.g. 2026")
    when.add_argument("--from", dest="first", type=_day, help="first day, e.g. 2026-10-05")
    cmd.add_argument("--to", dest="last", type=_day, help="last day (with --from)")
    cmd.add_argument(
        "--json", action="store_true", help="print the figures as one JSON object (no files)"
    )
    cmd.add_argument(
        "--out",
        type=Path,
        help="where the HTML, XLSX and CSV files go (default INTAKE_REPORTS_DIR, which is"
        " ./reports/; made if missing)",
    )
    cmd.add_argument(
        "--reveal",
        action="store_true",
        help="write names, phone numbers and ids unmasked (audited on every case)",
    )
    cmd.set_defaults(run=_report)

    cal = commands.add_parser("calendar", help="working-day calendar").add_subparsers(required=True)
    cmd = cal.add_parser("due", help="when N working days after a moment fall due")
    cmd.add_argument("received", help="e.g. 2026-09-30T17:00 (bank's time zone unless given)")
    cmd.add_argument("days", type=_whole_number(0), help="working days, e.g. 3 for a complaint")
    cmd.set_defaults(run=_calendar_due)
    cmd = cal.add_parser(
        "status", help="years known and from where, years open cases need, provisional deadlines"
    )
    cmd.set_defaults(run=_calendar_status)
    return parser


def _serve(settings: Settings, _args: argparse.Namespace) -> int:
    from intake.server import serve
    from intake.wiring import build

    asyncio.run(serve(build(settings)))
    return 0


def _scheduler(settings: Settings, _args: argparse.Namespace) -> int:
    from intake.server import run_scheduler
    from intake.wiring import build

    asyncio.run(run_scheduler(build(settings)))
    return 0


def _bank_time(moment: datetime, settings: Settings) -> str:
    """How every list shows a moment: bank time with its offset, `2026-12-04 16:23 +08:00`."""
    local = moment.astimezone(ZoneInfo(settings.intake_timezone))
    minutes = int((local.utcoffset() or timedelta()).total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return f"{local:%Y-%m-%d %H:%M} {sign}{hours:02d}:{minutes:02d}"


def _table(header: str, rows: list[str], empty: str) -> None:
    """A list as every command prints it: a header line and a row per line, or a line
    saying there is nothing (and how to change that)."""
    print("\n".join([header, *rows]) if rows else empty)


def _outbox_list(settings: Settings, _args: argparse.Namespace) -> int:
    rows = _with_engine(settings, lambda engine: SqlOutboxQueue(engine).listing())
    lines = []
    for r in rows:
        text = r.text.replace("\n", " ")
        text = text if len(text) <= 60 else text[:59] + "…"
        lines.append(
            f"{r.id}\t{r.status}\t{r.platform}:{r.address}\t{r.case_number or '-'}"
            f"\tattempts {r.attempts}\tnext {_bank_time(r.next_attempt_at, settings)}"
            f"\t{r.last_error or ''}\t{text}"
        )
    _table(
        "id\tstatus\tto\tcase\tattempts\tnext attempt\tlast error\ttext",
        lines,
        "nothing pending or failed",
    )
    if rows:
        print(f"{len(rows)} pending or failed")
    return 0


def _outbox_retry(settings: Settings, args: argparse.Namespace) -> int:
    if not _with_engine(
        settings, lambda engine: SqlOutboxQueue(engine).requeue(args.id, system_clock())
    ):
        return _refuse(f"no failed outbox message {args.id}; `intake outbox` lists the failed ones")
    print(f"outbox message {args.id} queued again")
    return 0


def _db_upgrade(settings: Settings, _args: argparse.Namespace) -> int:
    async def run() -> None:
        engine = create_engine(settings.database_url, keys=settings.data_keys)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())
    print("database schema is up to date")
    return 0


def _with_engine(settings: Settings, work: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    async def run() -> T:
        engine = create_engine(settings.database_url, keys=settings.data_keys)
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _with_database(settings: Settings, work: Callable[[SqlUnitOfWork], Awaitable[T]]) -> T:
    return _with_engine(settings, lambda engine: work(SqlUnitOfWork(engine)))


def _staff_invite(settings: Settings, args: argparse.Namespace) -> int:
    code, expires = _with_database(
        settings,
        lambda uow: admin.invite(
            uow,
            name=args.name,
            role=Role.parse(args.role),
            department=args.department,
            now=system_clock(),
        ),
    )
    print(f"{code}\n(send /register {code} to the bot before {_bank_time(expires, settings)})")
    return 0


def _staff_list(settings: Settings, _args: argparse.Namespace) -> int:
    rows = []
    for member, chats in _with_database(settings, admin.list_staff):
        state = "active" if member.active else "disabled"
        accounts = " ".join(str(c) for c in chats) or "(not registered)"
        rows.append(
            f"{member.id}\t{member.name}\t{member.role.name.lower()}\t{member.department}"
            f"\t{state}\t{member.language}\t{accounts}"
        )
    _table(
        "id\tname\trole\tdepartment\tstate\tlanguage\tchat accounts",
        rows,
        "no staff yet: invite with `intake staff invite`",
    )
    return 0


def _staff_disable(settings: Settings, args: argparse.Namespace) -> int:
    _with_database(settings, lambda uow: admin.disable(uow, args.id))
    print(f"staff member {args.id} disabled")
    return 0


def _staff_enable(settings: Settings, args: argparse.Namespace) -> int:
    if _with_database(settings, lambda uow: admin.enable(uow, args.id)):
        print(f"staff member {args.id} enabled")
    else:
        print(f"staff member {args.id} is active already: nothing changed")
    return 0


def _staff_set(settings: Settings, args: argparse.Namespace) -> int:
    member = _with_database(
        settings,
        lambda uow: admin.change_staff(
            uow,
            args.id,
            name=args.name,
            role=args.role,
            department=args.department,
            language=args.language,
        ),
    )
    print(
        f"staff member {member.id}: {member.name}, {member.role.name.lower()} "
        f"in {member.department}, language {member.language}"
    )
    return 0


def _staff_invitations(settings: Settings, _args: argparse.Namespace) -> int:
    invitations = _with_database(settings, lambda uow: admin.list_invitations(uow, system_clock()))
    _table(
        "name\trole\tdepartment\texpires",
        [
            f"{i.name}\t{i.role.name.lower()}\t{i.department}\t{_bank_time(i.expires_at, settings)}"
            for i in invitations
        ],
        "no pending invitations: invite with `intake staff invite`",
    )
    return 0


def _staff_revoke(settings: Settings, args: argparse.Namespace) -> int:
    invitation = _with_database(settings, lambda uow: admin.revoke(uow, args.code, system_clock()))
    print(
        f"invitation for {invitation.name} ({invitation.role.name.lower()} in "
        f"{invitation.department}) revoked: the code no longer registers anyone"
    )
    return 0


def _department_add(settings: Settings, args: argparse.Namespace) -> int:
    department = _with_database(
        settings,
        lambda uow: admin.save_department(
            uow,
            code=args.code,
            name=args.name,
            business=args.business.split(","),
            default=args.default,
        ),
    )
    print(f"department {department.code} saved")
    return 0


def _department_set_chat(settings: Settings, args: argparse.Namespace) -> int:
    chat = None if args.clear else args.chat
    _with_database(settings, lambda uow: admin.set_department_chat(uow, args.code, chat))
    if chat is None:
        print(f"new cases of {args.code} will not be announced in a chat")
    else:
        print(f"new cases of {args.code} will be announced in {chat.strip()}")
    return 0


def _department_list(settings: Settings, _args: argparse.Namespace) -> int:
    rows = []
    for d in _with_database(settings, admin.list_departments):
        business = ",".join(sorted(b.value for b in d.business_types)) or "-"
        rows.append(
            f"{d.code}\t{d.name}\t{business}\t{'default' if d.is_default else ''}"
            f"\t{d.alert_chat or ''}"
        )
    _table(
        "code\tname\tbusiness types\tdefault\tchat",
        rows,
        "no departments yet: add one with `intake department add`",
    )
    return 0


def _department_remove(settings: Settings, args: argparse.Namespace) -> int:
    department = _with_database(
        settings, lambda uow: admin.remove_department(uow, args.code, system_clock())
    )
    print(f"department {department.code} removed")
    if department.is_default:
        print(
            "it was the default department: mark another with "
            "`intake department add CODE --name NAME --default`, or new cases no other "
            "department handles stay without one"
        )
    return 0


def _whole_number(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least `minimum` (anything else: exit 2)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(f"not a whole number of at least {minimum}: {text!r}")
        return value

    return parse


def _period(parse: Callable[[str], Period]) -> Callable[[str], Period]:
    """An argparse type from a period parser (its refusal names the expected form)."""

    def parsed(text: str) -> Period:
        try:
            return parse(text)
        except ValueError as refusal:
            raise argparse.ArgumentTypeError(str(refusal)) from None

    return parsed


def _parse_year(text: str) -> Period:
    if not (text.strip().isdecimal() and len(text.strip()) == 4):
        raise ValueError(f"not a year: {text!r}; write it as 2026")
    return Period.year(int(text))


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a day: {text!r}; write it as 2026-10-05") from None


def _report(settings: Settings, args: argparse.Namespace) -> int:
    from intake.report_summary import summary
    from intake.reporting import CLI_ACTOR, figures_of, write_report

    period = args.quarter or args.month or args.year
    if period is None:
        if args.last is None:
            return _refuse(
                "--from needs --to, the last day of the range; see `intake report --help`"
            )
        if args.last < args.first:
            return _refuse(
                f"--to {args.last} is before --from {args.first}; give the range's last day"
            )
        period = Period.between(args.first, args.last)
    elif args.last is not None:
        return _refuse("--to goes with --from only; see `intake report --help`")
    if args.json and (args.out or args.reveal):
        return _refuse(
            "--json prints the figures and writes no files: leave out --out and --reveal"
        )
    if args.json:
        figures = _with_engine(
            settings, lambda engine: figures_of(engine, settings, period, now=system_clock())
        )
        print(json.dumps(figures, ensure_ascii=False, indent=2))
        return 0
    now = system_clock()
    progress = _terminal_progress() if sys.stderr.isatty() else None
    files = _with_engine(
        settings,
        lambda engine: write_report(
            engine,
            settings,
            period,
            now=now,
            out_dir=args.out or settings.intake_reports_dir,
            reveal=args.reveal,
            actor=CLI_ACTOR,
            progress=progress,
        ),
    )
    if progress is not None:
        print(file=sys.stderr)  # past the progress line
    print("\n".join(summary(files.figures)))
    for path in (files.html, files.xlsx, files.csv):
        print(f"written: {path}")
    return 0


def _terminal_progress() -> Callable[[str], None]:
    """Progress on one line of the terminal, rewritten in place."""

    def show(message: str) -> None:
        print(f"\r{message}\033[K", end="", file=sys.stderr, flush=True)

    return show


def _voucher_add(settings: Settings, args: argparse.Namespace) -> int:
    voucher = _with_database(
        settings,
        lambda uow: admin.add_voucher(
            uow, name=args.name, cost=args.cost, stock=args.stock, valid_days=args.valid_days
        ),
    )
    print(
        f"{voucher.id}\n({voucher.name}: {voucher.cost} points, {voucher.stock} in stock, "
        f"valid {voucher.valid_days} days once issued)"
    )
    return 0


def _voucher_list(settings: Settings, _args: argparse.Namespace) -> int:
    rows = []
    for v in _with_database(settings, admin.list_vouchers):
        state = "on offer" if v.available else "withdrawn" if not v.active else "sold out"
        rows.append(
            f"{v.id}\t{v.name}\t{v.cost} points\t{v.stock} in stock"
            f"\tvalid {v.valid_days} days\t{state}"
        )
    _table(
        "id\tname\tcost\tstock\tvalidity\tstate",
        rows,
        "no vouchers yet: add one with `intake rewards add-voucher`",
    )
    return 0


def _voucher_restock(settings: Settings, args: argparse.Namespace) -> int:
    voucher = _with_database(settings, lambda uow: admin.restock(uow, args.id, args.quantity))
    withdrawn = (
        ""
        if voucher.active
        else f" (withdrawn: customers see it once you `intake rewards offer {voucher.id}`)"
    )
    print(f"voucher {voucher.id}: {voucher.stock} in stock{withdrawn}")
    return 0


def _voucher_withdraw(settings: Settings, args: argparse.Namespace) -> int:
    _with_database(settings, lambda uow: admin.withdraw_voucher(uow, args.id))
    print(f"voucher {args.id} withdrawn from the catalog")
    return 0


def _voucher_offer(settings: Settings, args: argparse.Namespace) -> int:
    voucher, changed = _with_database(settings, lambda uow: admin.offer_voucher(uow, args.id))
    if not changed:
        print(f"voucher {voucher.id} is on offer already: nothing changed")
    elif voucher.stock == 0:
        print(
            f"voucher {voucher.id} is back in the catalog but sold out: "
            f"customers see it once you `intake rewards restock {voucher.id} N`"
        )
    else:
        print(f"voucher {voucher.id} is on offer again ({voucher.stock} in stock)")
    return 0


def _redemption_list(settings: Settings, args: argparse.Namespace) -> int:
    redemptions = _with_database(settings, lambda uow: admin.list_redemptions(uow, args.limit))
    _table(
        "code\tvoucher\tcustomer\tpoints\tissued\texpires",
        [
            f"{r.code}\t{r.voucher_id} {r.voucher_name}\t{r.customer}\t{r.points} points"
            f"\tissued {_bank_time(r.issued_at, settings)}"
            f"\texpires {_bank_time(r.expires_at, settings)}"
            for r in redemptions
        ],
        "no vouchers issued yet",
    )
    return 0


def _wechat_menu(settings: Settings, _args: argparse.Namespace) -> int:
    from bots.wechat.menu import custom_menu
    from intake.wiring import wechat_api

    async def run() -> bool:
        engine = create_engine(settings.database_url, keys=settings.data_keys)
        try:
            api = wechat_api(settings, engine, system_clock)
            if api is None:
                return False
            await api.create_menu(custom_menu())
            return True
        finally:
            await engine.dispose()

    if not asyncio.run(run()):
        return _refuse("WeChat is not configured; set WECHAT_APP_ID and WECHAT_APP_SECRET first")
    print("custom menu published")
    return 0


def _keys_generate(_settings: Settings, args: argparse.Namespace) -> int:
    key_id = args.id or f"k{system_clock():%Y%m%d}"
    try:
        print(generate_key(key_id))
    except ValueError as refusal:
        print(f"intake: {refusal}", file=sys.stderr)
        return 2
    return 0


def _keys_rotate(settings: Settings, _args: argparse.Namespace) -> int:
    keys = settings.data_keys
    if keys is None:
        print(
            "intake: set INTAKE_DATA_KEYS first: there is no key to encrypt with", file=sys.stderr
        )
        return 2

    async def run(engine: AsyncEngine) -> list[tuple[str, str, int]] | str:
        missing = await unknown_key(engine)
        if missing is not None:  # refuse before rewriting anything
            return missing
        return [(r.table, r.column, r.rewritten) for r in await rotate(engine)]

    done = _with_engine(settings, run)
    if isinstance(done, str):
        print(
            f"intake: stored values need key {done!r}, which INTAKE_DATA_KEYS does not list; "
            "list it after the new key and run this again",
            file=sys.stderr,
        )
        return 2
    for table, column, rewritten in done:
        print(f"{table}.{column}\t{rewritten} re-encrypted")
    print(f"{sum(n for _, _, n in done)} values now under key {keys.current}")
    return 0


def _calendar_due(settings: Settings, args: argparse.Namespace) -> int:
    calendar = build_calendar(settings)
    try:
        received = datetime.fromisoformat(args.received)
    except ValueError:
        return _refuse(
            f"not a date and time: {args.received!r}; write it as 2026-09-30T17:00 "
            "(the bank's time zone) or with an offset, 2026-09-30T17:00+08:00"
        )
    if received.tzinfo is None:
        received = received.replace(tzinfo=calendar.tz)
    due = calendar.deadline(received, args.days)
    guessed = due.provisional_year
    note = "" if guessed is None else f" (provisional: no calendar data for {guessed})"
    print(f"{due.at.isoformat()} {due.at:%A}{note}")
    return 0


def _calendar_status(settings: Settings, _args: argparse.Namespace) -> int:
    tz = ZoneInfo(settings.intake_timezone)
    sources = year_sources(settings.intake_calendar_file)
    needs = _with_database(settings, admin.calendar_needs)
    print("years known:")
    for years, source in _runs(sources):
        where = source.replace("file", f"file {settings.intake_calendar_file}")
        print(f"  {years}\t{where}")
    this_year = system_clock().astimezone(tz).year
    first = this_year
    last = this_year if needs.span is None else needs.span[1].astimezone(tz).year
    if needs.span is not None:
        first = min(first, needs.span[0].astimezone(tz).year)
    needed = range(first, max(last, this_year) + 1)
    missing = [y for y in needed if y not in sources]
    print(f"years needed (this year and open cases' deadlines): {first}-{needed[-1]}")
    print(f"missing: {', '.join(map(str, missing)) or 'none'}")
    total = sum(needs.provisional.values())
    print(f"provisional deadlines of open cases: {total}")
    for year, count in sorted(needs.provisional.items()):
        print(f"  {year}\t{count} case(s)")
    return 0


def _runs(sources: dict[int, str]) -> list[tuple[str, str]]:
    """Consecutive years with the same source as one line: 2004-2026 library."""
    runs: list[tuple[int, int, str]] = []
    for year, source in sources.items():
        if runs and runs[-1][1] == year - 1 and runs[-1][2] == source:
            runs[-1] = (runs[-1][0], year, source)
        else:
            runs.append((year, year, source))
    return [(f"{a}-{b}" if a != b else str(a), source) for a, b, source in runs]


if __name__ == "__main__":
    sys.exit(main())

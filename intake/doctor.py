"""`intake doctor`: checks the configuration and the database before a deploy, and says
what is wrong in one line each.

It checks shapes, never the platforms: a Telegram token that looks like one may still be
revoked, and no request leaves the machine (the Bot API, WeChat and the mail server are
not called). Only the database is reached, with a timeout. What `Settings` validates
already (a URL's driver, the webhook secret's characters, the data keys' format, the
EncodingAESKey's length...) is not checked again: a settings error becomes a finding
of its own, one per variable.

Each finding is `OK`, `WARN` (works, but deserves a look) or `FAIL` (to be corrected);
the exit status is 1 when anything failed, 0 otherwise.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from ipaddress import ip_address
from pathlib import Path
from typing import Literal
from urllib.parse import SplitResult, urlsplit

from alembic.util import CommandError
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bots.telegram.webhook import PATH as TELEGRAM_WEBHOOK_PATH
from intake import refusals
from intake.calendar_source import CalendarFileError, build_calendar
from intake.config import Settings
from intake.logs import configure_logging, scrub
from storage.database import create_engine
from storage.migrate import pending_revisions
from storage.rekey import unknown_key

Status = Literal["ok", "warn", "fail"]

# How long the database may take to answer before it counts as unreachable.
DATABASE_TIMEOUT_S = 5.0
# Bot API tokens as @BotFather issues them: the bot's id, a colon, 35 characters.
_BOT_TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]{35}")
# The only ports Telegram delivers webhooks to.
_WEBHOOK_PORTS = (443, 80, 88, 8443)
# WeChat's rules for the Official Account's server settings and credentials.
_WECHAT_TOKEN = re.compile(r"[A-Za-z0-9]{3,32}")
_WECHAT_APP_ID = re.compile(r"wx[0-9a-zA-Z]{16}")
_WECHAT_APP_SECRET = re.compile(r"[0-9a-zA-Z]{32}")
_WECHAT_AES_KEY = re.compile(r"[A-Za-z0-9+/]+")  # base64 without its padding
# Implicit TLS; the mailer speaks plain SMTP with STARTTLS only.
_SMTPS_PORT = 465


@dataclass(frozen=True, slots=True)
class Finding:
    status: Status
    check: str  # the variable checked, or the part: "schema", "stored data", "settings"
    detail: str  # what was found; unless OK, what to do about it

    def line(self) -> str:
        """As printed: `FAIL TELEGRAM_BOT_TOKEN: ...`, without any secret."""
        return scrub(f"{self.status.upper():<4} {self.check}: {self.detail}")


def ok(check: str, detail: str) -> Finding:
    return Finding("ok", check, detail)


def warn(check: str, detail: str) -> Finding:
    return Finding("warn", check, detail)


def fail(check: str, detail: str) -> Finding:
    return Finding("fail", check, detail)


def run(now: datetime) -> int:
    """`intake doctor`: print a line per finding and a summary; the exit status."""
    try:
        settings = Settings()
    except ValidationError as exc:
        findings = settings_errors(exc)
        rest = "; the other checks run once the settings are valid"
    else:
        # Only for the secrets `scrub` must leave out; the findings are the output.
        configure_logging("WARNING", settings.secret_values())
        missing = no_database_yet(settings)
        reached = [missing] if missing else asyncio.run(database(settings))
        findings = configuration(settings, now) + reached
        rest = ""
    for finding in findings:
        print(finding.line())
    print(summary(findings) + rest)
    return 1 if any(f.status == "fail" for f in findings) else 0


def summary(findings: list[Finding]) -> str:
    failed = sum(f.status == "fail" for f in findings)
    warned = sum(f.status == "warn" for f in findings)
    warnings = f"{warned} warning{'s' if warned != 1 else ''}"
    if failed:
        return f"{failed} problem{'s' if failed != 1 else ''} to correct, {warnings}"
    return "all checks passed" + (f" ({warnings})" if warned else "")


def settings_errors(exc: ValidationError) -> list[Finding]:
    """What `Settings` refused, a finding per variable (nothing else can be checked)."""
    return [
        fail(name or "settings", f"{message}; correct it in the environment or .env")
        for name, message in refusals.wrong(exc)
    ]


def configuration(settings: Settings, now: datetime) -> list[Finding]:
    """The shapes of the settings and the calendar's years: no network, no database."""
    return [
        *_telegram(settings),
        *_wechat(settings),
        *_public_url(settings),
        *_smtp(settings),
        *_calendar(settings, now),
        _data_keys(settings),
    ]


def _telegram(settings: Settings) -> Iterator[Finding]:
    token = settings.telegram_bot_token
    url = settings.telegram_webhook_url
    if token is None:
        if url is not None:
            yield fail(
                "TELEGRAM_WEBHOOK_URL",
                "set, but TELEGRAM_BOT_TOKEN is empty, so Telegram is off: set the token "
                "or leave the URL empty",
            )
        else:
            yield ok("TELEGRAM_BOT_TOKEN", "empty: Telegram is off")
        return
    if _BOT_TOKEN.fullmatch(token.get_secret_value()):
        yield ok("TELEGRAM_BOT_TOKEN", "shaped like a Bot API token (not checked with Telegram)")
    else:
        yield fail(
            "TELEGRAM_BOT_TOKEN",
            "not shaped like a Bot API token (<bot id>:<35 characters of A-Z a-z 0-9 _ ->); "
            "copy it again from @BotFather",
        )
    if url is None:
        yield ok("TELEGRAM_WEBHOOK_URL", "empty: the bot long-polls (one process only)")
    else:
        yield _webhook_url(url)


def _webhook_url(url: str) -> Finding:
    name = "TELEGRAM_WEBHOOK_URL"
    parts = urlsplit(url)
    problem = _address_problem(parts, https_only=True)
    if problem is None and _port(parts) not in _WEBHOOK_PORTS:
        problem = f"Telegram delivers to ports {', '.join(map(str, _WEBHOOK_PORTS))} only"
    if problem is not None:
        return fail(name, f"{problem}; use https://HOST{TELEGRAM_WEBHOOK_PATH}")
    if parts.path != TELEGRAM_WEBHOOK_PATH:
        return warn(
            name,
            f"the service answers webhooks at {TELEGRAM_WEBHOOK_PATH}, not {parts.path or '/'}:"
            f" fine if the reverse proxy maps one to the other, else end the URL with "
            f"{TELEGRAM_WEBHOOK_PATH}",
        )
    return ok(name, f"https://{parts.netloc}{parts.path}")


def _public_url(settings: Settings) -> Iterator[Finding]:
    name = "INTAKE_PUBLIC_URL"
    url = settings.intake_public_url
    if url is None:
        yield ok(name, f"empty: links point at {settings.page_url}")
        return
    parts = urlsplit(url)
    problem = _address_problem(parts, https_only=not _is_loopback(parts.hostname))
    if problem is None and (parts.query or parts.fragment):
        problem = "has a query or fragment, to which links cannot be appended"
    if problem is not None:
        yield fail(name, f"{problem}; write the address people reach, e.g. https://HOST/")
    else:
        yield ok(name, f"{parts.scheme}://{parts.netloc}{parts.path}")


def _address_problem(parts: SplitResult, *, https_only: bool) -> str | None:
    """What is wrong with a URL others are to reach this service at, if anything."""
    allowed = ("https",) if https_only else ("https", "http")
    if parts.scheme not in allowed:
        return f"not an {' or '.join(allowed)} URL"
    if not parts.hostname:
        return "no host"
    if parts.username is not None or parts.password is not None:
        return "carries credentials, which would be sent to everyone who gets the link"
    try:
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        return "the port is not a number from 0 to 65535"
    return None


def _port(parts: SplitResult) -> int:
    return parts.port or (443 if parts.scheme == "https" else 80)


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return host is not None and ip_address(host).is_loopback
    except ValueError:
        return False


def _wechat(settings: Settings) -> Iterator[Finding]:
    # Settings requires the token, app id and secret together, and 43 characters of key.
    token, app_id = settings.wechat_token, settings.wechat_app_id
    secret = settings.wechat_app_secret
    if token is None or app_id is None or secret is None:
        yield ok("WECHAT_TOKEN", "empty: WeChat is off")
        return
    checks = (
        ("WECHAT_TOKEN", token.get_secret_value(), _WECHAT_TOKEN, "3-32 letters and digits"),
        ("WECHAT_APP_ID", app_id, _WECHAT_APP_ID, "wx and 16 letters and digits"),
        ("WECHAT_APP_SECRET", secret.get_secret_value(), _WECHAT_APP_SECRET, "32 hex digits"),
    )
    for name, value, shape, described in checks:
        if shape.fullmatch(value):
            yield ok(name, f"{described} (not checked with WeChat)")
        else:
            yield fail(
                name,
                f"not {described}; copy it from the Official Account's 开发 → 基本配置 page",
            )
    key = settings.wechat_aes_key
    if key is None:
        yield ok("WECHAT_AES_KEY", "empty: plain mode (明文模式), messages unencrypted")
    elif _WECHAT_AES_KEY.fullmatch(key.get_secret_value()):
        yield ok("WECHAT_AES_KEY", "43 characters of base64: safe mode (安全模式)")
    else:
        yield fail(
            "WECHAT_AES_KEY",
            "not base64 (A-Z a-z 0-9 + /, no padding); copy the EncodingAESKey again",
        )


def _smtp(settings: Settings) -> Iterator[Finding]:
    name = "INTAKE_SMTP_HOST"
    host, user = settings.intake_smtp_host, settings.intake_smtp_user
    password = settings.intake_smtp_password
    if host is None:
        if user is not None or password is not None:
            yield fail(
                name,
                "empty, so no e-mail is sent, yet INTAKE_SMTP_USER or INTAKE_SMTP_PASSWORD is "
                "set: set the host or leave them empty",
            )
        else:
            yield ok(name, "empty: no e-mail to offline web customers")
        return
    problems = []
    if (user is None) != (password is None):
        problems.append(
            fail(
                "INTAKE_SMTP_USER" if user is None else "INTAKE_SMTP_PASSWORD",
                "empty, but INTAKE_SMTP_USER and INTAKE_SMTP_PASSWORD go together: set both "
                "or neither",
            )
        )
    if settings.intake_smtp_port == _SMTPS_PORT:
        problems.append(
            fail(
                "INTAKE_SMTP_PORT",
                "465 is implicit TLS, which the mailer does not speak: use the submission "
                "port 587 (STARTTLS)",
            )
        )
    elif password is not None and not settings.intake_smtp_starttls:
        problems.append(
            fail(
                "INTAKE_SMTP_STARTTLS",
                "off, so the password would cross the network in clear: turn it on",
            )
        )
    if "@" not in settings.intake_smtp_from.strip("@"):
        problems.append(fail("INTAKE_SMTP_FROM", "not an e-mail address: set the sender's"))
    if problems:
        yield from problems
    else:
        tls = "STARTTLS" if settings.intake_smtp_starttls else "no TLS"
        yield ok(name, f"{host}:{settings.intake_smtp_port}, {tls} (not connected to)")


def _calendar(settings: Settings, now: datetime) -> Iterator[Finding]:
    """This year's deadlines need this year's working days; next year's may soon."""
    name = "INTAKE_CALENDAR_FILE"
    try:
        calendar = build_calendar(settings)
    except CalendarFileError as problem:
        yield fail(name, f"{problem}; correct the file (format: calendars/README.md)")
        return
    this_year = now.astimezone(calendar.tz).year
    if not calendar.knows(this_year):
        yield fail(
            name,
            f"no working-day data for {this_year}: every deadline is provisional; add the "
            "year to the file (format: calendars/README.md)",
        )
    elif not calendar.knows(this_year + 1):
        yield warn(
            name,
            f"no working-day data for {this_year + 1}: deadlines reaching into it are "
            "provisional; add the year to the file once the State Council publishes it",
        )
    else:
        years = calendar.known_years
        yield ok(name, f"working days known for {min(years)}-{max(years)}")


def _data_keys(settings: Settings) -> Finding:
    # Their format is Settings' to check; here, whether there are any.
    keys = settings.data_keys
    if keys is None:
        return warn(
            "INTAKE_DATA_KEYS",
            "empty: contact data is stored unencrypted; `intake keys generate` prints a key "
            "(README: Privacy)",
        )
    count = len(keys.keys)
    return ok("INTAKE_DATA_KEYS", f"{count} key(s); new data encrypted with {keys.current}")


def no_database_yet(settings: Settings) -> Finding | None:
    """A SQLite file not made yet is no problem; connecting to check it would make it."""
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    if Path(url.database or "").exists():
        return None
    return ok("DATABASE_URL", f"no SQLite file {url.database} yet: `intake serve` creates it")


async def database(settings: Settings) -> list[Finding]:
    """The database answers, its schema is current and every stored value can be read."""
    engine = create_engine(settings.database_url, keys=settings.data_keys)
    try:
        return await _database(settings, engine)
    finally:
        await engine.dispose()


async def _database(settings: Settings, engine: AsyncEngine) -> list[Finding]:
    where = refusals.where(settings.database_url)
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT_S):
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
    except TimeoutError:
        return [
            fail(
                "DATABASE_URL",
                f"the database {where} did not answer within {DATABASE_TIMEOUT_S:g} s; check "
                "DATABASE_URL and that the server runs and accepts connections from here "
                "(schema and stored data not checked)",
            )
        ]
    except Exception as exc:  # refused, wrong password, no such database...: say which
        refusal = refusals.explain(exc, settings)
        if refusal is None:
            raise
        return [fail("DATABASE_URL", f"{refusal} (schema and stored data not checked)")]
    findings = [ok("DATABASE_URL", f"the database {where} answers")]
    try:
        pending = await pending_revisions(engine)
    except CommandError as exc:  # a revision this version does not know: a newer one ran
        return [
            *findings,
            fail("schema", f"{exc}; deploy the version that migrated it, or a newer one"),
        ]
    if not pending:
        findings.append(ok("schema", "no pending migrations"))
    elif engine.dialect.name == "sqlite":
        findings.append(
            warn("schema", f"{len(pending)} pending migration(s): `intake serve` applies them")
        )
        return findings
    else:
        findings.append(
            fail(
                "schema",
                f"behind by {len(pending)} migration(s) ({_span(pending)}): run "
                "`intake db upgrade` (the service refuses to start until then)",
            )
        )
        return findings
    findings.append(await _stored_data(engine))
    return findings


def _span(revisions: list[str]) -> str:
    return revisions[0] if len(revisions) == 1 else f"{revisions[0]} to {revisions[-1]}"


async def _stored_data(engine: AsyncEngine) -> Finding:
    name = "stored data"
    missing = await unknown_key(engine)
    if missing == "":
        return fail(
            name,
            "the database holds encrypted contact data but INTAKE_DATA_KEYS is empty: "
            "configure the keys it was written with",
        )
    if missing is not None:
        return fail(
            name,
            f"contact data needs key {missing!r}, which INTAKE_DATA_KEYS does not list: add "
            "it after the current key",
        )
    return ok(name, "every stored contact value can be read with the configured keys")

"""What the `intake` command answers when it cannot do what it was asked.

Every refusal is one line on stderr, `intake: <the problem>; <what to do>`, and exit
code 2 — never a traceback, and never a secret (the line goes through the same redaction
as the logs). The errors turned into refusals here are those an operator can fix: wrong
input, wrong configuration, a database, Bot API or WeChat that cannot be reached or
refuses. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from core.errors import DomainError
from intake.admin import AdminError
from intake.calendar_source import CalendarFileError
from intake.config import Settings
from intake.logs import scrub
from storage.crypto import Undecryptable

_UNDEFINED_TABLE = "42P01"  # PostgreSQL's SQLSTATE for a missing table


def one_line(text: str) -> str:
    """`intake: TEXT` as printed: a single line, without any secret."""
    first = text.strip().splitlines()[0] if text.strip() else "failed"
    return f"intake: {scrub(first)}"


def configuration(exc: ValidationError) -> str:
    """A settings error as one line: each variable and what is wrong with it.

    pydantic's own text spans lines and repeats the offending values (a database URL with
    its password); only the variable names and the messages are kept.
    """
    problems = [f"{name}: {message}" if name else message for name, message in wrong(exc)]
    return f"configuration error: {'; '.join(problems)}; correct it in the environment or .env"


def wrong(exc: ValidationError) -> list[tuple[str, str]]:
    """Each problem of a settings error: the variable ("" for one that spans several,
    whose message names them) and what is wrong with it."""
    problems = []
    for error in exc.errors():
        message = str(error["msg"]).removeprefix("Value error, ")
        problems.append((".".join(str(part).upper() for part in error["loc"]), message))
    return problems


def explain(exc: Exception, settings: Settings) -> str | None:
    """The refusal for an error the operator can fix, or None for one that is a bug."""
    # Imported here, on the way out: the service's and the platforms' modules are only
    # loaded by the commands that use them (see `intake.cli`), and any error they raise
    # comes from a module already loaded.
    from requests import RequestException
    from telegram.error import InvalidToken, NetworkError
    from wechatpy.exceptions import WeChatClientException

    from bots.web.key import KeyFileRefused
    from bots.wechat.client import TokenUnavailable
    from intake.server import StartupRefused
    from scheduler.runner import SchedulerRefused

    # Refusals whose message already names the problem and the fix.
    # Undecryptable: a stored value needs a key INTAKE_DATA_KEYS does not list.
    # KeyFileRefused: no INTAKE_WEB_TOKEN_KEY, and the data folder cannot keep a generated
    # one.
    explained = (
        DomainError,
        StartupRefused,
        AdminError,
        SchedulerRefused,
        Undecryptable,
        KeyFileRefused,
    )
    if isinstance(exc, explained):
        return str(exc)
    if isinstance(exc, CalendarFileError):
        return f"{exc}; correct INTAKE_CALENDAR_FILE (format: calendars/README.md)"
    if isinstance(exc, WeChatClientException):
        return (
            f"WeChat refused the call (errcode {exc.errcode}: {exc.errmsg}); check "
            "WECHAT_APP_ID, WECHAT_APP_SECRET and the account's IP whitelist"
        )
    if isinstance(exc, TokenUnavailable):  # its text carries no secret
        return (
            f"cannot get a WeChat access token from {settings.wechat_api_base_url} ({exc}); "
            "check WECHAT_API_BASE_URL, WECHAT_APP_ID, WECHAT_APP_SECRET and the network"
        )
    if isinstance(exc, RequestException):  # before OSError: it is one
        return (
            f"cannot reach the WeChat API at {settings.wechat_api_base_url} ({_reason(exc)}); "
            "check WECHAT_API_BASE_URL and the network"
        )
    if isinstance(exc, InvalidToken):
        return "the Bot API refused TELEGRAM_BOT_TOKEN; set the token @BotFather gave"
    if isinstance(exc, NetworkError):
        return (
            f"cannot reach the Bot API at {settings.telegram_api_base_url} ({_reason(exc)}); "
            "check TELEGRAM_API_BASE_URL and the network"
        )
    if isinstance(exc, DBAPIError | OSError | TimeoutError):
        return _database(exc, settings.database_url)
    return None


def _database(exc: Exception, url: str) -> str:
    database = where(url)
    original = (exc.orig or exc) if isinstance(exc, DBAPIError) else exc
    reason = _reason(original)
    if "no such table" in reason or getattr(original, "sqlstate", None) == _UNDEFINED_TABLE:
        return f"the database {database} has no schema yet ({reason}); run `intake db upgrade`"
    return (
        f"cannot use the database {database} ({reason}); check DATABASE_URL and that the "
        "database server runs and accepts this user"
    )


def where(url: str) -> str:
    """Which database, without the password: a file, or host:port/name."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"file {parsed.database}"
    return f"at {parsed.host}:{parsed.port or 5432}/{parsed.database}"


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__

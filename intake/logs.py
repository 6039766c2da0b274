"""Structured (JSON lines) logging that keeps personal data and secrets out of the logs.

Code logs case numbers and platform ids, never names or phone numbers; as a second line
of defence, anything that looks like a mainland mobile number or an e-mail address is
masked before a record is written. Secrets are taken out of every record too — its
message, its extra fields and its exception — by `intake.redaction`: the configured ones
wherever they appear, and anything shaped like a credential. Libraries that would log a
line per request (with the request's URL) are held at WARNING unless the level is DEBUG.

A record written while a request is handled carries its `request_id` (`telemetry.handling`):
the webhook's lines, and the dispatcher's when it delivers what that request queued.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from core.identity import redact
from intake.redaction import Redactor
from telemetry.handling import current_request_id

# Attributes every LogRecord has; anything else was passed with `extra=` and is logged.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}

# One line per HTTP request: the Bot API's URLs carry the bot token, WeChat's the
# access_token. Shown at DEBUG only (redacted, as everything is).
_PER_REQUEST = ("httpx", "httpcore", "urllib3")

# Secrets registered by `configure_logging`; `scrub` and every JsonFormatter use them.
SECRETS = Redactor()


def scrub(text: str) -> str:
    """Text for the console (a refusal, an error) without any secret in it."""
    return SECRETS(text)


class JsonFormatter(logging.Formatter):
    def __init__(self, secrets: Redactor = SECRETS) -> None:
        super().__init__()
        self._secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": self._clean(record.getMessage()),
        }
        request_id = current_request_id()
        if request_id is not None:
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD:
                entry[key] = self._clean(value)
        if record.exc_info:
            entry["exc"] = self._clean(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = self._clean(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False, default=str)

    def _clean(self, value: object) -> object:
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, dict):
            return {str(k): self._clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self._clean(v) for v in value]
        return redact(self._secrets(value if isinstance(value, str) else str(value)))


def configure_logging(level: str, secrets: Iterable[str] = ()) -> None:
    """JSON lines on stderr at `level`, never showing `secrets` (see `Settings`)."""
    SECRETS.add(secrets)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # The access log would repeat every request; keep it for debugging only.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    debugging = root.level <= logging.DEBUG
    for name in _PER_REQUEST:
        logging.getLogger(name).setLevel(logging.DEBUG if debugging else logging.WARNING)
    # aiosqlite's debug lines repeat every statement with its parameters: customers'
    # words and the stored WeChat access token. SQLAlchemy's own echo stays off too.
    logging.getLogger("aiosqlite").setLevel(logging.INFO)

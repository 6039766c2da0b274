"""The request being handled: its id (for the logs and the outbox rows it queues) and
how it turned out (for the request counter).

Bound in a context variable by whoever takes a request in (the HTTP middleware, the
Telegram polling loop, a scheduler job run, the dispatcher delivering a message): code
below reads it without it being passed along, and tasks and worker threads started
while handling inherit it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

# What a proxy may hand in as X-Request-Id (nginx's $request_id is 32 hex digits); anything
# else is replaced, so a log line never carries a caller's arbitrary text.
_WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")

# The outcomes of `intake_requests_total` (see `telemetry.series`).
HANDLED = "handled"
REJECTED = "rejected"  # authenticated but not understood, or a malformed request
FORBIDDEN = "forbidden"  # a bad signature, secret or token
ERROR = "error"  # failed while handling: the platform will redeliver
DUPLICATE = "duplicate"  # a redelivery, answered as the first time and changing nothing


@dataclass(slots=True)
class Handling:
    request_id: str
    # Set by the code that learns it (a rejection, a redelivery); None: judged by the answer.
    outcome: str | None = None


_CURRENT: ContextVar[Handling | None] = ContextVar("intake_handling", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def accepted_request_id(given: str | None) -> str:
    """The caller's id if it is well-formed (a proxy's), else a new one."""
    if given is not None and _WELL_FORMED.fullmatch(given):
        return given
    return new_request_id()


def current_request_id() -> str | None:
    handling = _CURRENT.get()
    return None if handling is None else handling.request_id


def mark(outcome: str) -> None:
    """Say how the request being handled turned out; the first word stands."""
    handling = _CURRENT.get()
    if handling is not None and handling.outcome is None:
        handling.outcome = outcome


@contextmanager
def handling(request_id: str | None = None) -> Iterator[Handling]:
    """Handle a request (or an update, a job run, a delivery) under `request_id`; a new
    id when None."""
    current = Handling(request_id or new_request_id())
    token = _CURRENT.set(current)
    try:
        yield current
    finally:
        _CURRENT.reset(token)

"""The wall clock: the one place the service and the `intake` command read the time.

Everything else is given the clock (or the moment) as a parameter, so tests set it.
"""

from __future__ import annotations

from datetime import UTC, datetime


def system_clock() -> datetime:
    return datetime.now(UTC)

"""The ports the domain needs from the outside world; `storage` implements them."""

from __future__ import annotations

from datetime import date, datetime
from types import TracebackType
from typing import Protocol, Self

from core.case import Case, CaseEvent
from core.identity import CustomerId


class CaseRepository(Protocol):
    async def next_sequence(self, prefix: str, day: date) -> int:
        """The next number in the daily series of `prefix` (1, 2, ...), never reused."""
        ...

    async def add(self, case: Case) -> None:
        """Store a new case and its pending events."""
        ...

    async def get(self, number: str) -> Case | None: ...

    async def save(self, case: Case) -> None:
        """Store changes and pending events; `ConcurrentUpdate` if the case moved on."""
        ...

    async def history(self, number: str) -> list[CaseEvent]:
        """The audit trail, oldest first."""
        ...

    async def open_due_before(self, moment: datetime, limit: int = 100) -> list[Case]:
        """Open cases whose deadline is at or before `moment`, soonest first."""
        ...

    async def open_for_department(self, department: str, limit: int = 100) -> list[Case]:
        """Open cases of a department, soonest deadline first."""
        ...

    async def for_customer(self, customer: CustomerId, limit: int = 20) -> list[Case]:
        """A customer's cases, newest first."""
        ...


class UnitOfWork(Protocol):
    """One transaction: everything done inside commits together or not at all.

    Leaving the block without `commit()` rolls back. A unit of work may be entered again
    for a new transaction.
    """

    cases: CaseRepository

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...

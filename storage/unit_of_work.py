"""`UnitOfWork` on SQL: one session, one transaction, commit or roll back as one."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from storage.case_alerts import SqlCaseAlerts
from storage.database import session_factory
from storage.dialogues import SqlDeliveryLog, SqlDialogueStore
from storage.erasure import SqlPersonalTraces
from storage.outbox import SqlOutbox
from storage.repository import SqlCaseRepository
from storage.rewards import SqlRewardLedger
from storage.staff import SqlStaffDirectory
from storage.vouchers import SqlVoucherStore


class SqlUnitOfWork:
    """Enter for a transaction; leaving without `commit()` (or with an error) rolls back."""

    cases: SqlCaseRepository
    dialogues: SqlDialogueStore
    deliveries: SqlDeliveryLog
    rewards: SqlRewardLedger
    vouchers: SqlVoucherStore
    staff: SqlStaffDirectory
    outbox: SqlOutbox
    case_alerts: SqlCaseAlerts
    traces: SqlPersonalTraces

    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = session_factory(engine)
        self._session: AsyncSession | None = None

    async def __aenter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("this unit of work is already in a transaction")
        self._session = self._sessions()
        self.cases = SqlCaseRepository(self._session)
        self.dialogues = SqlDialogueStore(self._session)
        self.deliveries = SqlDeliveryLog(self._session)
        self.rewards = SqlRewardLedger(self._session)
        self.vouchers = SqlVoucherStore(self._session)
        self.staff = SqlStaffDirectory(self._session)
        self.outbox = SqlOutbox(self._session)
        self.case_alerts = SqlCaseAlerts(self._session)
        self.traces = SqlPersonalTraces(self._session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self._open_session()
        try:
            await session.rollback()  # a no-op after commit()
        finally:
            await session.close()
            self._session = None

    async def commit(self) -> None:
        await self._open_session().commit()

    def _open_session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("enter the unit of work first")
        return self._session

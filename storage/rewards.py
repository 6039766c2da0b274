"""`RewardLedger` on SQL: balances are sums over the append-only ledger."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity import CustomerId, Platform
from core.rewards import RewardEntry, RewardReason
from storage.dialect import upsert
from storage.tables import RewardEntryRow


class SqlRewardLedger:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def _of(self, customer: CustomerId) -> tuple[object, object]:
        return (
            RewardEntryRow.customer_platform == customer.platform.value,
            RewardEntryRow.customer_user_id == customer.user_id,
        )

    async def award(
        self,
        customer: CustomerId,
        reason: RewardReason,
        points: int,
        case_number: str,
        now: datetime,
    ) -> bool:
        # The unique (case, reason) index makes a retry or a double tap a no-op.
        result = await self._session.execute(
            upsert(self._session, RewardEntryRow)
            .values(
                customer_platform=customer.platform.value,
                customer_user_id=customer.user_id,
                points=points,
                reason=reason.value,
                case_number=case_number,
                at=now,
            )
            .on_conflict_do_nothing(index_elements=["case_number", "reason"])
            .returning(RewardEntryRow.id)
        )
        return result.scalar_one_or_none() is not None

    async def balance(self, customer: CustomerId) -> int:
        total = await self._session.scalar(
            select(func.coalesce(func.sum(RewardEntryRow.points), 0)).where(*self._of(customer))
        )
        return int(total or 0)

    async def recent(self, customer: CustomerId, limit: int = 5) -> list[RewardEntry]:
        rows = await self._session.scalars(
            select(RewardEntryRow)
            .where(*self._of(customer))
            .order_by(RewardEntryRow.id.desc())
            .limit(limit)
        )
        return [
            RewardEntry(
                customer=CustomerId(Platform(r.customer_platform), r.customer_user_id),
                points=r.points,
                reason=RewardReason(r.reason),
                case_number=r.case_number,
                at=r.at,
            )
            for r in rows
        ]

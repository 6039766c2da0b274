"""`RewardLedger` on SQL: an append-only ledger, and each customer's balance beside it.

The balance row (`reward_accounts`) changes in the same transaction as the entry that
changes it, so it always equals the sum of the customer's entries; it exists so that
points can be spent with one conditional UPDATE (see `debit`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.identity import CustomerId, Platform
from core.rewards.ledger import RewardEntry, RewardReason
from storage.database import rowcount
from storage.dialect import upsert
from storage.tables import RewardAccountRow, RewardEntryRow


class SqlRewardLedger:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

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
        if result.scalar_one_or_none() is None:
            return False
        await self.credit(customer, points)
        return True

    async def balance(self, customer: CustomerId) -> int:
        total = await self._session.scalar(
            select(col(RewardAccountRow.balance)).where(*_account(customer))
        )
        return int(total or 0)

    async def recent(self, customer: CustomerId, limit: int = 5) -> list[RewardEntry]:
        rows = await self._session.scalars(
            select(RewardEntryRow)
            .where(
                col(RewardEntryRow.customer_platform) == customer.platform.value,
                col(RewardEntryRow.customer_user_id) == customer.user_id,
            )
            .order_by(col(RewardEntryRow.id).desc())
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

    # -- for spending (storage.vouchers) ---------------------------------------------------

    async def credit(self, customer: CustomerId, points: int) -> None:
        """Add `points` to the balance, opening the account on the first credit."""
        await self._session.execute(
            upsert(self._session, RewardAccountRow)
            .values(
                customer_platform=customer.platform.value,
                customer_user_id=customer.user_id,
                balance=points,
            )
            .on_conflict_do_update(
                index_elements=["customer_platform", "customer_user_id"],
                set_={"balance": RewardAccountRow.balance + points},
            )
        )

    async def debit(self, customer: CustomerId, points: int) -> bool:
        """Take `points` off the balance if it holds that many; False (and nothing
        changed) if not.

        Checking and lowering in one statement is what keeps concurrent spending
        honest: on PostgreSQL a second debit waits for the first one's row lock and then
        re-checks the balance it left; on SQLite writers take turns anyway. Once a debit
        succeeded, nobody else can change this balance until its transaction ends.
        """
        result = await self._session.execute(
            update(RewardAccountRow)
            .where(*_account(customer), col(RewardAccountRow.balance) >= points)
            .values(balance=RewardAccountRow.balance - points)
            .execution_options(synchronize_session=False)
        )
        return rowcount(result) == 1

    async def spent(
        self, customer: CustomerId, points: int, redemption_id: int, now: datetime
    ) -> None:
        """The ledger entry for points already taken off by `debit`."""
        await self._session.execute(
            insert(RewardEntryRow).values(
                customer_platform=customer.platform.value,
                customer_user_id=customer.user_id,
                points=-points,
                reason=RewardReason.VOUCHER_REDEEMED.value,
                case_number=None,
                redemption_id=redemption_id,
                at=now,
            )
        )


def _account(customer: CustomerId) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return (
        col(RewardAccountRow.customer_platform) == customer.platform.value,
        col(RewardAccountRow.customer_user_id) == customer.user_id,
    )

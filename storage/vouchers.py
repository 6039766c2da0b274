"""`VoucherStore` on SQL: the gift-voucher catalog, and buying a voucher with points.

A redemption is a few statements in the caller's transaction: take the points off the
balance and one voucher off the stock (each a conditional UPDATE that refuses rather than
going below zero; points taken for a voucher that turns out sold out are put back at
once), then record the voucher issued and the ledger entry paying for it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.identity import CustomerId, Platform
from core.rewards.vouchers import RedeemRefusal, Redemption, Voucher, new_voucher_code
from storage.database import inserted_id, rowcount
from storage.dialect import upsert
from storage.rewards import SqlRewardLedger
from storage.tables import VoucherRedemptionRow, VoucherRow

# A clash between two 60-bit codes is astronomically rare; this many in a row means the
# code source is broken, and the redemption fails rather than looping.
_CODE_ATTEMPTS = 5


class SqlVoucherStore:
    def __init__(
        self, session: AsyncSession, new_code: Callable[[], str] = new_voucher_code
    ) -> None:
        self._session = session
        self._ledger = SqlRewardLedger(session)
        self._new_code = new_code

    # -- the catalog ---------------------------------------------------------------------

    async def add(self, name: str, cost: int, stock: int, valid_days: int) -> Voucher:
        voucher_id = (
            await self._session.execute(
                insert(VoucherRow)
                .values(name=name, cost=cost, stock=stock, valid_days=valid_days, active=True)
                .returning(col(VoucherRow.id))
            )
        ).scalar_one()
        return Voucher(inserted_id(voucher_id), name, cost, stock, valid_days)

    async def get(self, voucher_id: int) -> Voucher | None:
        row = await self._session.get(VoucherRow, voucher_id, populate_existing=True)
        return _voucher(row) if row else None

    async def catalog(self) -> list[Voucher]:
        return await self._vouchers(
            select(VoucherRow)
            .where(col(VoucherRow.active).is_(True), col(VoucherRow.stock) > 0)
            .order_by(col(VoucherRow.cost), col(VoucherRow.id))
        )

    async def all(self) -> list[Voucher]:
        return await self._vouchers(select(VoucherRow).order_by(col(VoucherRow.id)))

    async def restock(self, voucher_id: int, quantity: int) -> int:
        """Add `quantity` to the stock of an existing voucher; the new stock."""
        result = await self._session.execute(
            update(VoucherRow)
            .where(col(VoucherRow.id) == voucher_id)
            .values(stock=VoucherRow.stock + quantity)
            .returning(col(VoucherRow.stock))
            .execution_options(synchronize_session=False)
        )
        return int(result.scalar_one())

    async def withdraw(self, voucher_id: int) -> bool:
        """Take a voucher out of the catalog; False if there is no such voucher."""
        return await self._set_active(voucher_id, False)

    async def offer(self, voucher_id: int) -> bool:
        """Put a withdrawn voucher back in the catalog; False if there is no such voucher."""
        return await self._set_active(voucher_id, True)

    async def _set_active(self, voucher_id: int, active: bool) -> bool:
        result = await self._session.execute(
            update(VoucherRow)
            .where(col(VoucherRow.id) == voucher_id)
            .values(active=active)
            .execution_options(synchronize_session=False)
        )
        return rowcount(result) == 1

    # -- redeeming -----------------------------------------------------------------------

    async def redeem(
        self, customer: CustomerId, voucher_id: int, now: datetime
    ) -> Redemption | RedeemRefusal:
        voucher = await self.get(voucher_id)
        if voucher is None:
            return RedeemRefusal.UNKNOWN
        if not voucher.available:  # as last committed: refuse without writing anything
            return RedeemRefusal.OUT_OF_STOCK
        # The points first: a customer short of them then never queues for the voucher's
        # row, which every redemption of that voucher needs.
        if not await self._ledger.debit(customer, voucher.cost):
            return RedeemRefusal.NOT_ENOUGH_POINTS
        taken = await self._session.execute(
            update(VoucherRow)
            .where(
                col(VoucherRow.id) == voucher_id,
                col(VoucherRow.active).is_(True),
                col(VoucherRow.stock) > 0,
            )
            .values(stock=VoucherRow.stock - 1)
            .execution_options(synchronize_session=False)
        )
        if rowcount(taken) != 1:
            # Sold out (or withdrawn) since it was read: give the points back in this
            # transaction, before anyone can see them gone (the debit holds the account).
            # Not a savepoint: on SQLite one opened by a transaction's first write commits
            # that write when it is released, whatever the transaction does afterwards.
            await self._ledger.credit(customer, voucher.cost)
            return RedeemRefusal.OUT_OF_STOCK
        return await self._issue(voucher, customer, now)

    async def _issue(self, voucher: Voucher, customer: CustomerId, now: datetime) -> Redemption:
        """Record the voucher under a fresh code, and the ledger entry paying for it."""
        expires_at = voucher.expires_at(now)
        for _ in range(_CODE_ATTEMPTS):
            code = self._new_code()
            # A clash on the unique code inserts nothing (and, unlike an error, leaves the
            # transaction usable), so another code is tried.
            redemption_id = (
                await self._session.execute(
                    upsert(self._session, VoucherRedemptionRow)
                    .values(
                        code=code,
                        voucher_id=voucher.id,
                        customer_platform=customer.platform.value,
                        customer_user_id=customer.user_id,
                        points=voucher.cost,
                        issued_at=now,
                        expires_at=expires_at,
                    )
                    .on_conflict_do_nothing(index_elements=["code"])
                    .returning(VoucherRedemptionRow.id)
                )
            ).scalar_one_or_none()
            if redemption_id is not None:
                await self._ledger.spent(customer, voucher.cost, redemption_id, now)
                return Redemption(
                    code, voucher.id, voucher.name, customer, voucher.cost, now, expires_at
                )
        raise RuntimeError(f"no unused voucher code in {_CODE_ATTEMPTS} attempts")

    # -- issued vouchers -----------------------------------------------------------------

    async def redemptions(self, limit: int = 50) -> list[Redemption]:
        return await self._redemptions(limit)

    async def for_customer(self, customer: CustomerId, limit: int = 20) -> list[Redemption]:
        return await self._redemptions(
            limit,
            VoucherRedemptionRow.customer_platform == customer.platform.value,
            VoucherRedemptionRow.customer_user_id == customer.user_id,
        )

    async def _redemptions(self, limit: int, *where: Any) -> list[Redemption]:
        rows = await self._session.execute(
            select(VoucherRedemptionRow, col(VoucherRow.name))
            .join(VoucherRow, col(VoucherRow.id) == col(VoucherRedemptionRow.voucher_id))
            .where(*where)
            .order_by(col(VoucherRedemptionRow.id).desc())
            .limit(limit)
        )
        return [
            Redemption(
                code=r.code,
                voucher_id=r.voucher_id,
                voucher_name=name,
                customer=CustomerId(Platform(r.customer_platform), r.customer_user_id),
                points=r.points,
                issued_at=r.issued_at,
                expires_at=r.expires_at,
            )
            for r, name in rows
        ]

    async def _vouchers(self, stmt: Any) -> list[Voucher]:
        return [_voucher(r) for r in await self._session.scalars(stmt)]


def _voucher(row: VoucherRow) -> Voucher:
    voucher_id = cast(int, row.id)  # a stored row always has one
    return Voucher(voucher_id, row.name, row.cost, row.stock, row.valid_days, row.active)

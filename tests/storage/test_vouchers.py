"""Gift vouchers on a real database: the catalog, redeeming points, and redeeming at once.

The books must always balance: each customer's account equals the sum of their ledger
entries, no balance goes below zero and no more vouchers are issued than were in stock,
however many redemptions run at the same time.
"""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from core.identity import CustomerId, Platform
from core.rewards.ledger import RewardReason
from core.rewards.vouchers import RedeemRefusal, Redemption, Voucher
from storage.database import session_factory
from storage.migrate import upgrade
from storage.tables import RewardAccountRow, RewardEntryRow, VoucherRedemptionRow
from storage.types import UtcDateTime
from storage.unit_of_work import SqlUnitOfWork
from storage.vouchers import SqlVoucherStore
from tests.conftest import database_url, fresh_engine
from tests.factories import ALICE, BOB, at, new_case

NOW = at("2026-11-02 10:00")
CODE = re.compile(r"[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}")


async def give_points(engine: AsyncEngine, customer: CustomerId, points: int) -> None:
    """Credit points the way the bank does: for a case (praise, here)."""
    async with SqlUnitOfWork(engine) as uow:
        number = f"PR-20261102-{len(await uow.cases.for_customer(customer)) + 1:04d}"
        await uow.cases.add(new_case(number, customer=customer))
        assert await uow.rewards.award(customer, RewardReason.PRAISE_FILED, points, number, NOW)
        await uow.commit()


async def add_voucher(
    engine: AsyncEngine, cost: int = 100, stock: int = 10, valid_days: int = 30
) -> Voucher:
    async with SqlUnitOfWork(engine) as uow:
        voucher = await uow.vouchers.add(f"Voucher {cost}", cost, stock, valid_days)
        await uow.commit()
    return voucher


async def redeem(
    engine: AsyncEngine, customer: CustomerId, voucher_id: int
) -> Redemption | RedeemRefusal:
    """One redemption in a transaction of its own, committed whatever the outcome."""
    async with SqlUnitOfWork(engine) as uow:
        outcome = await uow.vouchers.redeem(customer, voucher_id, NOW)
        await uow.commit()
    return outcome


async def balance(engine: AsyncEngine, customer: CustomerId) -> int:
    async with SqlUnitOfWork(engine) as uow:
        return await uow.rewards.balance(customer)


async def stock(engine: AsyncEngine, voucher_id: int) -> int:
    async with SqlUnitOfWork(engine) as uow:
        voucher = await uow.vouchers.get(voucher_id)
    assert voucher is not None
    return voucher.stock


async def ledger_entries(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(RewardEntryRow)) or 0)


async def assert_books_balance(engine: AsyncEngine) -> None:
    """Every account equals its customer's ledger sum; no balance is negative."""
    async with engine.connect() as conn:
        sums = {
            (p, u): int(total)
            for p, u, total in await conn.execute(
                select(
                    col(RewardEntryRow.customer_platform),
                    col(RewardEntryRow.customer_user_id),
                    func.sum(RewardEntryRow.points),
                ).group_by(RewardEntryRow.customer_platform, RewardEntryRow.customer_user_id)
            )
        }
        accounts = {
            (p, u): b
            for p, u, b in await conn.execute(
                select(
                    col(RewardAccountRow.customer_platform),
                    col(RewardAccountRow.customer_user_id),
                    col(RewardAccountRow.balance),
                )
            )
        }
    assert accounts == sums
    assert all(b >= 0 for b in accounts.values())


async def test_award_keeps_the_account_in_step_and_pays_once(engine: AsyncEngine) -> None:
    async with SqlUnitOfWork(engine) as uow:
        await uow.cases.add(new_case("SG-20261102-0001", customer=BOB))
        assert await uow.rewards.award(
            BOB, RewardReason.SUGGESTION_FILED, 10, "SG-20261102-0001", NOW
        )
        assert not await uow.rewards.award(
            BOB, RewardReason.SUGGESTION_FILED, 10, "SG-20261102-0001", NOW
        )
        assert await uow.rewards.award(
            BOB, RewardReason.SUGGESTION_ADOPTED, 50, "SG-20261102-0001", NOW
        )
        await uow.commit()
    assert await balance(engine, BOB) == 60
    assert await balance(engine, ALICE) == 0  # no account yet
    await assert_books_balance(engine)


async def test_the_catalog_offers_active_vouchers_in_stock_cheapest_first(
    engine: AsyncEngine,
) -> None:
    dear = await add_voucher(engine, cost=500)
    cheap = await add_voucher(engine, cost=100)
    sold_out = await add_voucher(engine, cost=50, stock=0)
    withdrawn = await add_voucher(engine, cost=20)
    async with SqlUnitOfWork(engine) as uow:
        assert await uow.vouchers.withdraw(withdrawn.id)
        assert not await uow.vouchers.withdraw(999)
        await uow.commit()
    async with SqlUnitOfWork(engine) as uow:
        assert await uow.vouchers.catalog() == [cheap, dear]
        assert [v.id for v in await uow.vouchers.all()] == [
            dear.id,
            cheap.id,
            sold_out.id,
            withdrawn.id,
        ]
        assert await uow.vouchers.get(dear.id) == Voucher(dear.id, "Voucher 500", 500, 10, 30)
        got = await uow.vouchers.get(withdrawn.id)
        assert got is not None and not got.active
        assert await uow.vouchers.get(999) is None


async def test_redeeming_takes_the_points_and_one_voucher_and_issues_a_code(
    engine: AsyncEngine,
) -> None:
    await give_points(engine, ALICE, 1000)
    voucher = await add_voucher(engine, cost=300, stock=2, valid_days=30)

    redemption = await redeem(engine, ALICE, voucher.id)

    assert isinstance(redemption, Redemption)
    assert CODE.fullmatch(redemption.code)
    assert redemption.voucher_id == voucher.id and redemption.voucher_name == "Voucher 300"
    assert (redemption.customer, redemption.points) == (ALICE, 300)
    assert redemption.issued_at == NOW and redemption.expires_at == NOW + timedelta(days=30)
    assert await balance(engine, ALICE) == 700
    assert await stock(engine, voucher.id) == 1
    async with SqlUnitOfWork(engine) as uow:
        [spent, earned] = await uow.rewards.recent(ALICE)
        assert await uow.vouchers.for_customer(ALICE) == [redemption]
        assert await uow.vouchers.for_customer(BOB) == []
        assert await uow.vouchers.redemptions() == [redemption]
    assert (spent.points, spent.reason, spent.case_number) == (
        -300,
        RewardReason.VOUCHER_REDEEMED,
        None,
    )
    assert earned.points == 1000
    async with engine.connect() as conn:  # the entry says which voucher it paid for
        paid_for = await conn.scalar(
            select(col(VoucherRedemptionRow.code))
            .join(RewardEntryRow, col(RewardEntryRow.redemption_id) == col(VoucherRedemptionRow.id))
            .where(col(RewardEntryRow.points) < 0)
        )
    assert paid_for == redemption.code
    await assert_books_balance(engine)


async def test_refusals_change_nothing(engine: AsyncEngine) -> None:
    await give_points(engine, ALICE, 150)
    affordable = await add_voucher(engine, cost=100, stock=3)
    too_dear = await add_voucher(engine, cost=200, stock=3)
    sold_out = await add_voucher(engine, cost=100, stock=0)
    withdrawn = await add_voucher(engine, cost=100, stock=3)
    async with SqlUnitOfWork(engine) as uow:
        await uow.vouchers.withdraw(withdrawn.id)
        await uow.commit()
    entries = await ledger_entries(engine)

    assert await redeem(engine, ALICE, 999) is RedeemRefusal.UNKNOWN
    assert await redeem(engine, ALICE, sold_out.id) is RedeemRefusal.OUT_OF_STOCK
    assert await redeem(engine, ALICE, withdrawn.id) is RedeemRefusal.OUT_OF_STOCK
    assert await redeem(engine, ALICE, too_dear.id) is RedeemRefusal.NOT_ENOUGH_POINTS
    assert await redeem(engine, BOB, affordable.id) is RedeemRefusal.NOT_ENOUGH_POINTS  # no account

    assert await balance(engine, ALICE) == 150 and await balance(engine, BOB) == 0
    assert [await stock(engine, v.id) for v in (affordable, too_dear, sold_out, withdrawn)] == [
        3,
        3,
        0,
        3,
    ]
    assert await ledger_entries(engine) == entries
    async with SqlUnitOfWork(engine) as uow:
        assert await uow.vouchers.redemptions() == []
    await assert_books_balance(engine)


async def test_a_voucher_sold_out_after_it_was_read_gives_the_points_back(
    engine: AsyncEngine,
) -> None:
    await give_points(engine, ALICE, 150)
    voucher = await add_voucher(engine, cost=100, stock=0)
    async with SqlUnitOfWork(engine) as uow:

        async def as_read_a_moment_ago(voucher_id: int) -> Voucher:
            return Voucher(voucher.id, voucher.name, voucher.cost, 1, voucher.valid_days)

        uow.vouchers.get = as_read_a_moment_ago  # type: ignore[method-assign]
        assert await uow.vouchers.redeem(ALICE, voucher.id, NOW) is RedeemRefusal.OUT_OF_STOCK
        await uow.commit()
    assert await balance(engine, ALICE) == 150
    assert await stock(engine, voucher.id) == 0
    await assert_books_balance(engine)


async def test_a_code_already_issued_is_never_issued_again(engine: AsyncEngine) -> None:
    await give_points(engine, ALICE, 1000)
    voucher = await add_voucher(engine, cost=100)
    codes = iter(["AAAA-AAAA-AAAA", "AAAA-AAAA-AAAA", "BBBB-BBBB-BBBB"] + ["CCCC-CCCC-CCCC"] * 9)
    async with session_factory(engine)() as session:
        store = SqlVoucherStore(session, new_code=lambda: next(codes))
        first = await store.redeem(ALICE, voucher.id, NOW)
        second = await store.redeem(ALICE, voucher.id, NOW)
        third = await store.redeem(ALICE, voucher.id, NOW)
        with pytest.raises(RuntimeError, match="no unused voucher code"):
            await store.redeem(ALICE, voucher.id, NOW)  # the source keeps clashing
        await session.rollback()
    assert isinstance(first, Redemption) and first.code == "AAAA-AAAA-AAAA"
    assert isinstance(second, Redemption) and second.code == "BBBB-BBBB-BBBB"
    assert isinstance(third, Redemption) and third.code == "CCCC-CCCC-CCCC"
    assert await balance(engine, ALICE) == 1000  # all rolled back together
    await assert_books_balance(engine)


@pytest.mark.parametrize(
    ("points_for", "in_stock", "issued", "refusal"),
    [
        (10, 7, 7, RedeemRefusal.OUT_OF_STOCK),  # the stock runs out first
        (5, 20, 5, RedeemRefusal.NOT_ENOUGH_POINTS),  # the points run out first
    ],
)
async def test_fifty_simultaneous_redemptions_never_overspend(
    engine: AsyncEngine, points_for: int, in_stock: int, issued: int, refusal: RedeemRefusal
) -> None:
    """Each redemption runs in its own transaction on its own connection, all at once."""
    cost = 100
    await give_points(engine, ALICE, points_for * cost)
    voucher = await add_voucher(engine, cost=cost, stock=in_stock)

    outcomes = await asyncio.gather(*(redeem(engine, ALICE, voucher.id) for _ in range(50)))

    redemptions = [o for o in outcomes if isinstance(o, Redemption)]
    assert len(redemptions) == issued
    assert [o for o in outcomes if not isinstance(o, Redemption)] == [refusal] * (50 - issued)
    assert len({r.code for r in redemptions}) == issued
    assert await balance(engine, ALICE) == (points_for - issued) * cost
    assert await stock(engine, voucher.id) == in_stock - issued
    async with SqlUnitOfWork(engine) as uow:
        assert len(await uow.vouchers.for_customer(ALICE, limit=100)) == issued
    await assert_books_balance(engine)


async def test_upgrading_opens_accounts_with_the_ledger_sums(tmp_path: Path) -> None:
    engine = await fresh_engine(database_url(tmp_path), revision="0007")
    # The table as revision 0007 left it, without the columns added since.
    entries = sa.table(
        "reward_entries",
        *(sa.column(c) for c in ("customer_platform", "customer_user_id", "points", "reason")),
        sa.column("at", UtcDateTime()),
    )
    try:
        async with engine.begin() as conn:
            await conn.execute(
                entries.insert(),
                [
                    {"customer_platform": c.platform.value, "customer_user_id": c.user_id}
                    | {"points": points, "reason": reason, "at": NOW}
                    for c, points, reason in [
                        (ALICE, 10, "praise_filed"),
                        (ALICE, 50, "suggestion_adopted"),
                        (BOB, 5, "survey_answered"),
                    ]
                ],
            )
        await upgrade(engine)
        assert await balance(engine, ALICE) == 60
        assert await balance(engine, BOB) == 5
        assert await balance(engine, CustomerId(Platform.WECHAT, ALICE.user_id)) == 0
        await assert_books_balance(engine)
    finally:
        await engine.dispose()

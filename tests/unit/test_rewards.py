"""Points and vouchers on the fake: credited once per case and reason, exchanged for a
voucher through the dialogue, and refused without changing anything."""

from __future__ import annotations

import re

from core.channel.io import Choice
from core.customers.conversation import ConversationService
from core.rewards.crediting import reward
from core.rewards.ledger import RewardPolicy, RewardReason
from tests.factories import ALICE, BOB, at
from tests.fakes import InMemoryDatabase
from tests.unit.bank import say

NOW = at("2026-11-02 10:00")
CODE = re.compile(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}")


async def credit_adoption(db: InMemoryDatabase, number: str) -> str | None:
    async with db.unit_of_work() as uow:
        told = await reward(
            uow,
            RewardPolicy(),
            customer=ALICE,
            reason=RewardReason.SUGGESTION_ADOPTED,
            case_number=number,
            language="en",
            now=NOW,
        )
        await uow.commit()
    return told


async def test_points_are_credited_once_per_case_and_reason(db: InMemoryDatabase) -> None:
    told = await credit_adoption(db, "SG-20261101-0001")
    assert told is not None and "50" in told
    assert await credit_adoption(db, "SG-20261101-0001") is None
    assert await credit_adoption(db, "SG-20261101-0002") is not None
    assert db.balance(ALICE) == 100
    assert [e.case_number for e in db.tables.ledger] == ["SG-20261101-0001", "SG-20261101-0002"]


async def test_a_voucher_is_redeemed_for_points(
    db: InMemoryDatabase, conversations: ConversationService
) -> None:
    card = db.add_voucher("京东卡50元", cost=30, stock=2, valid_days=90)
    db.credit(ALICE, 70, RewardReason.SUGGESTION_ADOPTED, at("2026-11-01 09:00"))

    [confirm] = await say(conversations, ALICE, f"/redeem {card.id}", NOW)
    assert "京东卡50元" in confirm
    [issued] = await say(conversations, ALICE, Choice(f"x:{card.id}:yes"), NOW)

    [redemption] = db.tables.redemptions
    assert CODE.fullmatch(redemption.code) and redemption.code in issued
    assert (redemption.customer, redemption.points) == (ALICE, 30)
    assert db.balance(ALICE) == 40 and db.tables.vouchers[card.id].stock == 1
    assert db.tables.ledger[-1].points == -30
    assert db.tables.ledger[-1].reason is RewardReason.VOUCHER_REDEEMED
    # The same tap again spends nothing: the confirmation was answered.
    await say(conversations, ALICE, Choice(f"x:{card.id}:yes"), NOW)
    assert db.balance(ALICE) == 40 and len(db.tables.redemptions) == 1


async def test_too_few_points_are_refused_and_nothing_changes(
    db: InMemoryDatabase, conversations: ConversationService
) -> None:
    dear = db.add_voucher("年度体检", cost=500, stock=5)
    db.credit(BOB, 10, RewardReason.PRAISE_FILED, at("2026-11-01 09:00"))
    [refusal] = await say(conversations, BOB, f"/redeem {dear.id}", NOW)
    assert "500" in refusal and "10" in refusal
    await say(conversations, BOB, Choice(f"x:{dear.id}:yes"), NOW)  # a forged button
    assert db.balance(BOB) == 10
    assert db.tables.vouchers[dear.id].stock == 5 and db.tables.redemptions == []


async def test_a_sold_out_voucher_is_refused(
    db: InMemoryDatabase, conversations: ConversationService
) -> None:
    gone = db.add_voucher("电影票", cost=10, stock=0)
    db.credit(ALICE, 50, RewardReason.PRAISE_FILED, at("2026-11-01 09:00"))
    [refusal] = await say(conversations, ALICE, f"/redeem {gone.id}", NOW)
    assert "电影票" in refusal
    assert db.balance(ALICE) == 50 and db.tables.redemptions == []

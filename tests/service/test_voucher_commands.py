"""`intake rewards ...`: the gift-voucher catalog as an administrator manages it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from core.rewards.ledger import RewardReason
from core.rewards.vouchers import Redemption
from storage.unit_of_work import SqlUnitOfWork
from tests.conftest import database_url
from tests.factories import ALICE, at, new_case
from tests.processes import run_intake


async def rewards(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    """`intake rewards ARGS...` on the test's database (the `engine` fixture migrates it)."""
    return await run_intake(
        "rewards", *args, cwd=tmp_path, env={"DATABASE_URL": database_url(tmp_path)}
    )


async def add_voucher(
    tmp_path: Path, name: str, cost: int, stock: int, valid_days: int
) -> tuple[int, str, str]:
    return await rewards(
        tmp_path,
        *("add-voucher", "--name", name, "--cost", str(cost), "--stock", str(stock)),
        *("--valid-days", str(valid_days)),
    )


async def test_managing_vouchers_and_listing_redemptions(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    code, out, _ = await add_voucher(tmp_path, "京东卡 50元", 500, 2, 90)
    assert code == 0
    card = int(out.split()[0])
    assert "京东卡 50元: 500 points, 2 in stock, valid 90 days" in out
    code, out, _ = await add_voucher(tmp_path, "Coffee", 100, 0, 30)
    assert code == 0
    coffee = int(out.split()[0])

    code, out, _ = await rewards(tmp_path, "restock", str(coffee), "3")
    assert (code, out) == (0, f"voucher {coffee}: 3 in stock\n")
    code, out, _ = await rewards(tmp_path, "withdraw", str(card))
    assert (code, out) == (0, f"voucher {card} withdrawn from the catalog\n")
    code, out, _ = await rewards(tmp_path, "vouchers")
    assert code == 0
    assert out.splitlines() == [
        "id\tname\tcost\tstock\tvalidity\tstate",
        f"{card}\t京东卡 50元\t500 points\t2 in stock\tvalid 90 days\twithdrawn",
        f"{coffee}\tCoffee\t100 points\t3 in stock\tvalid 30 days\ton offer",
    ]

    async with SqlUnitOfWork(engine) as uow:
        await uow.cases.add(new_case("PR-20261102-0001", customer=ALICE))
        await uow.rewards.award(
            ALICE, RewardReason.PRAISE_FILED, 150, "PR-20261102-0001", at("2026-11-02 10:00")
        )
        redemption = await uow.vouchers.redeem(ALICE, coffee, at("2026-11-02 23:30"))
        await uow.commit()
    assert isinstance(redemption, Redemption)
    code, out, _ = await rewards(tmp_path, "redemptions", "--limit", "5")
    assert code == 0
    # In the bank's time zone, with its offset (in UTC it was issued at 15:30).
    assert out == (
        "code\tvoucher\tcustomer\tpoints\tissued\texpires\n"
        f"{redemption.code}\t{coffee} Coffee\ttelegram:1001\t100 points"
        "\tissued 2026-11-02 23:30 +08:00\texpires 2026-12-02 23:30 +08:00\n"
    )


async def test_bad_input_is_refused_with_exit_code_2(engine: AsyncEngine, tmp_path: Path) -> None:
    code, _, err = await add_voucher(tmp_path, "Free", 0, 1, 30)
    assert code == 2 and "intake: the cost is 1 to 1,000,000 points" in err
    code, _, err = await rewards(tmp_path, "restock", "99", "1")
    assert code == 2 and "intake: no voucher 99" in err
    code, _, err = await rewards(tmp_path, "withdraw", "99")
    assert code == 2 and "intake: no voucher 99" in err
    code, _, err = await rewards(tmp_path, "redemptions", "--limit", "0")
    assert code == 2 and "not a whole number of at least 1: '0'" in err
    code, out, _ = await rewards(tmp_path, "vouchers")
    assert (code, out) == (0, "no vouchers yet: add one with `intake rewards add-voucher`\n")
    code, out, _ = await rewards(tmp_path, "redemptions")
    assert (code, out) == (0, "no vouchers issued yet\n")


async def test_names_are_unique_and_a_withdrawn_voucher_can_be_offered_again(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    code, out, _ = await add_voucher(tmp_path, "京东卡50元", 500, 0, 90)
    card = int(out.split()[0])
    for name in ("京东卡50元", " 京东卡50元 "):
        code, out, err = await add_voucher(tmp_path, name, 300, 5, 30)
        assert (code, out, err) == (
            2,
            "",
            f"intake: voucher {card} is already called '京东卡50元'; give this one another "
            f"name, or restock that one with `intake rewards restock {card} N`\n",
        )
    code, out, _ = await add_voucher(tmp_path, "Coffee", 100, 2, 30)
    coffee = int(out.split()[0])
    await rewards(tmp_path, "withdraw", str(coffee))
    code, out, err = await add_voucher(tmp_path, "COFFEE", 100, 2, 30)  # case aside
    assert (code, out, err) == (
        2,
        "",
        f"intake: voucher {coffee} is already called 'Coffee' (withdrawn); give this one "
        f"another name, or offer that one again with `intake rewards offer {coffee}`\n",
    )

    code, out, _ = await rewards(tmp_path, "restock", str(coffee), "3")
    assert (code, out) == (
        0,
        f"voucher {coffee}: 5 in stock (withdrawn: customers see it once you "
        f"`intake rewards offer {coffee}`)\n",
    )
    code, out, _ = await rewards(tmp_path, "offer", str(coffee))
    assert (code, out) == (0, f"voucher {coffee} is on offer again (5 in stock)\n")
    code, out, _ = await rewards(tmp_path, "offer", str(coffee))
    assert (code, out) == (0, f"voucher {coffee} is on offer already: nothing changed\n")
    await rewards(tmp_path, "withdraw", str(card))
    code, out, _ = await rewards(tmp_path, "offer", str(card))
    assert (code, out) == (
        0,
        f"voucher {card} is back in the catalog but sold out: customers see it once you "
        f"`intake rewards restock {card} N`\n",
    )
    code, _, err = await rewards(tmp_path, "offer", "99")
    assert (code, err) == (2, "intake: no voucher 99; see `intake rewards vouchers`\n")

    code, out, _ = await rewards(tmp_path, "vouchers")
    assert out.splitlines()[1:] == [
        f"{card}\t京东卡50元\t500 points\t0 in stock\tvalid 90 days\tsold out",
        f"{coffee}\tCoffee\t100 points\t5 in stock\tvalid 30 days\ton offer",
    ]
    async with SqlUnitOfWork(engine) as uow:  # customers see it again
        assert [v.id for v in await uow.vouchers.catalog()] == [coffee]

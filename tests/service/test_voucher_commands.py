"""`intake rewards ...`: the gift-voucher catalog as an administrator manages it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from core.rewards import RewardReason
from core.vouchers import Redemption
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
    # In the bank's time zone (in UTC it was issued at 15:30).
    assert out == (
        f"{redemption.code}\t{coffee} Coffee\ttelegram:1001\t100 points"
        "\tissued 2026-11-02 23:30\texpires 2026-12-02 23:30\n"
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
    assert (code, out) == (0, "")  # nothing was added

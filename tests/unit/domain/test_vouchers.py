"""Voucher codes and the catalog's rules, without a database."""

from __future__ import annotations

import pytest

from core.codes import CODE_ALPHABET
from core.errors import DomainError
from core.rewards.vouchers import (
    Voucher,
    check_catalog_entry,
    check_restock,
    new_voucher_code,
)


def test_codes_are_three_groups_of_four_readable_symbols() -> None:
    code = new_voucher_code()
    groups = code.split("-")
    assert [len(g) for g in groups] == [4, 4, 4]
    assert set("".join(groups)) <= set(CODE_ALPHABET)
    assert not set("01OIL") & set(CODE_ALPHABET)


def test_bytes_that_would_bias_the_code_are_dropped() -> None:
    # Taken modulo 31, the bytes 248..255 would make the first 8 symbols likelier: they
    # are skipped, and as many bytes as are still missing are asked for.
    chunks = [bytes([0, 255, 30, 31, 248, 62, 1, 2, 3, 4, 5, 6]), bytes([7, 249]), bytes([8])]
    asked: list[int] = []

    def random_bytes(n: int) -> bytes:
        asked.append(n)
        return chunks.pop(0)

    assert new_voucher_code(random_bytes) == "A9AA-BCDE-FGHJ"
    assert asked == [12, 2, 1]


@pytest.mark.parametrize(
    ("name", "cost", "stock", "valid_days", "message"),
    [
        ("  ", 100, 1, 30, "needs a name"),
        ("x" * 65, 100, 1, 30, "at most 64 characters"),
        ("Tea", 0, 1, 30, "the cost is 1 to"),
        ("Tea", 100, -1, 30, "the stock is 0 to"),
        ("Tea", 100, 1, 0, "valid 1 to"),
    ],
)
def test_the_catalog_refuses_what_no_customer_could_buy(
    name: str, cost: int, stock: int, valid_days: int, message: str
) -> None:
    with pytest.raises(DomainError, match=message):
        check_catalog_entry(name, cost, stock, valid_days)


def test_restocking_adds_at_least_one() -> None:
    tea = Voucher(1, "Tea", 100, 5, 30)
    check_restock(tea, 1)
    with pytest.raises(DomainError, match="at least 1"):
        check_restock(tea, 0)
    with pytest.raises(DomainError, match="more than 1,000,000 in stock"):
        check_restock(tea, 1_000_000)

"""The in-memory unit of work keeps the promises the use cases rely on: it has every
port of `UnitOfWork` with the same methods, a rolled-back change is not seen, a committed
one is, and what was queued can be read back."""

from __future__ import annotations

import inspect
from typing import get_type_hints

import core.ports as ports
from core.channel.io import Reply
from core.channel.outbox import OutboundMessage
from core.rewards.ledger import RewardReason
from tests.factories import ALICE, at, new_case
from tests.fakes import FakeUnitOfWork, InMemoryDatabase

NOW = at("2026-11-02 10:00")


def public_methods(cls: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in vars(cls).items()
        if callable(member) and not name.startswith("_")
    }


def test_every_port_has_a_fake_with_the_protocols_methods() -> None:
    db = InMemoryDatabase()
    ports_of_uow = get_type_hints(ports.UnitOfWork, vars(ports))
    fakes = get_type_hints(FakeUnitOfWork)
    assert set(ports_of_uow) <= set(fakes)
    for name, protocol in ports_of_uow.items():
        fake = fakes[name]
        for method, signature in public_methods(protocol).items():
            assert hasattr(fake, method), f"{fake.__name__} lacks {method}"
            mine = inspect.signature(getattr(fake, method))
            assert list(mine.parameters) == list(signature.parameters), (fake, method)
    assert db.commits == 0


async def test_a_rolled_back_change_is_not_seen_and_a_committed_one_is() -> None:
    db = InMemoryDatabase()
    async with db.unit_of_work() as uow:
        await uow.cases.add(new_case("CP-20261102-0001"))
        await uow.outbox.add([OutboundMessage(ALICE, Reply("lost"))], now=NOW, key="a")
    async with db.unit_of_work() as uow:
        assert await uow.cases.get("CP-20261102-0001") is None
        await uow.cases.add(new_case("CP-20261102-0002"))
        await uow.rewards.award(ALICE, RewardReason.PRAISE_FILED, 10, "CP-20261102-0002", NOW)
        await uow.outbox.add([OutboundMessage(ALICE, Reply("kept"))], now=NOW, key="b")
        await uow.commit()
    async with db.unit_of_work() as uow:
        assert await uow.cases.get("CP-20261102-0002") is not None
        assert await uow.rewards.balance(ALICE) == 10
    assert db.sent_to(ALICE) == [Reply("kept")]
    assert [e.action for e in db.history("CP-20261102-0002")] == ["filed"]
    assert db.commits == 1


async def test_an_error_inside_the_block_rolls_back() -> None:
    db = InMemoryDatabase()
    uow = db.unit_of_work()
    try:
        async with uow:
            await uow.cases.add(new_case())
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    async with uow:  # entered again for a new transaction
        assert await uow.cases.for_customer(ALICE) == []


async def test_changes_to_a_loaded_case_stay_unsaved_until_saved() -> None:
    db = InMemoryDatabase()
    async with db.unit_of_work() as uow:
        await uow.cases.add(new_case())
        await uow.commit()
    async with db.unit_of_work() as uow:
        case = await uow.cases.get("CP-20261102-0001")
        assert case is not None
        case.description = "changed in memory only"
        await uow.commit()
    assert db.case("CP-20261102-0001").description != "changed in memory only"


async def test_the_same_cause_queues_its_messages_once() -> None:
    db = InMemoryDatabase()
    for _ in range(2):
        async with db.unit_of_work() as uow:
            await uow.outbox.add([OutboundMessage(ALICE, Reply("hi"))], now=NOW, key="cause")
            await uow.commit()
    assert db.outbox == [OutboundMessage(ALICE, Reply("hi"))]

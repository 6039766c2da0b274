"""Privacy at rest: /forget leaves no trace in any table, contact data is encrypted
under rotating keys, delivered messages are redacted after the retention, and SQLite
overwrites what is deleted."""

from __future__ import annotations

import base64
import json
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from core.cases.calendar import WorkingCalendar
from core.cases.deadlines import DeadlinePolicy
from core.cases.values import ERASED
from core.channel.io import Choice, Reply
from core.channel.outbox import OutboundMessage
from core.chasing.retention import REPLIES_KEPT, redact_delivered
from core.chasing.rules import BusinessHours
from core.identity import CustomerId, Platform
from scheduler.runner import build_scheduler
from storage.crypto import DataKeys, Undecryptable, use_keys
from storage.migrate import upgrade
from storage.outbox import CANCELLED, SENT
from storage.rekey import rotate, unknown_key
from storage.tables import DeliveryRow, OutboxRow, RewardEntryRow
from storage.unit_of_work import SqlUnitOfWork
from storage.wechat import SqlWeChatStore
from tests.conftest import database_url, fresh_engine
from tests.factories import at, draft, filed_case, new_case, store_before_upgrade, stored_dialogue
from tests.fakes import RecordingAlerts
from tests.integration.privacy_flow import (
    CUSTOMER,
    DESCRIPTION,
    DESIRED,
    NAME,
    PHONE,
    TELEGRAM_CUSTOMER,
    Flow,
    every_value,
    traces_in,
)
from tests.integration.test_deadline_chasing import LEAD

KEY_A = "a:" + base64.b64encode(b"A" * 32).decode()
KEY_B = "b:" + base64.b64encode(b"B" * 32).decode()


@pytest.mark.parametrize(
    ("keys", "customer"),
    [(None, CUSTOMER), (None, TELEGRAM_CUSTOMER), (DataKeys.parse(KEY_A), CUSTOMER)],
    ids=["wechat", "telegram", "wechat-encrypted"],
)
async def test_forget_leaves_no_trace_in_any_table(
    engine: AsyncEngine, calendar: WorkingCalendar, keys: DataKeys | None, customer: CustomerId
) -> None:
    use_keys(engine, keys)
    flow = Flow(engine, calendar, customer)
    await flow.register_staff()
    number = await flow.file_complaint()
    if customer.platform is Platform.WECHAT:
        await hold_a_push(engine, number, flow)
    # Before: the words are everywhere a message passes (so the check below can fail).
    assert traces_in(await every_value(engine, keys)) == [NAME, PHONE, DESCRIPTION, DESIRED]

    await flow.close_and_forget(number)

    assert traces_in(await every_value(engine, keys)) == []
    async with SqlUnitOfWork(engine) as uow:
        kept = await uow.cases.get(number)
        balance = await uow.rewards.balance(customer)
    # The statistics and the points stay.
    assert kept is not None and kept.satisfaction == 5 and kept.department == "cards"
    assert balance == 5
    async with engine.connect() as conn:
        delivered = (
            await conn.execute(
                select(
                    col(OutboxRow.sent_at),
                    col(OutboxRow.idempotency_key),
                    col(OutboxRow.redacted_at),
                    col(OutboxRow.payload),
                ).where(col(OutboxRow.status) == SENT)
            )
        ).all()
        cancelled = await conn.scalar(
            select(col(OutboxRow.id)).where(col(OutboxRow.status) == CANCELLED).limit(1)
        )
        ledger = (await conn.execute(select(col(RewardEntryRow.case_number)))).scalars().all()
    # Each delivery is still on record (to whom, for what cause, when), its words gone.
    assert delivered and all(sent and key for sent, key, _, _ in delivered)
    redacted = [payload["text"] for _, _, erased, payload in delivered if erased]
    assert len(redacted) >= 5 and set(redacted) == {ERASED}
    assert cancelled is None and ledger == [None]


async def hold_a_push(engine: AsyncEngine, number: str, flow: Flow) -> None:
    """A push about the case waiting for the customer's next message (WeChat)."""
    await SqlWeChatStore(engine).hold(
        flow.who.user_id, f"{number}：关于“{DESCRIPTION}”的处理结果", number, flow.now
    )


async def test_a_dump_of_the_database_holds_no_contact_data(
    engine: AsyncEngine, calendar: WorkingCalendar, tmp_path: Path
) -> None:
    keys = DataKeys.parse(KEY_A)
    use_keys(engine, keys)
    flow = Flow(engine, calendar)
    await flow.register_staff()
    number = await flow.file_complaint()
    await flow.staff(LEAD, f"/reveal {number}")
    await flow.deliver()
    await flow.say(Choice("t:suggestion"))  # a second intake under way, its draft kept
    for step in (
        Choice("b:loans"),
        Choice("r:online"),
        Choice("w:mobile_app"),
        DESCRIPTION,
        Choice("d:next"),
    ):
        await flow.say(step)
    await flow.say(Choice("c:yes"))
    await flow.say(NAME)
    contact = (NAME, PHONE)
    # The data is there, in the case, the draft, the summary sent and the /reveal answer...
    opened = await every_value(engine, keys)
    assert traces_in(opened, contact) == list(contact) and opened.count(PHONE) >= 3
    # ... and none of it in clear in the stored values,
    assert traces_in(await every_value(engine), contact) == []
    if engine.dialect.name != "sqlite":
        return
    # ... in the file's bytes (free pages and the write-ahead log too), or in a dump.
    await engine.dispose()
    database = Path(engine.url.database or "")
    stored = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
    for trace in contact:
        assert trace.encode() not in stored and json.dumps(trace)[1:-1].encode() not in stored
    with sqlite3.connect(database) as conn:
        dump = "\n".join(conn.iterdump())
    assert "INSERT INTO" in dump and traces_in(dump, contact) == []


async def test_keys_rotate_and_old_values_stay_readable(
    engine: AsyncEngine, calendar: WorkingCalendar
) -> None:
    policy = DeadlinePolicy()
    now = at("2026-11-02 10:00")

    async def file(customer: CustomerId) -> str:
        case = await filed_case(
            SqlUnitOfWork(engine),
            draft(customer=customer),
            calendar=calendar,
            policy=policy,
            now=now,
        )
        return case.number

    async def contacts() -> list[tuple[str | None, str | None]]:
        async with SqlUnitOfWork(engine) as uow:
            cases = [await uow.cases.get(n) for n in numbers]
        return [(c.contact.name, c.contact.phone) for c in cases if c is not None]

    numbers = [await file(CustomerId(Platform.TELEGRAM, "701"))]  # before keys: in clear
    use_keys(engine, DataKeys.parse(KEY_A))
    numbers.append(await file(CustomerId(Platform.TELEGRAM, "702")))
    await Flow(engine, calendar).say(Choice("t:complaint"))  # a dialogue under key a
    expected = [("张三", "13812348000")] * 2
    assert await contacts() == expected

    use_keys(engine, DataKeys.parse(f"{KEY_B},{KEY_A}"))  # b first: new values under b
    assert await unknown_key(engine) is None and await contacts() == expected
    rotated = {(r.table, r.column): r.rewritten for r in await rotate(engine)}
    assert rotated[("cases", "contact_phone")] == 2 and rotated[("cases", "contact_name")] == 2
    assert rotated[("dialogues", "state")] == 1 and rotated[("deliveries", "response")] == 1
    assert sum(r.rewritten for r in await rotate(engine)) == 0  # all under b now

    use_keys(engine, DataKeys.parse(KEY_B))  # a retired
    assert await unknown_key(engine) is None and await contacts() == expected
    async with SqlUnitOfWork(engine) as uow:
        assert "投诉" in (await uow.deliveries.response("wechat:app:msg:1") or "")
    assert await stored_dialogue(engine, CUSTOMER) is not None

    use_keys(engine, DataKeys.parse(KEY_A))  # b lost: a clear refusal, naming the key
    assert await unknown_key(engine) == "b"
    with pytest.raises(Undecryptable, match="key 'b', which INTAKE_DATA_KEYS does not list"):
        await contacts()
    use_keys(engine, None)
    assert await unknown_key(engine) == ""
    with pytest.raises(Undecryptable, match="INTAKE_DATA_KEYS is empty"):
        await contacts()


async def test_delivered_messages_are_redacted_after_the_retention(
    engine: AsyncEngine, calendar: WorkingCalendar
) -> None:
    sent_at = at("2026-11-02 10:00")
    customer = CustomerId(Platform.TELEGRAM, "801")
    async with SqlUnitOfWork(engine) as uow:
        await uow.outbox.add(
            [OutboundMessage(customer, Reply(f"联系方式：{NAME} {PHONE}"))], now=sent_at, key="a"
        )
        await uow.deliveries.first_time("wechat:app:msg:1", sent_at)
        await uow.deliveries.keep_response("wechat:app:msg:1", f"<xml>{PHONE}</xml>", customer)
        await uow.commit()
    assert await Flow(engine, calendar).deliver() == 1
    async with SqlUnitOfWork(engine) as uow:
        await uow.outbox.add([OutboundMessage(customer, Reply(PHONE))], now=sent_at, key="b")
        await uow.commit()

    def scheduler_at(moment: datetime) -> AsyncIOScheduler:
        return build_scheduler(
            lambda: SqlUnitOfWork(engine),
            calendar=calendar,
            hours=BusinessHours.parse("09:00-18:00"),
            alerts=RecordingAlerts(),
            clock=lambda: moment,
            after_commit=lambda: None,
            dialogue_idle=timedelta(minutes=30),
            message_retention=timedelta(days=3),
        )

    async def outbox() -> list[tuple[str, str, str, bool]]:
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(
                    col(OutboxRow.idempotency_key),
                    col(OutboxRow.status),
                    col(OutboxRow.payload),
                    col(OutboxRow.redacted_at),
                ).order_by(col(OutboxRow.id))
            )
            return [(key, status, p["text"], erased is not None) for key, status, p, erased in rows]

    # A passive reply is kept only while WeChat may retry; the messages for days.
    assert (
        await redact_delivered(
            lambda: SqlUnitOfWork(engine), kept=timedelta(days=3), now=sent_at + REPLIES_KEPT
        )
        == 0
    )
    assert (
        await redact_delivered(
            lambda: SqlUnitOfWork(engine), kept=timedelta(days=3), now=sent_at + timedelta(days=2)
        )
        == 1
    )
    async with SqlUnitOfWork(engine) as uow:
        assert await uow.deliveries.response("wechat:app:msg:1") is None
    assert [text for *_, text, _ in await outbox()] == [f"联系方式：{NAME} {PHONE}", PHONE]

    job = {j.id: j for j in scheduler_at(sent_at + timedelta(days=3, minutes=1)).get_jobs()}
    await job["redaction"].func()
    # The delivery stays on record; only its words are gone. The pending one is untouched.
    assert await outbox() == [("a:0", SENT, ERASED, True), ("b:0", "pending", PHONE, False)]
    async with engine.connect() as conn:
        recipient = (
            await conn.execute(select(col(DeliveryRow.key), col(DeliveryRow.recipient)))
        ).one()
    assert recipient == ("wechat:app:msg:1", None)


async def test_sqlite_overwrites_what_it_deletes(engine: AsyncEngine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL reclaims dead rows by VACUUM (README: Privacy)")
    for _ in range(2):  # every connection of the pool, not just the first
        async with engine.connect() as conn:
            assert await conn.scalar(text("PRAGMA secure_delete")) == 1


async def test_the_migration_keeps_contact_data_already_stored(tmp_path: Path) -> None:
    engine = await fresh_engine(database_url(tmp_path), "0011")
    try:
        case = new_case()
        await store_before_upgrade(engine, case)
        await upgrade(engine)
        async with SqlUnitOfWork(engine) as uow:
            stored = await uow.cases.get(case.number)
        assert stored is not None and stored.contact == case.contact
    finally:
        await engine.dispose()

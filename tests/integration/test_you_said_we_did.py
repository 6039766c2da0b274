""" "You said, we did": an implemented suggestion reaches each linked customer once."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from core.cases.calendar import WorkingCalendar
from core.cases.classification import Channel
from core.cases.deadlines import DeadlinePolicy
from core.cases.values import CaseType
from core.channel.io import Incoming, Text
from core.desk.staff import Role
from core.identity import CustomerId, Platform
from intake import admin
from storage.outbox import SqlOutboxQueue
from storage.unit_of_work import SqlUnitOfWork
from tests.factories import at, desk_service, draft, filed_case

LEAD = CustomerId(Platform.TELEGRAM, "7100")
ANNA, BAO = CustomerId(Platform.TELEGRAM, "7201"), CustomerId(Platform.WECHAT, "oBao")
NOW = at("2026-11-03 10:00")


async def test_each_linked_customer_is_told_once(
    engine: AsyncEngine, calendar: WorkingCalendar
) -> None:
    uow = SqlUnitOfWork(engine)
    await admin.save_department(uow, code="ebank", name="E-banking", business=[], default=True)
    code, _ = await admin.invite(uow, name="lead", role=Role.LEAD, department="ebank", now=NOW)
    desk = desk_service(engine, calendar)

    async def lead(text: str) -> str:
        outcome = await desk.handle(Incoming(LEAD, Text(text), Channel.PUBLIC_PLATFORM), NOW)
        assert outcome is not None
        return "\n".join(r.text for r in outcome.replies)

    await lead(f"/register {code}")
    numbers = []
    for customer in (ANNA, BAO, ANNA):
        case = await filed_case(
            SqlUnitOfWork(engine),
            draft(type=CaseType.SUGGESTION, customer=customer, department="ebank"),
            calendar=calendar,
            policy=DeadlinePolicy(),
            now=at("2026-11-02 10:00"),
        )
        numbers.append(case.number)
    main, bao, anna_again = numbers

    assert await lead(f"/link {bao} {main}") == f"{bao} 已并入 {main}。"
    await lead(f"/link {anna_again} {main}")
    assert "不是已采纳的建议，请先发送 /adopt" in await lead(f"/implemented {main} 上线")
    await lead(f"/adopt {main}")
    queue = SqlOutboxQueue(engine)
    before = len(await queue.listing())
    done = await lead(f"/implemented {main} 网银新增常用收款人备注功能")
    assert "已告知 2 位客户" in done
    told = (await queue.listing())[before:]
    assert sorted((m.address, m.case_number) for m in told) == sorted(
        [(ANNA.user_id, main), (BAO.user_id, bao)]
    )
    assert all("网银新增常用收款人备注功能" in m.text for m in told)

    again = await lead(f"/implemented {main} 再说一次")
    assert "已标记为落实，客户已收到通知" in again
    assert len(await queue.listing()) == before + 2  # nobody told twice
    async with SqlUnitOfWork(engine) as work:
        history = await work.cases.history(main)
    assert [e.action for e in history][-1] == "implemented"

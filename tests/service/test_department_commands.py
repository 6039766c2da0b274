"""`intake department ...` as an administrator runs it: codes, names and chats checked,
the chat cleared, and a department removed once nothing belongs to it any more."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from core.cases.calendar import WorkingCalendar
from core.desk.staff import ChatAddress, Department
from core.identity import Platform
from storage.unit_of_work import SqlUnitOfWork
from tests.factories import at, desk_service, new_case
from tests.service.test_staff_commands import LI, intake, invite, refused, say

HEADER = "code\tname\tbusiness types\tdefault\tchat"


async def stored(engine: AsyncEngine, code: str) -> Department | None:
    async with SqlUnitOfWork(engine) as uow:
        return await uow.staff.department(code)


async def test_codes_names_and_chats_are_checked(engine: AsyncEngine, tmp_path: Path) -> None:
    code, out, _ = await intake(tmp_path, "department", "list")
    assert (code, out) == (0, "no departments yet: add one with `intake department add`\n")
    assert await refused(tmp_path, "department", "add", "credit cards", "--name", "信用卡部") == (
        "intake: a department code has no spaces: 'credit cards'; write it as one word, "
        "e.g. credit-cards"
    )
    assert await refused(tmp_path, "department", "add", " ", "--name", "信用卡部") == (
        "intake: a department needs a code; give one word, e.g. cards"
    )
    assert await refused(tmp_path, "department", "add", "cards", "--name", " ") == (
        "intake: a department needs a name; give one that is not blank"
    )
    code, out, _ = await intake(tmp_path, "department", "list")
    assert out == "no departments yet: add one with `intake department add`\n"  # none added

    code, out, _ = await intake(
        tmp_path, "department", "add", "cards", "--name", "银行卡部", "--business", "debit_card"
    )
    assert (code, out) == (0, "department cards saved\n")
    code, out, _ = await intake(tmp_path, "department", "set-chat", "cards", "telegram:-1001")
    assert (code, out) == (0, "new cases of cards will be announced in telegram:-1001\n")
    for chat, refusal in (
        (
            "telegram:abc",
            "a Telegram chat id is a number, not 'abc'; give the group's numeric id, "
            "e.g. telegram:-1001234567890",
        ),
        ("qq:123", "unknown platform 'qq' in 'qq:123'; use telegram:CHAT_ID or wechat:CHAT_ID"),
        ("-1001", "not a chat: '-1001'; write PLATFORM:CHAT_ID, e.g. telegram:-1001234567890"),
    ):
        assert await refused(tmp_path, "department", "set-chat", "cards", chat) == (
            f"intake: {refusal}"
        )
    assert await refused(tmp_path, "department", "set-chat", "nope", "telegram:-1") == (
        "intake: no department 'nope'; see `intake department list`"
    )
    department = await stored(engine, "cards")
    assert department is not None
    assert department.alert_chat == ChatAddress(Platform.TELEGRAM, "-1001")  # kept
    code, out, _ = await intake(tmp_path, "department", "list")
    assert out == f"{HEADER}\ncards\t银行卡部\tdebit_card\t\ttelegram:-1001\n"

    code, out, _ = await intake(tmp_path, "department", "set-chat", "cards", "--clear")
    assert (code, out) == (0, "new cases of cards will not be announced in a chat\n")
    department = await stored(engine, "cards")
    assert department is not None and department.alert_chat is None
    code, out, _ = await intake(tmp_path, "department", "list")
    assert out == f"{HEADER}\ncards\t银行卡部\tdebit_card\t\t\n"


async def test_a_department_is_removed_only_when_nothing_belongs_to_it(
    engine: AsyncEngine, tmp_path: Path, calendar: WorkingCalendar
) -> None:
    for department, name, extra in (
        ("cards", "银行卡部", ("--default",)),
        ("loans", "贷款部", ("--business", "loans")),
    ):
        await intake(tmp_path, "department", "add", department, "--name", name, *extra)
    numbers = [f"CP-20261102-000{n}" for n in range(1, 8)]
    async with SqlUnitOfWork(engine) as uow:
        for number in numbers:
            await uow.cases.add(new_case(number, department="loans"))
        await uow.commit()
    desk = desk_service(engine, calendar)
    assert await say(desk, LI, f"/register {await invite(tmp_path, '李四', 'agent', 'loans')}")
    wang = await invite(tmp_path, "王五", "lead", "loans")

    assert await refused(tmp_path, "department", "remove", "loans") == (
        "intake: department loans still has 7 open cases (CP-20261102-0001, CP-20261102-0002, "
        "CP-20261102-0003, CP-20261102-0004, CP-20261102-0005, …), 1 staff member (1 李四), "
        "1 pending invitation (for 王五); reassign the cases with /assign NUMBER DEPARTMENT, "
        "move the staff with `intake staff set ID --department CODE`, revoke the invitations "
        "with `intake staff revoke CODE`, then remove it"
    )
    assert await stored(engine, "loans") is not None

    # Six cases go elsewhere, the seventh is closed; the staff member moves.
    async with SqlUnitOfWork(engine) as uow:
        for number in numbers:
            case = await uow.cases.get(number)
            assert case is not None
            if number == numbers[-1]:
                case.withdraw(
                    reason=None, actor="customer:telegram:1001", now=at("2026-11-02 11:00")
                )
            else:
                case.assign(
                    department="cards", assignee=None, actor="staff:1", now=at("2026-11-02 11:00")
                )
            await uow.cases.save(case)
        await uow.commit()
    await intake(tmp_path, "staff", "set", "1", "--department", "cards")
    assert await refused(tmp_path, "department", "remove", "loans") == (
        "intake: department loans still has 1 pending invitation (for 王五); revoke the "
        "invitations with `intake staff revoke CODE`, then remove it"
    )
    await intake(tmp_path, "staff", "revoke", wang)

    # The withdrawn case keeps its department's code; 李四's used invitation goes with it.
    code, out, _ = await intake(tmp_path, "department", "remove", "loans")
    assert (code, out) == (0, "department loans removed\n")
    assert await stored(engine, "loans") is None
    code, out, _ = await intake(tmp_path, "department", "list")
    assert out == f"{HEADER}\ncards\t银行卡部\t-\tdefault\t\n"
    assert await refused(tmp_path, "department", "remove", "loans") == (
        "intake: no department 'loans'; see `intake department list`"
    )

    # Removing the default department says what that means for routing.
    await intake(tmp_path, "department", "add", "misc", "--name", "其他", "--default")
    code, out, _ = await intake(tmp_path, "department", "remove", "misc")
    assert (code, out) == (
        0,
        "department misc removed\nit was the default department: mark another with "
        "`intake department add CODE --name NAME --default`, or new cases no other "
        "department handles stay without one\n",
    )

"""`intake staff ...` as an administrator runs it: changing, disabling and enabling staff,
pending invitations, and registering again from the same chat account."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from core.cases.calendar import WorkingCalendar
from core.cases.classification import Channel
from core.channel.answer import Outcome
from core.channel.io import Incoming, Text
from core.desk.service import DeskService
from core.desk.staff import Role, StaffMember
from core.identity import CustomerId, Platform
from intake import admin
from storage.unit_of_work import SqlUnitOfWork
from tests.conftest import database_url
from tests.factories import at, desk_service
from tests.processes import run_intake

LI = CustomerId(Platform.TELEGRAM, "5001")  # 李四's Telegram account
HEADER = "id\tname\trole\tdepartment\tstate\tlanguage\tchat accounts"
# Bank time with its offset, as every list shows it.
BANK_TIME = r"\d{4}-\d\d-\d\d \d\d:\d\d [+-]\d\d:\d\d"


async def intake(tmp_path: Path, *args: str, **env: str) -> tuple[int, str, str]:
    """`intake ARGS...` on the test's database (the `engine` fixture migrates it)."""
    return await run_intake(
        *args, cwd=tmp_path, env={"DATABASE_URL": database_url(tmp_path), **env}
    )


async def refused(tmp_path: Path, *args: str) -> str:
    """What `intake ARGS...` says when it refuses: exit code 2, one line on stderr."""
    code, out, err = await intake(tmp_path, *args)
    assert (code, out) == (2, ""), (args, code, out, err)
    [line] = err.splitlines()
    return line


async def departments(tmp_path: Path) -> None:
    for code, name, business in (("cards", "银行卡部", "debit_card"), ("loans", "贷款部", "loans")):
        code_, _, err = await intake(
            tmp_path, "department", "add", code, "--name", name, "--business", business
        )
        assert code_ == 0, err


async def invite(tmp_path: Path, name: str, role: str, department: str) -> str:
    code, out, err = await intake(
        tmp_path, "staff", "invite", "--name", name, "--role", role, "--department", department
    )
    assert code == 0, err
    return out.split()[0]


async def say(desk: DeskService, who: CustomerId, text: str) -> Outcome | None:
    return await desk.handle(
        Incoming(who, Text(text), Channel.PUBLIC_PLATFORM), at("2026-11-03 10:00")
    )


async def member(engine: AsyncEngine, staff_id: int) -> StaffMember | None:
    async with SqlUnitOfWork(engine) as uow:
        return await uow.staff.get(staff_id)


async def test_staff_set_changes_what_is_given_and_refuses_bad_values(
    engine: AsyncEngine, tmp_path: Path, calendar: WorkingCalendar
) -> None:
    code, out, _ = await intake(tmp_path, "staff", "list")
    assert (code, out) == (0, "no staff yet: invite with `intake staff invite`\n")
    await departments(tmp_path)
    desk = desk_service(engine, calendar)
    assert await say(desk, LI, f"/register {await invite(tmp_path, '李四', 'agent', 'cards')}")

    code, out, _ = await intake(tmp_path, "staff", "set", "1", "--role", "lead", "--language", "en")
    assert (code, out) == (0, "staff member 1: 李四, lead in cards, language en\n")
    code, out, _ = await intake(
        tmp_path, "staff", "set", "1", "--department", "loans", "--name", " 李四海 "
    )
    assert (code, out) == (0, "staff member 1: 李四海, lead in loans, language en\n")
    assert await member(engine, 1) == StaffMember(1, "李四海", Role.LEAD, "loans", True, "en")
    code, out, _ = await intake(tmp_path, "staff", "list")
    assert (code, out) == (0, f"{HEADER}\n1\t李四海\tlead\tloans\tactive\ten\ttelegram:5001\n")
    # The desk answers in the language set.
    answer = await say(desk, LI, "/help")
    assert answer is not None and answer.replies[0].text.startswith("Commands:")

    assert await refused(tmp_path, "staff", "set", "1", "--language", "fr") == (
        "intake: no language 'fr'; staff languages are: zh, en"
    )
    assert await refused(tmp_path, "staff", "set", "1", "--role", "boss") == (
        "intake: unknown role 'boss'; give agent, lead, supervisor or admin"
    )
    assert await refused(tmp_path, "staff", "set", "1", "--department", "nope") == (
        "intake: no department 'nope'; add it with `intake department add`"
    )
    assert await refused(tmp_path, "staff", "set", "1", "--name", "  ") == (
        "intake: a staff member needs a name; give one that is not blank"
    )
    assert await refused(tmp_path, "staff", "set", "1") == (
        "intake: nothing to change; give --name, --role, --department or --language"
    )
    assert await refused(tmp_path, "staff", "set", "9", "--role", "agent") == (
        "intake: no staff member 9; see `intake staff list`"
    )
    assert await refused(
        tmp_path, "staff", "invite", "--name", " ", "--role", "agent", "--department", "cards"
    ) == ("intake: a staff member needs a name; give one that is not blank")
    # Nothing of that changed the record, nor invited anyone.
    assert await member(engine, 1) == StaffMember(1, "李四海", Role.LEAD, "loans", True, "en")
    code, out, _ = await intake(tmp_path, "staff", "invitations")
    assert out == "no pending invitations: invite with `intake staff invite`\n"


async def test_disabled_and_enabled_again_or_reinvited_staff_use_the_same_account(
    engine: AsyncEngine, tmp_path: Path, calendar: WorkingCalendar
) -> None:
    await departments(tmp_path)
    desk = desk_service(engine, calendar)
    assert await say(desk, LI, f"/register {await invite(tmp_path, '李四', 'agent', 'cards')}")

    code, out, _ = await intake(tmp_path, "staff", "disable", "1")
    assert (code, out) == (0, "staff member 1 disabled\n")
    assert await say(desk, LI, "/queue") is None  # the customer flow answers now
    code, out, _ = await intake(tmp_path, "staff", "enable", "1")
    assert (code, out) == (0, "staff member 1 enabled\n")
    assert await say(desk, LI, "/queue") is not None
    code, out, _ = await intake(tmp_path, "staff", "enable", "1")
    assert (code, out) == (0, "staff member 1 is active already: nothing changed\n")
    for verb in ("enable", "disable"):
        assert await refused(tmp_path, "staff", verb, "9") == (
            "intake: no staff member 9; see `intake staff list`"
        )

    # Disabled, then invited again: the code registers the same account, as the same
    # staff member, with the new invitation's name, role and department.
    await intake(tmp_path, "staff", "disable", "1")
    again = await invite(tmp_path, "李四", "lead", "loans")
    welcome = await say(desk, LI, f"/register {again}")
    assert (
        welcome is not None
        and welcome.replies[0].text == "注册成功：李四，主管，贷款部。发送 /help 查看可用命令。"
    )
    assert await member(engine, 1) == StaffMember(1, "李四", Role.LEAD, "loans", True, "zh")
    # Enabled and invited again (say, to change the role): registering works too.
    again = await invite(tmp_path, "李四", "supervisor", "cards")
    assert await say(desk, LI, f"/register {again}") is not None
    assert await say(desk, LI, f"/register {again}") is None  # a used code is a used code
    code, out, _ = await intake(tmp_path, "staff", "list")
    assert code == 0 and out == f"{HEADER}\n1\t李四\tsupervisor\tcards\tactive\tzh\ttelegram:5001\n"


async def test_pending_invitations_show_their_expiry_and_can_be_revoked(
    engine: AsyncEngine, tmp_path: Path, calendar: WorkingCalendar
) -> None:
    await departments(tmp_path)
    # One that expired yesterday is not pending.
    await admin.invite(
        SqlUnitOfWork(engine),
        name="过期",
        role=Role.AGENT,
        department="cards",
        now=at("2026-01-01 09:00"),
    )
    code, out, err = await intake(
        tmp_path, "staff", "invite", "--name", "李四", "--role", "agent", "--department", "cards"
    )
    assert code == 0, err
    invited = re.fullmatch(rf"(\S+)\n\(send /register \1 to the bot before ({BANK_TIME})\)\n", out)
    assert invited is not None, out
    li_code, until = invited.groups()
    assert until.endswith(" +08:00")  # INTAKE_TIMEZONE's default, Asia/Shanghai
    wang_code = await invite(tmp_path, "王五", "lead", "loans")

    code, out, _ = await intake(tmp_path, "staff", "invitations")
    assert code == 0
    header, li, wang = out.splitlines()
    assert header == "name\trole\tdepartment\texpires"
    assert li == f"李四\tagent\tcards\t{until}"
    assert re.fullmatch(rf"王五\tlead\tloans\t{BANK_TIME}", wang)
    # In another bank's time zone, with that zone's offset.
    code, out, _ = await intake(tmp_path, "staff", "invitations", INTAKE_TIMEZONE="UTC")
    assert out.splitlines()[1].endswith(" +00:00")

    code, out, _ = await intake(tmp_path, "staff", "revoke", wang_code.lower())
    assert (code, out) == (
        0,
        "invitation for 王五 (lead in loans) revoked: the code no longer registers anyone\n",
    )
    code, out, _ = await intake(tmp_path, "staff", "invitations")
    assert out.splitlines()[1:] == [li]
    assert await refused(tmp_path, "staff", "revoke", wang_code) == (
        f"intake: no pending invitation with the code {wang_code!r} (used, expired or never "
        "issued); see `intake staff invitations`"
    )
    desk = desk_service(engine, calendar)
    assert await say(desk, LI, f"/register {wang_code}") is None  # revoked: not staff
    assert await say(desk, LI, f"/register {li_code}") is not None
    code, out, _ = await intake(tmp_path, "staff", "invitations")
    assert out == "no pending invitations: invite with `intake staff invite`\n"

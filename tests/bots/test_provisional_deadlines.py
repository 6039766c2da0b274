"""Year end without next year's calendar: a complaint is always filed, with a deadline
marked provisional; the admins are told; once the year's data arrives and the service
restarts, the deadline is counted again once, audited, and the customer told it moved."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from core.cases.case import Case
from core.desk.staff import Role
from intake import admin
from storage.unit_of_work import SqlUnitOfWork
from tests.bots.telegram_support import ALICE, Desk, ticking_from
from tests.conftest import SAMPLE_CALENDAR, database_url
from tests.doubles.telegram_bot_api import BotApiDouble
from tests.factories import at

ADMIN = 7001
YEAR_END = at("2026-12-29 10:00")  # a Tuesday; three working days reach into 2027


async def register_admin(desk: Desk) -> None:
    assert desk.wiring is not None
    uow = SqlUnitOfWork(desk.wiring.engine)
    await admin.save_department(uow, code="service", name="客服中心", business=[], default=True)
    code, _ = await admin.invite(
        uow, name="赵管理", role=Role.ADMIN, department="service", now=YEAR_END
    )
    await desk.say(ADMIN, f"/register {code}")


async def file_complaint(desk: Desk) -> str:
    greeting = await desk.say(ALICE, "/start")
    business = await desk.press(ALICE, greeting, "t:complaint")
    branch = await desk.press(ALICE, business, "b:cash")
    await desk.press(ALICE, branch, "r:0")
    added = await desk.say(ALICE, "ATM 少吐了现金，请尽快核实处理。")
    outcome = await desk.press(ALICE, added, "d:next")
    consent = await desk.press(ALICE, outcome, "o:skip")
    await desk.press(ALICE, consent, "c:yes")
    await desk.say(ALICE, "张三")
    summary = await desk.say(ALICE, "13812348000")
    confirmation = await desk.press(ALICE, summary, "s:submit")
    return confirmation.text or ""


def minute(moment: datetime) -> datetime:
    """The ticking clock adds seconds; deadlines are compared to the minute."""
    return moment.replace(second=0, microsecond=0)


async def only_case(desk: Desk) -> Case:
    (case,) = await desk.cases(ALICE)
    return case


async def test_a_year_end_complaint_is_filed_provisionally_then_counted_again(
    engine: AsyncEngine, tmp_path: Path, telegram_api: BotApiDouble
) -> None:
    url = database_url(tmp_path)
    desk = Desk(url, telegram_api, ticking_from(YEAR_END))
    await desk.start()
    try:
        await register_admin(desk)
        confirmation = await file_complaint(desk)
        number = re.search(r"CP-20261229-\d{4}", confirmation)
        assert number is not None, confirmation
        # Filed, with the date counted on the plain week and said to be provisional.
        assert "2027年1月1日 10:00（暂定：2027年节假日安排尚未公布" in confirmation
        case = await only_case(desk)
        assert minute(case.due_at) == at("2027-01-01 10:00")
        assert case.due_provisional_year == 2027
        # The legal ceiling needs no working days: 15 calendar days, on its calendar day
        # since 2027's holidays are unknown.
        assert minute(case.legal_due_at) == at("2027-01-13 10:00")
        # The administrator hears of it in chat, naming the year.
        alert = await telegram_api.wait_for_message(ADMIN)
        assert "2027" in (alert.text or "") and "INTAKE_CALENDAR_FILE" in (alert.text or "")
        status = await desk.say(ALICE, f"/status {number.group(0)}")
        assert "暂定" in (status.text or "")
    finally:
        await desk.stop()

    # The administrator adds the 2027 file (1-3 January are holidays) and restarts.
    told_before = len(telegram_api.sent(ALICE))
    desk = Desk(url, telegram_api, ticking_from(YEAR_END))
    await desk.start(intake_calendar_file=SAMPLE_CALENDAR)
    try:
        notice = await telegram_api.wait_for_message(ALICE)
        assert "2027年官方节假日安排重新核定为：2027年1月4日 10:00" in (notice.text or "")
        assert "暂定" not in (notice.text or "")
        case = await only_case(desk)
        assert minute(case.due_at) == at("2027-01-04 10:00")
        assert case.due_provisional_year is None
        status = await desk.say(ALICE, f"/status {case.number}")
        assert "2027年1月4日 10:00" in (status.text or "") and "暂定" not in (status.text or "")
    finally:
        await desk.stop()

    # Once: another restart changes nothing and tells nobody again.
    desk = Desk(url, telegram_api, ticking_from(YEAR_END))
    await desk.start(intake_calendar_file=SAMPLE_CALENDAR)
    try:
        async with SqlUnitOfWork(engine) as uow:
            history = await uow.cases.history(case.number)
        recounts = [e for e in history if e.action == "deadline_recounted"]
        assert len(recounts) == 1
        assert recounts[0].actor == "system:calendar"
        moved = [minute(datetime.fromisoformat(recounts[0].before["due_at"]))]
        moved.append(minute(datetime.fromisoformat(recounts[0].after["due_at"])))
        assert moved == [at("2027-01-01 10:00"), at("2027-01-04 10:00")]
        status = await desk.say(ALICE, f"/status {case.number}")
        notices = [
            m for m in telegram_api.sent(ALICE)[told_before:] if "重新核定" in (m.text or "")
        ]
        assert len(notices) == 1, status
    finally:
        await desk.stop()

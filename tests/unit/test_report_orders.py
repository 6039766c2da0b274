"""Reports ordered from chat (`/report`) and by the scheduler at the start of a month or
quarter: who may order which, where they go, and that each scheduled one goes once."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from core.analytics.orders import due_reports, order_scheduled_reports, period_asked
from core.analytics.periods import Period
from core.cases.calendar import WorkingCalendar
from core.channel.outbox import ReportOrder
from core.desk.service import DeskService
from core.desk.staff import Role
from core.identity import CustomerId, Platform
from core.messages import t
from tests.factories import at
from tests.fakes import InMemoryDatabase
from tests.unit.bank import AGENT, LEAD, SUPERVISOR, chat, command, open_bank

NOW = at("2026-11-17 10:00")
OPENS = time(9, 0)


async def test_a_lead_orders_the_report_of_their_department_to_their_own_chat(
    db: InMemoryDatabase, desk: DeskService
) -> None:
    open_bank(db)
    [answer] = await command(desk, LEAD, "/report", NOW)
    assert answer == t("zh", "desk.report.coming", period="2026-11")
    [message] = db.outbox
    assert message.recipient == chat(LEAD)
    assert message.report == ReportOrder(Period.month(2026, 11), "cards", "zh")
    assert "2026-11" in message.reply.text and "Cards" in message.reply.text


async def test_a_supervisor_orders_the_quarter_of_the_whole_bank(
    db: InMemoryDatabase, desk: DeskService
) -> None:
    open_bank(db)
    await command(desk, SUPERVISOR, "/report quarter", NOW)
    [message] = db.outbox
    assert message.report == ReportOrder(Period.quarter(2026, 4), None, "zh")
    assert t("zh", "desk.stats.all") in message.reply.text


async def test_an_agent_may_not_order_a_report(db: InMemoryDatabase, desk: DeskService) -> None:
    open_bank(db)
    [answer] = await command(desk, AGENT, "/report", NOW)
    assert answer == t("zh", "desk.forbidden")
    assert db.outbox == []


async def test_words_that_name_no_period_are_answered_with_the_ones_that_do(
    db: InMemoryDatabase, desk: DeskService
) -> None:
    open_bank(db)
    [answer] = await command(desk, LEAD, "/report fortnight", NOW)
    assert answer == t("zh", "desk.report.which", given="fortnight")
    assert "/report quarter" in answer and db.outbox == []


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("", Period.month(2026, 11)),
        ("month", Period.month(2026, 11)),
        ("季度", Period.quarter(2026, 4)),
        ("2026-09", Period.month(2026, 9)),
        ("2026Q3", Period.quarter(2026, 3)),
        ("next week", None),
    ],
)
def test_the_period_a_report_names(words: str, expected: Period | None) -> None:
    assert period_asked(words, date(2026, 11, 17)) == expected


def test_reports_fall_due_on_the_first_working_day_of_the_month_and_the_quarter(
    calendar: WorkingCalendar,
) -> None:
    # 1-3 January 2026 are the New Year holiday and Sunday the 4th is worked instead.
    assert due_reports(calendar, date(2026, 1, 2)) == []
    assert due_reports(calendar, date(2026, 1, 4)) == [
        Period.month(2025, 12),
        Period.quarter(2025, 4),
    ]
    assert due_reports(calendar, date(2026, 1, 5)) == []
    # National Day: the first working day of October 2026 is the 8th.
    assert due_reports(calendar, date(2026, 10, 1)) == []
    assert due_reports(calendar, date(2026, 10, 8)) == [
        Period.month(2026, 9),
        Period.quarter(2026, 3),
    ]
    # Not the first month of a quarter: the month alone.
    assert due_reports(calendar, date(2026, 11, 2)) == [Period.month(2026, 10)]


async def test_the_supervisors_get_the_scheduled_reports_once_each(
    db: InMemoryDatabase, calendar: WorkingCalendar
) -> None:
    open_bank(db)
    on_telegram, on_wechat = (
        CustomerId(Platform.TELEGRAM, "9005"),
        CustomerId(Platform.WECHAT, "o-sun"),
    )
    db.add_staff("Sun", Role.SUPERVISOR, "hq", on_telegram, on_wechat, language="en")

    async def order(now: datetime) -> int:
        return await order_scheduled_reports(
            db.unit_of_work, calendar=calendar, opens=OPENS, now=now
        )

    assert await order(at("2026-10-08 08:59")) == 0  # before the working day begins
    assert await order(at("2026-10-08 09:00")) == 6
    for later in ("2026-10-08 09:10", "2026-10-08 17:50"):  # every ten minutes, anywhere
        await order(at(later))
    sent = sorted(
        (str(m.recipient), m.report.period.label, m.report.language)
        for m in db.outbox
        if m.report is not None and m.report.department is None
    )
    expected = [
        (str(address), label, language)
        for address, language in (
            (chat(SUPERVISOR), "zh"),
            (chat(on_telegram), "en"),
            (chat(on_wechat), "en"),
        )
        for label in ("2026-09", "2026Q3")
    ]
    assert len(db.outbox) == 6 and sent == sorted(expected)
    assert "Quarterly report 2026Q3" in db.sent_to(chat(on_wechat))[-1].text

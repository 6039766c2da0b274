"""The desk on the fake: a staff command in, replies and queued messages out, and the
refusals leaving everything as it was."""

from __future__ import annotations

import pytest

from core.cases.calendar import WorkingCalendar
from core.cases.classification import Cause
from core.cases.deadlines import DeadlinePolicy
from core.cases.values import CaseStatus
from core.desk.service import DeskService
from core.desk.staff import Role
from core.identity import CustomerId, Platform
from core.messages import t
from tests.factories import ALICE, at, draft, filed_case
from tests.fakes import InMemoryDatabase
from tests.unit.bank import AGENT, LEAD, LOANS_AGENT, as_stored, command, incoming, open_bank

FILED = at("2026-11-02 10:00")
NOW = at("2026-11-03 10:00")


@pytest.fixture
async def number(db: InMemoryDatabase, calendar: WorkingCalendar) -> str:
    """ALICE's complaint about her debit card, waiting in the cards queue."""
    open_bank(db)
    case = await filed_case(
        db.unit_of_work(),
        draft(department="cards"),
        calendar=calendar,
        policy=DeadlinePolicy(),
        now=FILED,
        cause=Cause.FACILITIES,
    )
    return case.number


async def test_taking_a_case_assigns_it_to_whoever_took_it(
    db: InMemoryDatabase, desk: DeskService, number: str
) -> None:
    replies = await command(desk, AGENT, f"/take {number}", NOW)
    assert number in replies[0]
    case = db.case(number)
    agent = db.tables.staff[db.tables.identities[(AGENT.platform, AGENT.user_id)]]
    assert case.assignee == str(agent.id) and case.status is CaseStatus.IN_PROGRESS
    assert db.history(number)[-1].actor == agent.actor


async def test_a_question_goes_to_the_customer_and_waits_for_the_answer(
    db: InMemoryDatabase, desk: DeskService, number: str
) -> None:
    await command(desk, AGENT, f"/take {number}", NOW)
    await command(desk, AGENT, f"/ask {number} Which branch was it?", NOW)
    [question] = db.sent_to(ALICE)
    assert "Which branch was it?" in question.text and number in question.text
    assert db.case(number).status is CaseStatus.WAITING_FOR_CUSTOMER
    dialogue = db.dialogue(ALICE)
    assert dialogue is not None and dialogue.answering == number  # her next words answer it


async def test_resolving_sends_the_customer_the_result_and_the_survey(
    db: InMemoryDatabase, desk: DeskService, number: str
) -> None:
    await command(desk, AGENT, f"/take {number}", NOW)
    await command(desk, AGENT, f"/resolve {number} The card is back at the branch.", NOW)
    case = db.case(number)
    assert case.status is CaseStatus.RESOLVED and case.resolved_at == NOW
    assert case.resolution == "The card is back at the branch."
    result, survey = db.sent_to(ALICE)
    assert "The card is back at the branch." in result.text
    assert [o.key for o in survey.options][:5] == [f"v:{number}:{s}" for s in range(1, 6)]


async def test_an_agent_may_not_assign_and_nothing_changes(
    db: InMemoryDatabase, desk: DeskService, number: str
) -> None:
    before = as_stored(db, number)
    assert await command(desk, AGENT, f"/assign {number} loans", NOW) == [t("zh", "desk.forbidden")]
    assert as_stored(db, number) == before


async def test_a_lead_may_assign_and_the_new_department_sees_it(
    db: InMemoryDatabase, desk: DeskService, number: str
) -> None:
    await command(desk, LEAD, f"/assign {number} loans", NOW)
    assert db.case(number).department == "loans"
    [queue] = await command(desk, LOANS_AGENT, "/queue dept", NOW)
    assert number in queue


async def test_another_departments_case_is_out_of_reach(
    db: InMemoryDatabase, desk: DeskService, number: str
) -> None:
    before = as_stored(db, number)
    # Told exactly what a case that does not exist would tell.
    assert await command(desk, LOANS_AGENT, f"/take {number}", NOW) == [
        t("zh", "desk.no_case", number=number)
    ]
    assert as_stored(db, number) == before and db.case(number).assignee is None


async def test_a_customer_typing_a_command_is_left_to_the_customer_flow(
    db: InMemoryDatabase, desk: DeskService, number: str
) -> None:
    assert await desk.handle(incoming(ALICE, f"/take {number}"), NOW) is None
    assert db.case(number).assignee is None and db.outbox == []


async def test_a_disabled_member_is_no_longer_staff(
    db: InMemoryDatabase, desk: DeskService, number: str
) -> None:
    gone = CustomerId(Platform.TELEGRAM, "9099")
    db.add_staff("Former", Role.LEAD, "cards", gone, active=False)
    assert await desk.handle(incoming(gone, f"/take {number}"), NOW) is None


async def test_a_registration_code_links_the_chat_once(
    db: InMemoryDatabase, desk: DeskService
) -> None:
    open_bank(db)
    db.invite("ABCD-EFGH", "Sun", Role.AGENT, "loans", expires_at=at("2026-11-10 00:00"))
    newcomer = CustomerId(Platform.TELEGRAM, "9100")
    await command(desk, newcomer, "/register ABCD-EFGH", NOW)
    staff_id = db.tables.identities[(newcomer.platform, newcomer.user_id)]
    assert db.tables.staff[staff_id].name == "Sun"
    other = CustomerId(Platform.TELEGRAM, "9101")
    await desk.handle(incoming(other, "/register ABCD-EFGH"), NOW)
    assert (other.platform, other.user_id) not in db.tables.identities

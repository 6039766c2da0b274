"""Filing through the conversation service on the fake: what is stored, who is told,
what is earned, and a redelivery acting once."""

from __future__ import annotations

from core.cases.calendar import WorkingCalendar
from core.cases.deadlines import DeadlinePolicy
from core.cases.values import CaseStatus, CaseType
from core.channel.io import Choice
from core.customers.conversation import ConversationService
from core.rewards.ledger import RewardReason
from tests.factories import ALICE, BOB, at, draft, filed_case
from tests.fakes import InMemoryDatabase
from tests.unit.bank import AGENT, CARDS_GROUP, LEAD, chat, file_by_dialogue, incoming, open_bank

NOW = at("2026-11-02 10:00")


async def test_a_complaint_told_in_the_dialogue_is_stored_routed_and_announced(
    db: InMemoryDatabase, conversations: ConversationService
) -> None:
    open_bank(db)
    number = await file_by_dialogue(conversations, ALICE, NOW)

    case = db.case(number)
    assert number.startswith("CP-20261102-")
    assert (case.type, case.status, case.customer) == (CaseType.COMPLAINT, CaseStatus.NEW, ALICE)
    assert case.department == "cards"  # debit cards are theirs
    assert case.contact.name == "张三" and case.contact.phone == "13812348000"
    assert case.received_at == NOW and case.due_at > NOW
    assert [e.action for e in db.history(number)] == ["filed"]
    # Without a team chat, each member of the department hears of it in private.
    announced = {m.recipient: m for m in db.outbox}
    assert set(announced) == {chat(AGENT), chat(LEAD)}
    assert all(number in m.reply.text and m.case_number == number for m in announced.values())
    assert db.balance(ALICE) == 0  # a complaint earns nothing
    dialogue = db.dialogue(ALICE)
    assert dialogue is not None and not dialogue.unfinished


async def test_a_department_with_a_team_chat_is_told_there(
    db: InMemoryDatabase, conversations: ConversationService
) -> None:
    open_bank(db, group=True)
    number = await file_by_dialogue(conversations, ALICE, NOW)
    assert [m.recipient for m in db.outbox] == [CARDS_GROUP]
    assert db.outbox[0].reply.options[0].key.endswith(number)  # "take" it


async def test_a_praise_earns_its_points_once(
    db: InMemoryDatabase, conversations: ConversationService
) -> None:
    open_bank(db)
    number = await file_by_dialogue(conversations, BOB, NOW, kind="praise")
    assert db.case(number).type is CaseType.PRAISE
    assert db.balance(BOB) == 10
    assert [(e.reason, e.case_number) for e in db.tables.ledger] == [
        (RewardReason.PRAISE_FILED, number)
    ]
    # Pressing "submit" again files nothing more and pays nothing more.
    await conversations.handle(incoming(BOB, Choice("s:submit")), NOW)
    assert len(db.tables.cases) == 1 and db.balance(BOB) == 10


async def test_a_redelivered_message_is_answered_once(
    db: InMemoryDatabase, conversations: ConversationService
) -> None:
    first = await conversations.handle(incoming(ALICE, Choice("t:praise"), "tg:1"), NOW)
    again = await conversations.handle(incoming(ALICE, Choice("t:praise"), "tg:1"), NOW)
    assert not first.redelivered and again.redelivered and again.replies == []
    dialogue = db.dialogue(ALICE)
    assert dialogue is not None and dialogue.case_type is CaseType.PRAISE
    assert dialogue.trail == []  # the choice was applied once


async def test_filing_directly_numbers_cases_in_a_daily_series(
    db: InMemoryDatabase, calendar: WorkingCalendar
) -> None:
    numbers = [
        (
            await filed_case(
                db.unit_of_work(), draft(), calendar=calendar, policy=DeadlinePolicy(), now=NOW
            )
        ).number
        for _ in range(2)
    ]
    assert numbers == ["CP-20261102-0001", "CP-20261102-0002"]
    assert set(db.tables.cases) == set(numbers)

"""The satisfaction survey on the fake: asked on resolving, answered once, a low rating
telling the leads, and the reminder and expiry of an unanswered one."""

from __future__ import annotations

import pytest

from core.cases.calendar import WorkingCalendar
from core.cases.classification import Cause
from core.cases.deadlines import DeadlinePolicy
from core.cases.values import CaseStatus
from core.channel.io import Choice
from core.chasing.rules import BusinessHours
from core.customers.conversation import ConversationService
from core.customers.dialogue.state import Awaiting
from core.desk.service import DeskService
from core.rewards.ledger import RewardReason
from core.survey.satisfaction import EXPIRY_ACTOR, chase_surveys
from tests.factories import ALICE, at, draft, filed_case
from tests.fakes import InMemoryDatabase
from tests.unit.bank import AGENT, LEAD, chat, command, incoming, open_bank

RESOLVED = at("2026-11-03 10:00")  # a Tuesday
LATER = at("2026-11-03 11:00")


@pytest.fixture
async def number(db: InMemoryDatabase, calendar: WorkingCalendar, desk: DeskService) -> str:
    """ALICE's complaint, resolved by the cards agent, the survey sent."""
    open_bank(db)
    case = await filed_case(
        db.unit_of_work(),
        draft(department="cards"),
        calendar=calendar,
        policy=DeadlinePolicy(),
        now=at("2026-11-02 10:00"),
        cause=Cause.FACILITIES,
    )
    await command(desk, AGENT, f"/take {case.number}", RESOLVED)
    await command(desk, AGENT, f"/resolve {case.number} The card is back.", RESOLVED)
    return case.number


async def rate(conversations: ConversationService, number: str, score: int) -> list[str]:
    outcome = await conversations.handle(incoming(ALICE, Choice(f"v:{number}:{score}")), LATER)
    return [r.text for r in outcome.replies]


async def test_resolving_makes_the_survey_the_customers_open_question(
    db: InMemoryDatabase, number: str
) -> None:
    dialogue = db.dialogue(ALICE)
    assert dialogue is not None and dialogue.pending is not None
    assert dialogue.pending.ref == number
    assert any(o.key == f"v:{number}:5" for o in db.sent_to(ALICE)[-1].options)


async def test_a_good_rating_closes_the_case_and_earns_points_once(
    db: InMemoryDatabase, conversations: ConversationService, number: str
) -> None:
    staff_before = [m for m in db.outbox if m.recipient != ALICE]
    await rate(conversations, number, 4)
    case = db.case(number)
    assert (case.satisfaction, case.status, case.rated_at) == (4, CaseStatus.CLOSED, LATER)
    assert db.balance(ALICE) == 5
    dialogue = db.dialogue(ALICE)
    assert dialogue is not None and dialogue.pending is not None
    assert dialogue.pending.kind is Awaiting.COMMENT  # a comment is invited, not required
    assert [e.reason for e in db.tables.ledger] == [RewardReason.SURVEY_ANSWERED]
    # Answered once: a second tap changes neither the rating nor the points.
    await rate(conversations, number, 1)
    assert db.case(number).satisfaction == 4 and db.balance(ALICE) == 5
    assert [m for m in db.outbox if m.recipient != ALICE] == staff_before  # nobody alerted


async def test_a_low_rating_tells_the_leads_and_offers_to_reopen(
    db: InMemoryDatabase, conversations: ConversationService, number: str
) -> None:
    await rate(conversations, number, 2)
    assert db.case(number).satisfaction == 2
    [alert] = db.sent_to(chat(LEAD))
    assert number in alert.text
    dialogue = db.dialogue(ALICE)
    assert dialogue is not None and dialogue.pending is not None
    assert (dialogue.pending.kind, dialogue.pending.ref) == (Awaiting.REOPEN, number)


async def test_an_unanswered_survey_is_recalled_once_then_expires(
    db: InMemoryDatabase, calendar: WorkingCalendar, number: str
) -> None:
    async def sweep(now_text: str) -> int:
        return await chase_surveys(
            db.unit_of_work, calendar=calendar, hours=BusinessHours(), now=at(now_text)
        )

    assert await sweep("2026-11-03 18:00") == 0  # not a working day yet
    assert await sweep("2026-11-04 11:00") == 1  # one working day after resolving
    assert await sweep("2026-11-04 11:30") == 0  # once only
    reminders = [q for q in db.tables.outbox if q.key.startswith(f"survey:{number}:")]
    assert [(q.message.recipient, q.at) for q in reminders] == [(ALICE, at("2026-11-04 11:00"))]

    await sweep("2026-11-10 10:00")  # seven days after resolving
    case = db.case(number)
    assert case.status is CaseStatus.CLOSED and case.satisfaction is None
    assert (db.history(number)[-1].action, db.history(number)[-1].actor) == (
        "closed",
        EXPIRY_ACTOR,
    )
    dialogue = db.dialogue(ALICE)
    assert dialogue is not None and dialogue.pending is None

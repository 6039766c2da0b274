"""The conversation service: one customer message in, the replies out, in one transaction.

Every chat adapter calls `ConversationService.handle`. Within a single transaction it
drops redeliveries, locks the customer's dialogue, runs the dialogue engine, carries
out the engine's effect (filing a case, looking up cases or points) and stores the new
dialogue, so a crash leaves either all of it or none of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from core.calendar import WorkingCalendar
from core.classification import Channel
from core.deadlines import DeadlinePolicy
from core.dialogue import views
from core.dialogue.engine import (
    DialogueSettings,
    Effect,
    ListCases,
    ShowPoints,
    ShowStatus,
    SubmitCase,
    Turn,
    converse,
    prompt,
)
from core.dialogue.io import Input, Reply
from core.dialogue.state import Dialogue
from core.errors import UnknownCalendarYear
from core.identity import CustomerId
from core.messages import t
from core.numbering import normalize_case_number
from core.ports import Alerts, UnitOfWork
from core.services import CaseDraft, open_case

MY_CASES_SHOWN = 10


@dataclass(frozen=True, slots=True)
class Outcome:
    """What handling a message produced."""

    replies: list[Reply]  # empty for a redelivery: it was answered the first time
    response: str | None = None  # the channel's rendering of the replies (see `handle`)
    redelivered: bool = False
    waiting_pushes: int = 0  # pushes held until this customer wrote: send them now


@dataclass(frozen=True, slots=True)
class Incoming:
    customer: CustomerId
    message: Input
    channel: Channel  # the JR/T 0169 channel axis, set by the adapter
    language_hint: str | None = None
    delivery_key: str | None = None  # the platform's id of this delivery, for deduplication


class ConversationService:
    def __init__(
        self,
        unit_of_work: Callable[[], UnitOfWork],
        *,
        calendar: WorkingCalendar,
        policy: DeadlinePolicy,
        settings: DialogueSettings,
        alerts: Alerts,
    ) -> None:
        self._unit_of_work = unit_of_work
        self._calendar = calendar
        self._policy = policy
        self._settings = settings
        self._alerts = alerts

    async def handle(
        self,
        incoming: Incoming,
        now: datetime,
        render: Callable[[list[Reply]], str] | None = None,
    ) -> Outcome:
        """Answer one message.

        `render` turns the replies into the channel's response (WeChat's passive reply);
        it is stored with the delivery id in the same transaction, so a redelivery gets
        exactly the same response and nothing else happens.
        """
        uow = self._unit_of_work()
        key = incoming.delivery_key
        async with uow:
            if key is not None and not await uow.deliveries.first_time(key, now):
                return Outcome([], await uow.deliveries.response(key), redelivered=True)
            locked = await uow.dialogues.lock(incoming.customer, now)
            turn = converse(
                locked.dialogue or Dialogue(),
                incoming.message,
                now=now,
                settings=self._settings,
                language_hint=incoming.language_hint,
            )
            dialogue, replies = turn.dialogue, list(turn.replies)
            if turn.effect is not None:
                dialogue, answer = await self._carry_out(uow, incoming, turn, turn.effect, now)
                replies = [*answer, *replies]
            await uow.dialogues.save(incoming.customer, dialogue)
            response = render(replies) if render is not None else None
            if key is not None and response is not None:
                await uow.deliveries.keep_response(key, response)
            await uow.commit()
        return Outcome(replies, response, waiting_pushes=locked.waiting_pushes)

    async def _carry_out(
        self, uow: UnitOfWork, incoming: Incoming, turn: Turn, effect: Effect, now: datetime
    ) -> tuple[Dialogue, list[Reply]]:
        """Run the effect; returns the dialogue to keep and the replies it produced."""
        lang = turn.dialogue.language
        tz = self._calendar.tz
        customer = incoming.customer
        match effect:
            case SubmitCase():
                draft = CaseDraft(
                    type=effect.type,
                    customer=customer,
                    channel=incoming.channel,
                    business_type=effect.business_type,
                    description=effect.description,
                    contact=effect.contact,
                    branch=effect.branch,
                    desired_outcome=effect.desired_outcome,
                    attachments=effect.attachments,
                )
                try:
                    case = await open_case(
                        uow, draft, calendar=self._calendar, policy=self._policy, now=now
                    )
                except UnknownCalendarYear as refusal:
                    await self._alerts.alert_admins(str(refusal))
                    kept = turn.previous or turn.dialogue
                    return kept, [Reply(t(lang, "filing_failed")), prompt(kept, self._settings)]
                return turn.dialogue, [Reply(views.confirmation(case, lang, tz))]
            case ShowStatus():
                return turn.dialogue, [Reply(await self._status(uow, customer, effect, lang))]
            case ListCases():
                cases = await uow.cases.for_customer(customer, MY_CASES_SHOWN)
                return turn.dialogue, [Reply(views.case_list(cases, lang, tz))]
            case ShowPoints():
                balance = await uow.rewards.balance(customer)
                entries = await uow.rewards.recent(customer)
                return turn.dialogue, [Reply(views.points_view(balance, entries, lang, tz))]

    async def _status(
        self, uow: UnitOfWork, customer: CustomerId, effect: ShowStatus, lang: str
    ) -> str:
        number = normalize_case_number(effect.query)
        case = await uow.cases.get(number) if number else None
        # Someone else's case reads exactly like one that does not exist.
        if case is None or case.customer != customer:
            shown = number or effect.query[:32]
            return t(lang, "status.none", number=shown)
        history = await uow.cases.history(case.number)
        return views.status_view(case, history, lang, self._calendar.tz)

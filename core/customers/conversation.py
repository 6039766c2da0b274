"""The conversation service: one customer message in, the replies out, in one transaction.

Every chat adapter calls `ConversationService.handle`. Within a single transaction it
drops redeliveries, locks the customer's dialogue, runs the dialogue engine, carries
out the engine's effect (filing a case, looking up cases or points) and stores the new
dialogue, so a crash leaves either all of it or none of it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from core.cases.calendar import WorkingCalendar
from core.cases.deadlines import DeadlinePolicy
from core.cases.filing import CaseDraft, open_case
from core.cases.naming import type_name
from core.cases.numbering import normalize_case_number
from core.cases.provisional import missing_calendar_year
from core.cases.values import CaseType
from core.channel.answer import Outcome, Render, settle_answer
from core.channel.io import Incoming, Reply
from core.channel.outbox import OutboundMessage, Recipient
from core.customers import privacy, relay
from core.customers.dialogue import pending, views
from core.customers.dialogue.effects import (
    AddToCase,
    AnswerCase,
    CommentOnRating,
    Effect,
    ForgetMe,
    ListCases,
    OfferAddition,
    OfferVoucher,
    RateCase,
    RedeemVoucher,
    SettleRating,
    ShowMyVouchers,
    ShowPoints,
    ShowPrivacy,
    ShowStatus,
    ShowVouchers,
    SubmitCase,
    Turn,
)
from core.customers.dialogue.engine import converse, prompt
from core.customers.dialogue.flow import DialogueSettings
from core.customers.dialogue.state import MENUS, Awaiting, Dialogue, Pending
from core.desk.staff import route
from core.desk.taking import announce
from core.identity import CustomerId
from core.messages import t
from core.ports import Alerts, UnitOfWork
from core.rewards import redeeming
from core.rewards.crediting import reward
from core.rewards.ledger import RewardPolicy, RewardReason
from core.survey.satisfaction import Survey

MY_CASES_SHOWN = 10
# Material sent after filing is offered to the customer's latest open cases, this many.
CASES_TO_ADD_TO = 5


# Feedback the scheme rewards as soon as it is filed (a complaint earns nothing).
_FILING_REWARDS = {
    CaseType.PRAISE: RewardReason.PRAISE_FILED,
    CaseType.SUGGESTION: RewardReason.SUGGESTION_FILED,
}


class ConversationService:
    def __init__(
        self,
        unit_of_work: Callable[[], UnitOfWork],
        *,
        calendar: WorkingCalendar,
        policy: DeadlinePolicy,
        settings: DialogueSettings,
        alerts: Alerts,
        rewards: RewardPolicy | None = None,
        after_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self._unit_of_work = unit_of_work
        self._calendar = calendar
        self._policy = policy
        self._settings = settings
        self._alerts = alerts
        self._rewards = rewards or RewardPolicy()
        self._survey = Survey(calendar=calendar, policy=policy, rewards=self._rewards)
        self._after_commit = after_commit  # wakes the dispatcher: messages are queued

    async def handle(
        self,
        incoming: Incoming,
        now: datetime,
        render: Render | None = None,
        reply_to: Recipient | None = None,
    ) -> Outcome:
        """Answer one message.

        `render` turns the replies into the channel's response (WeChat's passive reply);
        it is stored with the delivery id in the same transaction, so a redelivery gets
        exactly the same response and nothing else happens; what did not fit in it is
        queued for the customer. With `reply_to`, the replies are queued in the outbox
        for that chat instead (Telegram).
        """
        uow = self._unit_of_work()
        key = incoming.delivery_key
        sends: list[OutboundMessage] = []
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
                dialogue, answer = await self._carry_out(
                    uow, incoming, turn, turn.effect, now, sends
                )
                replies = [*answer, *replies]
            await uow.dialogues.save(incoming.customer, dialogue)
            response, queued = await settle_answer(
                uow,
                key=key,
                sender=incoming.customer,
                replies=replies,
                sends=sends,
                now=now,
                render=render,
                reply_to=reply_to,
            )
            await uow.commit()
        if queued:
            self._after_commit()
        return Outcome(replies, response, waiting_pushes=locked.waiting_pushes)

    async def _carry_out(
        self,
        uow: UnitOfWork,
        incoming: Incoming,
        turn: Turn,
        effect: Effect,
        now: datetime,
        sends: list[OutboundMessage],
    ) -> tuple[Dialogue, list[Reply]]:
        """Run the effect; returns the dialogue to keep and the replies it produced, and
        adds to `sends` what must go to others once the transaction commits."""
        lang = turn.dialogue.language
        tz = self._calendar.tz
        customer = incoming.customer
        match effect:
            case SubmitCase():
                draft = CaseDraft(
                    type=effect.type,
                    customer=customer,
                    channel=effect.channel or incoming.channel,
                    business_type=effect.business_type,
                    description=effect.description,
                    contact=effect.contact,
                    branch=effect.branch,
                    desired_outcome=effect.desired_outcome,
                    attachments=effect.attachments,
                    department=route(await uow.staff.departments(), effect.business_type),
                    intake_channel=incoming.intake_channel,
                )
                case = await open_case(
                    uow, draft, calendar=self._calendar, policy=self._policy, now=now
                )
                year = case.due_provisional_year
                if year is not None:
                    await self._alerts.alert_admins(missing_calendar_year(year), uow)
                sends.extend(await announce(uow, case, tz))
                replies = [Reply(views.confirmation(case, lang, tz), filed=case.number)]
                reason = _FILING_REWARDS.get(case.type)
                if reason is not None:
                    earned = await reward(
                        uow,
                        self._rewards,
                        customer=customer,
                        reason=reason,
                        case_number=case.number,
                        language=lang,
                        now=now,
                    )
                    if earned:
                        replies.append(Reply(earned))
                return turn.dialogue, replies
            case AnswerCase():
                sends.extend(await self._relay_answer(uow, customer, effect, now))
                return turn.dialogue, [Reply(t(lang, "customer.answer_received"))]
            case OfferAddition():
                return turn.dialogue, [await self._offer_addition(uow, customer, turn, effect)]
            case AddToCase():
                return turn.dialogue, await self._add_to_case(
                    uow, customer, turn, effect, now, sends
                )
            case ShowStatus():
                return turn.dialogue, [Reply(await self._status(uow, customer, effect, lang))]
            case ListCases():
                cases = await uow.cases.for_customer(customer, MY_CASES_SHOWN)
                return turn.dialogue, [Reply(views.case_list(cases, lang, tz))]
            case ShowPoints():
                balance = await uow.rewards.balance(customer)
                entries = await uow.rewards.recent(customer)
                return turn.dialogue, [Reply(views.points_view(balance, entries, lang, tz))]
            case RateCase() | CommentOnRating() | SettleRating():
                answer = await self._survey.answer(uow, customer, turn.dialogue, effect, now)
                sends.extend(answer.sends)
                return turn.dialogue, answer.replies
            case ShowVouchers():
                return turn.dialogue, [await redeeming.catalog(uow, customer, turn.dialogue)]
            case ShowMyVouchers():
                return turn.dialogue, [await redeeming.issued(uow, customer, lang, now, tz)]
            case OfferVoucher():
                offered = await redeeming.offer(uow, customer, turn.dialogue, effect.voucher_id)
                return turn.dialogue, [offered]
            case RedeemVoucher():
                issued = await redeeming.redeem(uow, customer, lang, effect.voucher_id, now, tz)
                return turn.dialogue, [issued]
            case ShowPrivacy():
                return turn.dialogue, [Reply(await privacy.report(uow, customer, lang))]
            case ForgetMe():
                done = await privacy.forget(uow, customer, lang, now)
                # An unfinished intake may hold a name and phone number too.
                return turn.dialogue.restarted(), [Reply(done)]

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
        department = await uow.staff.department(case.department) if case.department else None
        name = department.name if department else None
        return views.status_view(case, history, name, lang, self._calendar.tz)

    async def _relay_answer(
        self, uow: UnitOfWork, customer: CustomerId, answer: AnswerCase, now: datetime
    ) -> list[OutboundMessage]:
        """Add the answer to the case and pass it to whoever asked."""
        case = await uow.cases.get(answer.number)
        if case is None or case.customer != customer:
            return []
        material = (answer.material,)
        await relay.record(uow, case, material, f"customer:{customer}", now)
        return await relay.relay(uow, await relay.asker(uow, case), case, material, answer=True)

    async def _offer_addition(
        self, uow: UnitOfWork, customer: CustomerId, turn: Turn, effect: OfferAddition
    ) -> Reply:
        """Ask which open case the material belongs to; with none open, the menu."""
        dialogue, lang = turn.dialogue, turn.dialogue.language
        mine = await uow.cases.for_customer(customer, privacy.ALL_CASES)
        open_cases = [c for c in mine if c.status.is_open][:CASES_TO_ADD_TO]
        if not open_cases:
            if dialogue.pending is not None and dialogue.pending.kind in MENUS:
                dialogue.pending = None
            return prompt(dialogue, self._settings)
        choices = tuple(
            pending.add_option(
                c.number,
                t(lang, "add.option", type=type_name(lang, c.type), number=c.number),
            )
            for c in open_cases
        )
        dialogue.pending = Pending(Awaiting.ADD, choices=choices, material=effect.material)
        question = pending.question(dialogue.pending, lang)
        count = len(effect.material)
        if count == 1:
            return question
        return Reply(t(lang, "add.held", count=count) + "\n" + question.text, question.options)

    async def _add_to_case(
        self,
        uow: UnitOfWork,
        customer: CustomerId,
        turn: Turn,
        effect: AddToCase,
        now: datetime,
        sends: list[OutboundMessage],
    ) -> list[Reply]:
        """Add the material to the chosen case, if it is still open, and tell its handler."""
        lang = turn.dialogue.language
        case = await uow.cases.get(effect.number)
        if case is None or case.customer != customer or not case.status.is_open:
            # Finished since it was offered (or a forged button): nothing is added.
            return [Reply(t(lang, "add.not_open", number=effect.number))]
        await relay.record(uow, case, effect.material, f"customer:{customer}", now)
        people = await relay.handler(uow, case)
        sends.extend(await relay.relay(uow, people, case, effect.material, answer=False))
        return [Reply(t(lang, "add.done", number=case.number, count=len(effect.material)))]

"""The satisfaction survey: asked when a case is resolved, answered once, chased after.

Resolving a case (or deciding a suggestion) sends the customer the result, then the
survey. A rating of 3 to 5 closes the case and invites an optional comment; 1 or 2
alerts the department's leads and offers to reopen the case. Unanswered, the survey is
recalled once after one working day, and after seven days it expires and the case
closes. Everything here runs inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.cases.calendar import WorkingCalendar
from core.cases.case import Case
from core.cases.deadlines import DeadlinePolicy
from core.cases.filing import change_case_within
from core.cases.naming import type_name
from core.cases.values import SATISFIED_FROM, CaseStatus
from core.channel.io import Reply
from core.channel.outbox import OutboundMessage
from core.chasing.rules import BusinessHours
from core.chasing.watch import Place
from core.customers.dialogue import pending
from core.customers.dialogue.effects import CommentOnRating, RateCase, SettleRating
from core.customers.dialogue.state import Awaiting, Dialogue, Pending, Step
from core.customers.dialogue.views import case_deadline
from core.desk.notify import tell_staff
from core.desk.staff import Role
from core.desk.taking import view_button
from core.desk.views import due_when, safe
from core.errors import DomainError
from core.identity import CustomerId
from core.messages import t
from core.ports import UnitOfWork
from core.rewards.crediting import reward
from core.rewards.ledger import RewardPolicy, RewardReason

SURVEY_OPEN_FOR = timedelta(days=7)
REMINDER_KIND = "survey_reminder"  # in the case-alert log: the reminder goes out once
EXPIRY_ACTOR = "system:survey"
BATCH = 500


async def ask_for_rating(uow: UnitOfWork, case: Case, now: datetime) -> tuple[str, Reply]:
    """Make the survey the customer's open question; returns their language and the
    survey message to send after the result."""
    question = Pending(Awaiting.RATING, case.number)
    dialogue = await _open_question(uow, case.customer, question, now)
    return dialogue.language, pending.question(question, dialogue.language)


@dataclass
class SurveyAnswer:
    """What answering produced: the reply to the customer and messages to staff."""

    replies: list[Reply] = field(default_factory=list)
    sends: list[OutboundMessage] = field(default_factory=list)


class Survey:
    """The customer's side of the survey, for the conversation service."""

    def __init__(
        self, *, calendar: WorkingCalendar, policy: DeadlinePolicy, rewards: RewardPolicy
    ) -> None:
        self._calendar = calendar
        self._policy = policy
        self._rewards = rewards

    async def answer(
        self,
        uow: UnitOfWork,
        customer: CustomerId,
        dialogue: Dialogue,
        effect: RateCase | CommentOnRating | SettleRating,
        now: datetime,
    ) -> SurveyAnswer:
        """Carry out the customer's answer; `dialogue` gets the next open question."""
        match effect:
            case RateCase():
                return await self._rate(uow, customer, dialogue, effect.number, effect.score, now)
            case CommentOnRating():
                return await self._comment(uow, customer, dialogue, effect.number, effect.text, now)
            case SettleRating():
                return await self._settle(
                    uow, customer, dialogue, effect.number, effect.reopen, now
                )

    async def _rate(
        self,
        uow: UnitOfWork,
        customer: CustomerId,
        dialogue: Dialogue,
        number: str,
        score: int,
        now: datetime,
    ) -> SurveyAnswer:
        lang = dialogue.language
        # A second press of the same button, an expired survey, someone else's case.
        not_open = SurveyAnswer([Reply(t(lang, "survey.not_open", number=number))])
        case = await _own_case(uow, customer, number)
        if case is None:
            return not_open
        try:
            await change_case_within(
                uow, case, lambda c: c.rate(score, actor=f"customer:{customer}", now=now)
            )
        except DomainError:
            return not_open
        lines = [t(lang, "survey.thanks", number=number, score=score)]
        earned = await reward(
            uow,
            self._rewards,
            customer=customer,
            reason=RewardReason.SURVEY_ANSWERED,
            case_number=number,
            language=lang,
            now=now,
        )
        if earned:
            lines.append(earned)
        answer = SurveyAnswer()
        if score >= SATISFIED_FROM:
            dialogue.pending = Pending(Awaiting.COMMENT, number)
        else:
            dialogue.pending = Pending(Awaiting.REOPEN, number)
            answer.sends = await _tell_leads(
                uow,
                case,
                lambda language: t(
                    language, "desk.low_rating", **_about(case, language), score=score
                ),
            )
        answer.replies.append(self._with_question(dialogue, lines))
        return answer

    async def _comment(
        self,
        uow: UnitOfWork,
        customer: CustomerId,
        dialogue: Dialogue,
        number: str,
        text: str,
        now: datetime,
    ) -> SurveyAnswer:
        lang = dialogue.language
        case = await _own_case(uow, customer, number)
        answer = SurveyAnswer()
        if case is not None and case.satisfaction is not None:
            try:
                await change_case_within(
                    uow,
                    case,
                    lambda c: c.comment_on_rating(text, actor=f"customer:{customer}", now=now),
                )
            except DomainError:
                pass  # commented before: the thanks below still fits
            else:
                if case.satisfaction < SATISFIED_FROM:
                    comment = safe(case, case.satisfaction_comment)
                    answer.sends = await _tell_leads(
                        uow,
                        case,
                        lambda language: t(
                            language, "desk.low_rating.comment", number=number, comment=comment
                        ),
                    )
        if dialogue.pending is not None and dialogue.pending.kind is Awaiting.COMMENT:
            dialogue.pending = None
        # After a low rating the offer to reopen stays open.
        answer.replies.append(self._with_question(dialogue, [t(lang, "survey.comment_thanks")]))
        return answer

    async def _settle(
        self,
        uow: UnitOfWork,
        customer: CustomerId,
        dialogue: Dialogue,
        number: str,
        reopen: bool,
        now: datetime,
    ) -> SurveyAnswer:
        """After a low rating: reopen the case with a fresh deadline, or close it."""
        lang = dialogue.language
        case = await _own_case(uow, customer, number)
        actor = f"customer:{customer}"
        if (
            case is None
            or case.status is not CaseStatus.RESOLVED
            or case.satisfaction is None
            or case.satisfaction >= SATISFIED_FROM
        ):
            return SurveyAnswer([Reply(t(lang, "survey.not_open", number=number))])
        if not reopen:
            await change_case_within(uow, case, lambda c: c.close(actor=actor, now=now))
            return SurveyAnswer([Reply(t(lang, "survey.closed_now", number=number))])
        due = self._policy.due(self._calendar, case.type, now)
        reason = f"reopened by the customer after a rating of {case.satisfaction}"
        await change_case_within(
            uow,
            case,
            lambda c: c.reopen(
                reason=reason, due_at=due.at, due_basis=due.basis, actor=actor, now=now
            ),
        )
        tz = self._calendar.tz
        sends = await _tell_leads(
            uow,
            case,
            lambda language: t(
                language,
                "desk.customer_reopened",
                **_about(case, language),
                due=due_when(case, language, tz),
            ),
            assignee_too=True,
        )
        text = t(lang, "survey.reopened", **_about(case, lang), due=case_deadline(case, lang, tz))
        return SurveyAnswer([Reply(text)], sends)

    @staticmethod
    def _with_question(dialogue: Dialogue, lines: list[str]) -> Reply:
        """The answer, followed by the open question when it can be answered now (an
        intake under way asks it once it is finished)."""
        if dialogue.pending is None or dialogue.step is not Step.IDLE:
            return Reply("\n".join(lines))
        question = pending.question(dialogue.pending, dialogue.language)
        return Reply("\n".join([*lines, question.text]), question.options)


async def chase_surveys(
    unit_of_work: Callable[[], UnitOfWork],
    *,
    calendar: WorkingCalendar,
    hours: BusinessHours,
    now: datetime,
) -> int:
    """Remind customers of unanswered surveys once, after one working day, and close
    cases whose survey is over seven days old. Returns how many messages were queued.
    Reminders go out in business hours only: nobody is woken for a survey."""
    remind = hours.is_open(calendar, now)
    queued = 0
    after: Place | None = None
    while True:
        async with unit_of_work() as uow:
            batch = await uow.cases.surveys_due(now, after=after, limit=BATCH)
            if not batch:
                return queued
            after = batch[-1][0]
            cases = [case for _, case in batch]
            reminders: list[tuple[Case, datetime]] = []
            # When to read each case again: its reminder, else the survey's end.
            looks: list[tuple[Case, datetime | None]] = []
            for case in cases:
                resolved_at = case.resolved_at
                if resolved_at is None:  # never so for a resolved case; the type allows it
                    continue
                expires = resolved_at + SURVEY_OPEN_FOR
                if now >= expires:
                    await _expire(uow, case, now)  # closed: nothing more to look at
                    continue
                due = calendar.add_working_days(resolved_at, 1)
                if case.satisfaction is not None:
                    looks.append((case, expires))
                elif now < due:
                    looks.append((case, min(due, expires)))
                elif remind:
                    reminders.append((case, resolved_at))
                    looks.append((case, expires))  # reminded now or before
                # Otherwise the reminder waits for business hours and the case stays due.
            # Claimed per resolution: a case resolved again gets a reminder of its own.
            claimed = await uow.case_alerts.claim(
                [(c.number, REMINDER_KIND, at) for c, at in reminders], now
            )
            for case, resolved_at in reminders:
                if (case.number, REMINDER_KIND) in claimed:
                    await _remind(uow, case, resolved_at, now)
                    queued += 1
            await uow.cases.look_again(looks)
            await uow.commit()


async def _remind(uow: UnitOfWork, case: Case, resolved_at: datetime, now: datetime) -> None:
    """Recall the survey, and make it the open question again if nothing else is."""
    question = Pending(Awaiting.RATING, case.number)
    dialogue = await _open_question(uow, case.customer, question, now, unless_asked=True)
    reminder = pending.survey_reminder(case.number, dialogue.language)
    await uow.outbox.add(
        [OutboundMessage(case.customer, reminder, case.number)],
        now=now,
        key=f"survey:{case.number}:{resolved_at.isoformat()}",
    )


async def _expire(uow: UnitOfWork, case: Case, now: datetime) -> None:
    """The survey is over: close the case and drop the question if it is still open."""
    await change_case_within(uow, case, lambda c: c.close(actor=EXPIRY_ACTOR, now=now))
    await drop_question(uow, case, now)


async def drop_question(uow: UnitOfWork, case: Case, now: datetime) -> Dialogue:
    """Take back a question about the case that is no longer open (it was reopened or
    its survey expired); returns the customer's dialogue."""
    locked = await uow.dialogues.lock(case.customer, now, customer_wrote=False)
    dialogue = locked.dialogue or Dialogue()
    if dialogue.pending is not None and dialogue.pending.ref == case.number:
        dialogue.pending = None
        await uow.dialogues.save(case.customer, dialogue)
    return dialogue


async def _open_question(
    uow: UnitOfWork,
    customer: CustomerId,
    question: Pending,
    now: datetime,
    *,
    unless_asked: bool = False,
) -> Dialogue:
    """Make `question` the customer's open question (with `unless_asked`, only if none
    is open); returns their dialogue."""
    locked = await uow.dialogues.lock(customer, now, customer_wrote=False)
    dialogue = locked.dialogue or Dialogue()
    if not (unless_asked and dialogue.pending is not None):
        dialogue.pending = question
        await uow.dialogues.save(customer, dialogue)
    return dialogue


async def _own_case(uow: UnitOfWork, customer: CustomerId, number: str) -> Case | None:
    case = await uow.cases.get(number)
    return case if case is not None and case.customer == customer else None


async def _tell_leads(
    uow: UnitOfWork, case: Case, text: Callable[[str], str], assignee_too: bool = False
) -> list[OutboundMessage]:
    """Tell the case's department leads (the supervisors, if it has none), and the
    person who handled it when asked to."""
    people = await uow.staff.members(case.department, Role.LEAD) if case.department else []
    people = people or await uow.staff.members(None, Role.SUPERVISOR)
    if assignee_too and case.assignee and case.assignee.isdecimal():
        assignee = await uow.staff.get(int(case.assignee))
        if assignee is not None and assignee.active and assignee not in people:
            people = [assignee, *people]
    return await tell_staff(
        uow, people, lambda lang: Reply(text(lang), (view_button(case.number, lang),)), case.number
    )


def _about(case: Case, lang: str) -> dict[str, str]:
    return {"number": case.number, "type": type_name(lang, case.type)}

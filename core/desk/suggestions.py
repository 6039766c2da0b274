"""Deciding on suggestions: adopting or declining one (`/adopt`, `/decline`), joining one
to a related suggestion so they are decided together (`/link`), and telling every
customer behind them when it has been put into practice (`/implemented`)."""

from __future__ import annotations

from core.cases.case import Case
from core.cases.filing import change_case_within
from core.cases.values import CaseType, Decision
from core.channel.io import Reply
from core.channel.outbox import OutboundMessage
from core.desk.registry import case_command, with_text
from core.desk.staff import Role
from core.desk.work import Work
from core.identity import CustomerId
from core.messages import t
from core.rewards.crediting import reward
from core.rewards.ledger import RewardReason
from core.survey.satisfaction import ask_for_rating


@case_command("adopt", role=Role.LEAD)
async def adopt(work: Work, suggestion: Case) -> None:
    await _decide(work, suggestion, Decision.ADOPTED)


@case_command("decline", role=Role.LEAD, needs=with_text)
async def decline(work: Work, suggestion: Case) -> None:
    await _decide(work, suggestion, Decision.DECLINED)


async def _decide(work: Work, case: Case, decision: Decision) -> None:
    if case.type is not CaseType.SUGGESTION:
        work.say("desk.not_suggestion", number=case.number)
        return
    if case.linked_to is not None:
        work.say("desk.linked.decide_main", number=case.number, main=case.linked_to)
        return
    reason = work.command.rest
    await _decide_one(work, case, reason, decision)
    # Suggestions linked to this one are decided with it: their customers never hear
    # a decision that contradicts this one.
    linked = [c for c in await work.uow.cases.linked_to(case.number) if c.status.is_open]
    for suggestion in linked:
        await _decide_one(work, suggestion, reason, decision)
    done = decline if decision is Decision.DECLINED else adopt
    work.say(f"desk.done.{done.name}", number=case.number)
    if linked:
        numbers = ", ".join(c.number for c in linked)
        work.say("desk.done.decided_linked", count=len(linked), numbers=numbers)


async def _decide_one(work: Work, case: Case, reason: str, decision: Decision) -> None:
    """Decide one suggestion: its customer gets the result, the survey and, when it
    is adopted, the points."""
    uow, now = work.uow, work.now
    declined = decision is Decision.DECLINED
    language = await work.customer_language(case)
    key = "customer.declined" if declined else "customer.adopted"
    result = t(language, key, number=case.number, reason=reason)

    def decide(c: Case) -> None:
        work.make_workable(c)
        c.decide(decision, result=result, actor=work.staff.actor, now=now)

    await change_case_within(uow, case, decide)
    _, survey = await ask_for_rating(uow, case, now)
    work.sends.append(OutboundMessage(case.customer, Reply(result), case.number))
    if not declined:
        earned = await reward(
            uow,
            work.settings.rewards,
            customer=case.customer,
            reason=RewardReason.SUGGESTION_ADOPTED,
            case_number=case.number,
            language=language,
            now=now,
        )
        if earned:
            work.sends.append(OutboundMessage(case.customer, Reply(earned), case.number))
    work.sends.append(OutboundMessage(case.customer, survey, case.number))


@case_command("link", role=Role.LEAD, needs=with_text)
async def link(work: Work, case: Case) -> None:
    other = await work.other_case()
    if other is None:
        return
    if case.decision is not None or not case.status.is_open:
        work.say("desk.linked.answered", number=case.number)
        return
    if other.decision is Decision.DECLINED:
        work.say("desk.linked.declined_main", number=case.number, other=other.number)
        return
    actor, now = work.staff.actor, work.now
    await change_case_within(work.uow, case, lambda c: c.link_to(other, actor=actor, now=now))
    if other.decision is Decision.ADOPTED:
        # Joining an adopted suggestion is being adopted with it, now.
        await _decide_one(work, case, "", Decision.ADOPTED)
        work.say("desk.done.link_adopted", number=case.number, other=other.number)
    else:
        work.say("desk.done.link", number=case.number, other=other.number)


@case_command("implemented", role=Role.LEAD, needs=with_text)
async def implemented(work: Work, case: Case) -> None:
    if case.linked_to is not None:
        work.say("desk.linked.implement_main", number=case.number, main=case.linked_to)
        return
    what, actor, now = work.command.rest, work.staff.actor, work.now

    def implement(c: Case) -> None:
        c.implement(what_changed=what, actor=actor, now=now)

    await change_case_within(work.uow, case, implement)
    linked = await work.uow.cases.linked_to(case.number)
    for suggestion in linked:
        # Adopted with the main one, so put into practice with it: their own status
        # says so too.
        if suggestion.decision is Decision.ADOPTED and suggestion.implemented_at is None:
            await change_case_within(work.uow, suggestion, implement)
    told: set[CustomerId] = set()
    for suggestion in [case, *linked]:
        if suggestion.customer in told:
            continue  # one message per customer, however many of theirs are linked
        told.add(suggestion.customer)
        language = await work.customer_language(suggestion)
        text = t(language, "customer.implemented", number=suggestion.number, what=what)
        work.sends.append(OutboundMessage(suggestion.customer, Reply(text), suggestion.number))
    work.say("desk.done.implemented", number=case.number, customers=len(told))

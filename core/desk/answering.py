"""Working on a case with its customer: notes for colleagues (`/note`), a question to the
customer (`/ask`), the answer that resolves it (`/resolve`, a complaint once its cause
is set), reopening it (`/reopen`) and, for a lead who must call the customer, their
contact data (`/reveal`, audited)."""

from __future__ import annotations

from core.cases.case import Case
from core.cases.filing import change_case_within
from core.channel.outbox import OutboundMessage
from core.customers.dialogue import views as customer_views
from core.customers.dialogue.state import Dialogue
from core.desk import views
from core.desk.classifying import offer_causes
from core.desk.registry import case_command, with_text
from core.desk.staff import Role
from core.desk.work import Work
from core.survey.satisfaction import ask_for_rating, drop_question


@case_command("note", needs=with_text)
async def note(work: Work, noted: Case) -> None:
    text, actor, now = work.command.rest, work.staff.actor, work.now
    await change_case_within(work.uow, noted, lambda c: c.add_note(text=text, actor=actor, now=now))
    work.say("desk.done.note")


@case_command("ask", needs=with_text)
async def ask(work: Work, asked: Case) -> None:
    question, uow, now = work.command.rest, work.uow, work.now

    def ask_it(c: Case) -> None:
        work.make_workable(c)
        c.ask_customer(question=question, actor=work.staff.actor, now=now)

    await change_case_within(uow, asked, ask_it)
    # The customer's next message answers this case.
    locked = await uow.dialogues.lock(asked.customer, now, customer_wrote=False)
    dialogue = locked.dialogue or Dialogue()
    dialogue.answering = asked.number
    await uow.dialogues.save(asked.customer, dialogue)
    work.tell_customer(asked, dialogue.language, "customer.question", question=question)
    work.say("desk.done.ask")


@case_command("resolve", needs=with_text)
async def resolve(work: Work, resolved: Case) -> None:
    result, now = work.command.rest, work.now
    if resolved.needs_cause and resolved.status.is_open:
        # The aggregate refuses it too; here the refusal comes with the causes to pick.
        reason = work.text("refusal.no_cause", number=resolved.number)
        offer_causes(work, resolved, work.text("desk.refused", reason=reason))
        return

    def resolve_it(c: Case) -> None:
        work.make_workable(c)
        c.resolve(result=result, actor=work.staff.actor, now=now)

    await change_case_within(work.uow, resolved, resolve_it)
    language, survey = await ask_for_rating(work.uow, resolved, now)
    work.tell_customer(resolved, language, "customer.result", result=result)
    work.sends.append(OutboundMessage(resolved.customer, survey, resolved.number))
    work.say("desk.done.resolve", number=resolved.number)


@case_command("reopen", role=Role.LEAD, needs=with_text)
async def reopen(work: Work, reopened: Case) -> None:
    settings, now = work.settings, work.now
    due = settings.policy.due(settings.calendar, reopened.type, now)
    await change_case_within(
        work.uow,
        reopened,
        lambda c: c.reopen(
            reason=work.command.rest,
            due_at=due.at,
            due_basis=due.basis,
            actor=work.staff.actor,
            now=now,
        ),
    )
    tz = settings.calendar.tz
    # A survey about the resolution that was reopened no longer waits for an answer.
    language = (await drop_question(work.uow, reopened, now)).language
    due_for_customer = customer_views.case_deadline(reopened, language, tz)
    work.tell_customer(reopened, language, "customer.reopened", due=due_for_customer)
    work.say(
        "desk.done.reopen",
        number=reopened.number,
        due=views.due_when(reopened, work.staff.language, tz),
    )


@case_command("reveal", role=Role.LEAD)
async def reveal(work: Work, revealed: Case) -> None:
    actor, now = work.staff.actor, work.now
    await change_case_within(work.uow, revealed, lambda c: c.record_reveal(actor=actor, now=now))
    contact = revealed.contact
    if contact.is_anonymous:
        work.say("desk.reveal.none", number=revealed.number)
    else:
        work.say(
            "desk.reveal",
            number=revealed.number,
            name=contact.name or "",
            phone=contact.phone or "",
        )

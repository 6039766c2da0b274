"""The staff desk: one staff command in, the replies and the messages it causes out.

`DeskService.handle` answers None when the sender is not active staff, or the command
is not a staff command: the channel then treats the message as a customer's, so people
who are not staff never learn that staff commands exist. Everything a command changes,
and the delivery id that makes a redelivery act once, commit in one transaction; the
messages to customers and colleagues go out after it, through the `Outbound` port.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from core.cases.calendar import WorkingCalendar
from core.cases.case import Case, CaseEvent, CaseStatus, CaseType, Decision
from core.cases.deadlines import (
    DeadlinePolicy,
    furthest_due,
    later_deadline,
    legal_deadline,
    longest_extension,
)
from core.cases.filing import change_case_within
from core.cases.numbering import normalize_case_number
from core.channel.io import Choice, Option, Reply, Text
from core.channel.outbox import OutboundMessage, Recipient
from core.customers.conversation import Incoming, Outcome, Render, settle_answer
from core.customers.dialogue import views as customer_views
from core.customers.dialogue.state import Dialogue
from core.desk import views
from core.desk.commands import StaffCommand, button, parse_button, parse_text
from core.desk.queries import QueueKind, Scope
from core.desk.staff import COMMAND_ROLES, Role, StaffMember, may_handle, may_run, staff_id_of
from core.errors import ConcurrentUpdate, DomainError
from core.identity import CustomerId
from core.messages import DEFAULT_LANGUAGE, LANGUAGES, language_from_code, moment, t
from core.ports import UnitOfWork
from core.rewards.crediting import reward
from core.rewards.ledger import RewardPolicy, RewardReason
from core.survey.satisfaction import ask_for_rating, drop_question

PAGE_SIZE = 10


def invitation_hash(code: str) -> str:
    """Codes are stored hashed; dashes, spaces and case do not matter when typed."""
    normalised = "".join(code.split()).replace("-", "").upper()
    return hashlib.sha256(normalised.encode()).hexdigest()


@dataclass
class _Work:
    """What one command produces."""

    staff: StaffMember
    replies: list[Reply] = field(default_factory=list)
    sends: list[OutboundMessage] = field(default_factory=list)

    def say(self, key: str, options: tuple[Option, ...] = (), **params: object) -> None:
        self.replies.append(Reply(t(self.staff.language, key, **params), options))


Handler = Callable[[UnitOfWork, _Work, StaffCommand, datetime], Awaitable[None]]
CaseHandler = Callable[[UnitOfWork, _Work, StaffCommand, Case, datetime], Awaitable[None]]


def _no_more(_command: StaffCommand) -> bool:
    return True


def _with_text(command: StaffCommand) -> bool:
    return bool(command.rest)


def _extension(command: StaffCommand) -> bool:
    """Days and a reason; whether the days can be given is `_extend`'s to say."""
    days, _, reason = command.rest.partition(" ")
    return bool(days) and bool(reason.strip())


# What each case command needs after the case number (the case number itself always).
_ARGUMENTS: dict[str, Callable[[StaffCommand], bool]] = {
    "assign": _with_text,
    "note": _with_text,
    "ask": _with_text,
    "resolve": _with_text,
    "decline": _with_text,
    "reopen": _with_text,
    "extend": _extension,
    "link": _with_text,
    "implemented": _with_text,
}


class DeskService:
    def __init__(
        self,
        unit_of_work: Callable[[], UnitOfWork],
        *,
        calendar: WorkingCalendar,
        policy: DeadlinePolicy,
        rewards: RewardPolicy | None = None,
        after_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self._unit_of_work = unit_of_work
        self._calendar = calendar
        self._policy = policy
        self._rewards = rewards or RewardPolicy()
        self._after_commit = after_commit  # wakes the dispatcher: messages are queued
        self._general: dict[str, Handler] = {
            "queue": self._queue,
            "stats": self._stats,
            "help": self._help,
            "language": self._language,
        }
        # Commands about one case: `_run` finds it and checks it is within reach first.
        self._on_case: dict[str, CaseHandler] = {
            "case": self._case,
            "take": self._take,
            "assign": self._assign,
            "note": self._note,
            "ask": self._ask,
            "resolve": self._resolve,
            "adopt": self._adopt,
            "decline": self._decline,
            "reopen": self._reopen,
            "extend": self._extend,
            "reveal": self._reveal,
            "link": self._link,
            "implemented": self._implemented,
        }

    async def handle(
        self,
        incoming: Incoming,
        now: datetime,
        render: Render | None = None,
        reply_to: Recipient | None = None,
    ) -> Outcome | None:
        """Handle a staff command; None if this is not one (the customer flow takes it).

        `render` and `reply_to` work as in `ConversationService.handle`."""
        message = incoming.message
        if isinstance(message, Text):
            command = parse_text(message.text)
        elif isinstance(message, Choice):
            command = parse_button(message.key)
        else:
            command = None
        if command is None:
            return None
        sender = incoming.customer
        key = incoming.delivery_key
        uow = self._unit_of_work()

        async def answer(work: _Work) -> tuple[str | None, bool]:
            """Keep the reply with the delivery, queue what must leave, commit."""
            settled = await settle_answer(
                uow,
                key=key,
                sender=sender,
                replies=work.replies,
                sends=work.sends,
                now=now,
                render=render,
                reply_to=reply_to,
            )
            await uow.commit()
            return settled

        async with uow:
            # A redelivery of anything already handled stops here. When this turns out not
            # to be a staff command, the transaction is not committed and the key is not kept.
            if key is not None and not await uow.deliveries.first_time(key, now):
                return Outcome([], await uow.deliveries.response(key), redelivered=True)
            staff = await uow.staff.by_identity(sender.platform, sender.user_id)
            # A code is redeemed from any account: also from one already linked, so that
            # someone disabled, or enabled again, can register with a new invitation.
            registering = False
            if command.name == "register":
                redeemed = await uow.staff.redeem(
                    invitation_hash(command.rest), sender.platform, sender.user_id, now
                )
                if redeemed is not None:
                    staff, registering = redeemed, True
                    if incoming.language_hint:
                        # The desk speaks the language of the staff member's chat client.
                        language = language_from_code(incoming.language_hint)
                        await uow.staff.change(staff.id, language=language)
                        staff = replace(staff, language=language)
            if (
                staff is None
                or not staff.active
                or not (registering or command.name in COMMAND_ROLES)
            ):
                # Not staff, a wrong code, or /start and the like: the customer flow answers.
                return None
            # Staff write to the bank's account too: that opens their push window.
            waiting = (await uow.dialogues.lock(sender, now)).waiting_pushes
            work = _Work(staff)
            refusal: DomainError | None = None
            if registering:
                await self._welcome(uow, work)
            else:
                try:
                    await self._run(uow, work, command, now)
                except DomainError as refused:
                    refusal = refused
            if refusal is None:
                response, queued = await answer(work)
        if refusal is not None:
            # Leaving the transaction rolled back whatever the command had changed before
            # it was refused; the refusal is answered, and the delivery kept, on its own.
            work = self._refused(staff, command, refusal)
            async with uow:
                if key is not None:
                    await uow.deliveries.first_time(key, now)
                waiting = (await uow.dialogues.lock(sender, now)).waiting_pushes
                response, queued = await answer(work)
        if queued:
            self._after_commit()
        return Outcome(work.replies, response, waiting_pushes=waiting)

    @staticmethod
    def _refused(staff: StaffMember, command: StaffCommand, refusal: DomainError) -> _Work:
        work = _Work(staff)
        if isinstance(refusal, ConcurrentUpdate):
            work.say("desk.conflict", number=command.number)
        else:
            work.say("desk.refused", reason=views.refusal_text(refusal, staff.language))
        return work

    async def _welcome(self, uow: UnitOfWork, work: _Work) -> None:
        staff = work.staff
        department = await uow.staff.department(staff.department)
        work.say(
            "desk.registered",
            name=staff.name,
            role=t(staff.language, f"role.{staff.role.name.lower()}"),
            department=department.name if department else staff.department,
        )

    async def _run(
        self, uow: UnitOfWork, work: _Work, command: StaffCommand, now: datetime
    ) -> None:
        if not may_run(work.staff, command.name):
            work.say("desk.forbidden")
            return
        if command.name in self._general:
            await self._general[command.name](uow, work, command, now)
            return
        case = await self._reachable(uow, work, command)
        if case is not None:
            await self._on_case[command.name](uow, work, command, case, now)

    # -- reading ----------------------------------------------------------------------------

    async def _queue(
        self, uow: UnitOfWork, work: _Work, command: StaffCommand, now: datetime
    ) -> None:
        staff, lang = work.staff, work.staff.language
        words = command.rest.split()
        default = QueueKind.MINE if staff.role is Role.AGENT else QueueKind.DEPT
        kinds = {k.value for k in QueueKind}
        unknown = [w for w in words if w not in kinds and not (w.isdecimal() and int(w) > 0)]
        if unknown:
            work.say("desk.queue.unknown", word=unknown[0], kinds="|".join(sorted(kinds)))
            return
        kind = next((QueueKind(w) for w in words if w in kinds), default)
        page = next((int(w) for w in words if w.isdecimal()), 1)

        async def fetch(page: int) -> tuple[list[Case], int]:
            return await uow.cases.queue(
                kind,
                Scope.of(staff),
                me=str(staff.id),
                now=now,
                limit=PAGE_SIZE,
                offset=(page - 1) * PAGE_SIZE,
            )

        cases, total = await fetch(page)
        # A supervisor's "department" queue is every department's.
        everyone = kind is QueueKind.DEPT and Scope.of(staff).department is None
        title = t(lang, "desk.queue.all" if everyone else f"desk.queue.{kind.value}")
        if total == 0:
            work.say("desk.queue.empty", title=title)
            return
        pages = math.ceil(total / PAGE_SIZE)
        if page > pages:  # past the end: show the last page
            page = pages
            cases, total = await fetch(page)
        lines = [t(lang, "desk.queue.header", title=title, page=page, pages=pages, total=total)]
        lines += [views.case_line(c, lang, self._calendar.tz, late=c.due_at < now) for c in cases]
        options = []
        if page > 1:
            options.append(
                Option(button("q", kind.value, page - 1), t(lang, "desk.queue.previous"))
            )
        if page < pages:
            options.append(Option(button("q", kind.value, page + 1), t(lang, "desk.queue.next")))
        work.replies.append(Reply("\n".join(lines), tuple(options)))

    async def _case(
        self, uow: UnitOfWork, work: _Work, command: StaffCommand, case: Case, now: datetime
    ) -> None:
        history = await uow.cases.history(case.number)
        names = await self._names(uow, case, history)
        work.replies.append(
            Reply(
                views.case_details(case, history, names, work.staff.language, self._calendar.tz),
                (Option(button("take", case.number), t(work.staff.language, "desk.take")),)
                if case.status.is_open and case.assignee != str(work.staff.id)
                else (),
                media=tuple(case.attachments),
                media_platform=case.customer.platform,
            )
        )

    async def _stats(
        self, uow: UnitOfWork, work: _Work, command: StaffCommand, now: datetime
    ) -> None:
        staff = work.staff
        scope = Scope.of(staff)
        local = now.astimezone(self._calendar.tz)
        day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        numbers = await uow.cases.figures(
            scope, day_start=day_start, month_start=day_start.replace(day=1), now=now
        )
        if scope.department is None:
            name = t(staff.language, "desk.stats.all")
        else:
            department = await uow.staff.department(staff.department)
            name = department.name if department else staff.department
        work.replies.append(Reply(views.figures(name, numbers, staff.language)))

    async def _help(
        self, uow: UnitOfWork, work: _Work, command: StaffCommand, now: datetime
    ) -> None:
        lang = work.staff.language
        allowed = [name for name in COMMAND_ROLES if may_run(work.staff, name)]
        lines = [t(lang, "desk.help"), *(t(lang, f"desk.help.{name}") for name in allowed)]
        work.replies.append(Reply("\n".join(lines)))

    async def _language(
        self, uow: UnitOfWork, work: _Work, command: StaffCommand, now: datetime
    ) -> None:
        """The staff member's working language: the desk speaks it from now on."""
        wanted = command.rest.strip().casefold()
        if wanted not in LANGUAGES:
            work.say("desk.language.usage", current=t(work.staff.language, "language.name"))
            return
        await uow.staff.change(work.staff.id, language=wanted)
        work.staff = replace(work.staff, language=wanted)
        work.say("desk.language.set", name=t(wanted, "language.name"))

    async def _reveal(
        self, uow: UnitOfWork, work: _Work, command: StaffCommand, case: Case, now: datetime
    ) -> None:
        await change_case_within(
            uow, case, lambda c: c.record_reveal(actor=work.staff.actor, now=now)
        )
        contact = case.contact
        if contact.is_anonymous:
            work.say("desk.reveal.none", number=case.number)
        else:
            work.say(
                "desk.reveal",
                number=case.number,
                name=contact.name or "",
                phone=contact.phone or "",
            )

    # -- changing ---------------------------------------------------------------------------

    async def _take(
        self, uow: UnitOfWork, work: _Work, command: StaffCommand, case: Case, now: datetime
    ) -> None:
        me = work.staff
        if not case.status.is_open:
            status = t(me.language, f"status.{case.status.value}")
            work.say("desk.take.finished", number=case.number, status=status)
            return
        if case.assignee == str(me.id) and case.status in (
            CaseStatus.IN_PROGRESS,
            CaseStatus.WAITING_FOR_CUSTOMER,
        ):
            work.say("desk.take.already_yours", number=case.number)
            return
        holder = await self._holder(uow, case)
        if holder is not None and holder.id != me.id and me.role < Role.LEAD:
            # An agent does not take a colleague's case from under them: a lead decides.
            work.say("desk.take.held", number=case.number, holder=holder.name)
            return

        def take(c: Case) -> None:
            if c.assignee != str(me.id) or c.status is CaseStatus.REOPENED:
                c.assign(
                    department=c.department or me.department,
                    assignee=str(me.id),
                    actor=me.actor,
                    now=now,
                )
            c.start(actor=me.actor, now=now)

        await change_case_within(uow, case, take)
        if holder is not None and holder.id != me.id:
            for chat in await uow.staff.addresses(holder.id):
                text = t(
                    holder.language, "desk.take.taken_from_you", number=case.number, taker=me.name
                )
                work.sends.append(OutboundMessage(chat, Reply(text), case.number))
            work.say("desk.done.take_over", number=case.number, holder=holder.name)
        else:
            work.say("desk.done.take", number=case.number)
        department = await uow.staff.department(case.department) if case.department else None
        if department is not None and department.alert_chat is not None:
            # The team saw the case announced with a Take button: it hears who took it.
            text = t(DEFAULT_LANGUAGE, "desk.take.announce", number=case.number, taker=me.name)
            work.sends.append(OutboundMessage(department.alert_chat, Reply(text), case.number))

    @staticmethod
    async def _names(uow: UnitOfWork, case: Case, history: list[CaseEvent]) -> views.Names:
        """The department's name and the names of the staff the case and its trail name."""
        department = await uow.staff.department(case.department) if case.department else None
        ids = {staff_id_of(e.actor) for e in history}
        ids |= {int(a) for e in history if (a := e.after.get("assignee")) and str(a).isdecimal()}
        if case.assignee and case.assignee.isdecimal():
            ids.add(int(case.assignee))
        staff = {}
        for staff_id in sorted(i for i in ids if i is not None):
            member = await uow.staff.get(staff_id)
            if member is not None:
                staff[staff_id] = member.name
        return views.Names(department.name if department else None, staff)

    async def _holder(self, uow: UnitOfWork, case: Case) -> StaffMember | None:
        """The active colleague the case is assigned to, if any."""
        if case.assignee is None or not case.assignee.isdecimal():
            return None
        holder = await uow.staff.get(int(case.assignee))
        return holder if holder is not None and holder.active else None

    async def _assign(
        self, uow: UnitOfWork, work: _Work, command: StaffCommand, case: Case, now: datetime
    ) -> None:
        target = command.rest.split()[0]
        department = await uow.staff.department(target)
        assignee = (await uow.staff.get(int(target))) if target.isdecimal() else None
        if assignee is not None and assignee.active:
            to_department, to_person, label = assignee.department, str(assignee.id), assignee.name
        elif department is not None:
            to_department, to_person, label = department.code, None, department.name
            assignee = None
        else:
            work.say("desk.unknown_target", target=target)
            return
        reopened = case.status is CaseStatus.REOPENED
        await change_case_within(
            uow,
            case,
            lambda c: c.assign(
                department=to_department, assignee=to_person, actor=work.staff.actor, now=now
            ),
        )
        work.say("desk.done.assign", number=case.number, target=label)
        if assignee is not None and assignee.id != work.staff.id:
            alert = views.assignment_alert(
                case, work.staff.name, reopened, assignee.language, self._calendar.tz
            )
            for chat in await uow.staff.addresses(assignee.id):
                work.sends.append(
                    OutboundMessage(
                        chat,
                        Reply(alert, (views.view_button(case.number, assignee.language),)),
                        case.number,
                    )
                )

    async def _note(
        self, uow: UnitOfWork, work: _Work, command: StaffCommand, case: Case, now: datetime
    ) -> None:
        await change_case_within(
            uow, case, lambda c: c.add_note(text=command.rest, actor=work.staff.actor, now=now)
        )
        work.say("desk.done.note")

    async def _ask(
        self, uow: UnitOfWork, work: _Work, command: StaffCommand, case: Case, now: datetime
    ) -> None:

        def ask(c: Case) -> None:
            self._make_workable(c, work.staff, now)
            c.ask_customer(question=command.rest, actor=work.staff.actor, now=now)

        await change_case_within(uow, case, ask)
        # The customer's next message answers this case.
        locked = await uow.dialogues.lock(case.customer, now, customer_wrote=False)
        dialogue = locked.dialogue or Dialogue()
        dialogue.answering = case.number
        await uow.dialogues.save(case.customer, dialogue)
        self._tell_customer(
            work, case, dialogue.language, "customer.question", question=command.rest
        )
        work.say("desk.done.ask")

    async def _resolve(
        self, uow: UnitOfWork, work: _Work, command: StaffCommand, case: Case, now: datetime
    ) -> None:

        def resolve(c: Case) -> None:
            self._make_workable(c, work.staff, now)
            c.resolve(result=command.rest, actor=work.staff.actor, now=now)

        await change_case_within(uow, case, resolve)
        language, survey = await ask_for_rating(uow, case, now)
        self._tell_customer(work, case, language, "customer.result", result=command.rest)
        work.sends.append(OutboundMessage(case.customer, survey, case.number))
        work.say("desk.done.resolve", number=case.number)

    async def _adopt(
        self, uow: UnitOfWork, work: _Work, command: StaffCommand, case: Case, now: datetime
    ) -> None:
        await self._decide(uow, work, command, case, now, Decision.ADOPTED)

    async def _decline(
        self, uow: UnitOfWork, work: _Work, command: StaffCommand, case: Case, now: datetime
    ) -> None:
        await self._decide(uow, work, command, case, now, Decision.DECLINED)

    async def _decide(
        self,
        uow: UnitOfWork,
        work: _Work,
        command: StaffCommand,
        case: Case,
        now: datetime,
        decision: Decision,
    ) -> None:
        declined = decision is Decision.DECLINED
        if case.type is not CaseType.SUGGESTION:
            work.say("desk.not_suggestion", number=case.number)
            return
        if case.linked_to is not None:
            work.say("desk.linked.decide_main", number=case.number, main=case.linked_to)
            return
        await self._decide_one(uow, work, case, command.rest, now, decision)
        # Suggestions linked to this one are decided with it: their customers never hear
        # a decision that contradicts this one.
        linked = [c for c in await uow.cases.linked_to(case.number) if c.status.is_open]
        for suggestion in linked:
            await self._decide_one(uow, work, suggestion, command.rest, now, decision)
        work.say(f"desk.done.{'decline' if declined else 'adopt'}", number=case.number)
        if linked:
            numbers = ", ".join(c.number for c in linked)
            work.say("desk.done.decided_linked", count=len(linked), numbers=numbers)

    async def _decide_one(
        self,
        uow: UnitOfWork,
        work: _Work,
        case: Case,
        reason: str,
        now: datetime,
        decision: Decision,
    ) -> None:
        """Decide one suggestion: its customer gets the result, the survey and, when it
        is adopted, the points."""
        declined = decision is Decision.DECLINED
        language = await self._customer_language(uow, case, now)
        key = "customer.declined" if declined else "customer.adopted"
        result = t(language, key, number=case.number, reason=reason)

        def decide(c: Case) -> None:
            self._make_workable(c, work.staff, now)
            c.decide(decision, result=result, actor=work.staff.actor, now=now)

        await change_case_within(uow, case, decide)
        _, survey = await ask_for_rating(uow, case, now)
        work.sends.append(OutboundMessage(case.customer, Reply(result), case.number))
        if not declined:
            earned = await reward(
                uow,
                self._rewards,
                customer=case.customer,
                reason=RewardReason.SUGGESTION_ADOPTED,
                case_number=case.number,
                language=language,
                now=now,
            )
            if earned:
                work.sends.append(OutboundMessage(case.customer, Reply(earned), case.number))
        work.sends.append(OutboundMessage(case.customer, survey, case.number))

    async def _reopen(
        self, uow: UnitOfWork, work: _Work, command: StaffCommand, case: Case, now: datetime
    ) -> None:
        due = self._policy.due(self._calendar, case.type, now)
        await change_case_within(
            uow,
            case,
            lambda c: c.reopen(
                reason=command.rest,
                due_at=due.at,
                due_basis=due.basis,
                actor=work.staff.actor,
                now=now,
            ),
        )
        tz = self._calendar.tz
        # A survey about the resolution that was reopened no longer waits for an answer.
        language = (await drop_question(uow, case, now)).language
        due_for_customer = customer_views.case_deadline(case, language, tz)
        self._tell_customer(work, case, language, "customer.reopened", due=due_for_customer)
        work.say(
            "desk.done.reopen",
            number=case.number,
            due=views.due_when(case, work.staff.language, tz),
        )

    async def _extend(
        self, uow: UnitOfWork, work: _Work, command: StaffCommand, case: Case, now: datetime
    ) -> None:
        days_text, _, reason = command.rest.partition(" ")
        staff = work.staff
        if not days_text.isdecimal() or int(days_text) == 0:
            work.say("desk.extend.days", number=case.number)
            return
        if case.status.is_open and not self._extension_fits(work, case, int(days_text)):
            return
        due = later_deadline(self._calendar, case, int(days_text))

        def extend(c: Case) -> None:
            if due.at > c.legal_due_at:
                # Past the legal ceiling: extend it, with this lead as the approver. The
                # days count from the plain calendar end, which a holiday may have moved.
                plain_end = c.received_at + timedelta(days=c.legal_days)
                days = math.ceil((due.at - plain_end) / timedelta(days=1))
                c.extend(
                    days=days,
                    reason=reason,
                    approver=staff.actor,
                    senior_approval=staff.role >= Role.SUPERVISOR,
                    actor=staff.actor,
                    now=now,
                    legal_due_at=legal_deadline(self._calendar, c.received_at, c.legal_days + days),
                )
            c.postpone(
                due_at=due.at, due_basis=due.basis, reason=reason, actor=staff.actor, now=now
            )

        await change_case_within(uow, case, extend)
        tz = self._calendar.tz
        language = await self._customer_language(uow, case, now)
        due_for_customer = customer_views.case_deadline(case, language, tz)
        self._tell_customer(
            work, case, language, "customer.extended", due=due_for_customer, reason=reason
        )
        work.say(
            "desk.done.extend", number=case.number, due=views.due_when(case, staff.language, tz)
        )

    def _extension_fits(self, work: _Work, case: Case, days: int) -> bool:
        """Whether `days` more working days stay within the legal ceiling this staff
        member may extend to; if not, say so, with the most that can be given."""
        staff, tz = work.staff, self._calendar.tz
        senior = staff.role >= Role.SUPERVISOR
        most, longest = longest_extension(self._calendar, case, senior)
        if days <= most:
            return True
        about: dict[str, Any] = {
            "days": days,
            "number": case.number,
            "legal_due": moment(staff.language, case.legal_due_at, tz),
            "role": t(staff.language, f"role.{staff.role.name.lower()}"),
            "ceiling": moment(staff.language, furthest_due(case, senior), tz),
        }
        if longest is None:
            work.say("desk.extend.none_left", **about)
        else:
            work.say(
                "desk.extend.too_far",
                most=most,
                most_due=moment(staff.language, longest.at, tz),
                **about,
            )
        return False

    async def _link(
        self, uow: UnitOfWork, work: _Work, command: StaffCommand, case: Case, now: datetime
    ) -> None:
        typed = command.rest.split()[0]
        other_number = normalize_case_number(typed)
        other = await uow.cases.get(other_number) if other_number else None
        if other is None or not may_handle(work.staff, other):
            work.say("desk.no_case", number=other_number or typed)
            return
        if case.decision is not None or not case.status.is_open:
            work.say("desk.linked.answered", number=case.number)
            return
        if other.decision is Decision.DECLINED:
            work.say("desk.linked.declined_main", number=case.number, other=other.number)
            return
        await change_case_within(
            uow, case, lambda c: c.link_to(other, actor=work.staff.actor, now=now)
        )
        if other.decision is Decision.ADOPTED:
            # Joining an adopted suggestion is being adopted with it, now.
            await self._decide_one(uow, work, case, "", now, Decision.ADOPTED)
            work.say("desk.done.link_adopted", number=case.number, other=other.number)
        else:
            work.say("desk.done.link", number=case.number, other=other.number)

    async def _implemented(
        self, uow: UnitOfWork, work: _Work, command: StaffCommand, case: Case, now: datetime
    ) -> None:
        if case.linked_to is not None:
            work.say("desk.linked.implement_main", number=case.number, main=case.linked_to)
            return

        def implement(c: Case) -> None:
            c.implement(what_changed=command.rest, actor=work.staff.actor, now=now)

        await change_case_within(uow, case, implement)
        linked = await uow.cases.linked_to(case.number)
        for suggestion in linked:
            # Adopted with the main one, so put into practice with it: their own status
            # says so too.
            if suggestion.decision is Decision.ADOPTED and suggestion.implemented_at is None:
                await change_case_within(uow, suggestion, implement)
        told: set[CustomerId] = set()
        for suggestion in [case, *linked]:
            if suggestion.customer in told:
                continue  # one message per customer, however many of theirs are linked
            told.add(suggestion.customer)
            language = await self._customer_language(uow, suggestion, now)
            text = t(language, "customer.implemented", number=suggestion.number, what=command.rest)
            work.sends.append(OutboundMessage(suggestion.customer, Reply(text), suggestion.number))
        work.say("desk.done.implemented", number=case.number, customers=len(told))

    # -- helpers -----------------------------------------------------------------------------

    async def _reachable(self, uow: UnitOfWork, work: _Work, command: StaffCommand) -> Case | None:
        """The command's case if its arguments are complete and the staff member may
        handle it; otherwise None, having said why. A case out of reach reads exactly
        like one that does not exist."""
        complete = _ARGUMENTS.get(command.name, _no_more)
        if command.number is None or not complete(command):
            work.say("desk.usage", usage=t(work.staff.language, f"desk.help.{command.name}"))
            return None
        case = await uow.cases.get(command.number)
        if case is None or not may_handle(work.staff, case):
            work.say("desk.no_case", number=command.number)
            return None
        return case

    @staticmethod
    def _make_workable(case: Case, staff: StaffMember, now: datetime) -> None:
        """Bring a case to "in progress" in this staff member's hands, as far as needed."""
        if case.status in (CaseStatus.NEW, CaseStatus.REOPENED) or (
            case.status is CaseStatus.ASSIGNED and case.assignee != str(staff.id)
        ):
            case.assign(
                department=case.department or staff.department,
                assignee=str(staff.id),
                actor=staff.actor,
                now=now,
            )
        if case.status in (
            CaseStatus.ASSIGNED,
            CaseStatus.REOPENED,
            CaseStatus.WAITING_FOR_CUSTOMER,
        ):
            case.start(actor=staff.actor, now=now)

    async def _customer_language(self, uow: UnitOfWork, case: Case, now: datetime) -> str:
        locked = await uow.dialogues.lock(case.customer, now, customer_wrote=False)
        return (locked.dialogue or Dialogue()).language

    @staticmethod
    def _tell_customer(work: _Work, case: Case, language: str, key: str, **params: object) -> None:
        text = t(
            language, key, type=t(language, f"type.{case.type.value}"), number=case.number, **params
        )
        work.sends.append(OutboundMessage(case.customer, Reply(text), case.number))

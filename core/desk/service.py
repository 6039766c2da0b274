"""The staff desk: one staff command in, the replies and the messages it causes out.

`DeskService.handle` answers None when the sender is not active staff, or the command
is not a staff command: the channel then treats the message as a customer's, so people
who are not staff never learn that staff commands exist. Everything a command changes,
and the delivery id that makes a redelivery act once, commit in one transaction; the
messages to customers and colleagues are queued with it in the `Outbox`.
The commands themselves are declared, theme by theme, in the modules `core.desk.commands`
loads.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from core.cases.calendar import WorkingCalendar
from core.cases.deadlines import DeadlinePolicy
from core.channel.answer import Outcome, Render, settle_answer
from core.channel.io import Choice, Incoming, Text
from core.channel.outbox import Recipient
from core.desk import views
from core.desk.commands import find, parse_button, parse_text
from core.desk.work import DeskSettings, Work
from core.errors import ConcurrentUpdate, DomainError
from core.messages import language_from_code
from core.ports import UnitOfWork
from core.rewards.ledger import RewardPolicy

# Not a desk command: anyone may send it, with the code an administrator handed out.
REGISTER = "register"


def invitation_hash(code: str) -> str:
    """Codes are stored hashed; dashes, spaces and case do not matter when typed."""
    normalised = "".join(code.split()).replace("-", "").upper()
    return hashlib.sha256(normalised.encode()).hexdigest()


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
        self._settings = DeskSettings(calendar, policy, rewards or RewardPolicy())
        self._after_commit = after_commit  # wakes the dispatcher: messages are queued

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

        async def answer(work: Work) -> tuple[str | None, bool]:
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
            if command.name == REGISTER:
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
            declared = find(command.name)
            if staff is None or not staff.active or not (registering or declared):
                # Not staff, a wrong code, or /start and the like: the customer flow answers.
                return None
            # Staff write to the bank's account too: that opens their push window.
            waiting = (await uow.dialogues.lock(sender, now)).waiting_pushes
            work = Work(uow, staff, command, now, self._settings, sender)
            refusal: DomainError | None = None
            if declared is None:  # only a redeemed /register gets this far undeclared
                await self._welcome(work)
            elif not declared.may_run(staff):
                work.say("desk.forbidden")
            else:
                try:
                    await declared.run(work)
                except DomainError as refused:
                    refusal = refused
            if refusal is None:
                response, queued = await answer(work)
        if refusal is not None:
            # Leaving the transaction rolled back whatever the command had changed before
            # it was refused; the refusal is answered, and the delivery kept, on its own.
            work = Work(uow, staff, command, now, self._settings, sender)
            self._refused(work, refusal)
            async with uow:
                if key is not None:
                    await uow.deliveries.first_time(key, now)
                waiting = (await uow.dialogues.lock(sender, now)).waiting_pushes
                response, queued = await answer(work)
        if queued:
            self._after_commit()
        return Outcome(work.replies, response, waiting_pushes=waiting)

    @staticmethod
    def _refused(work: Work, refusal: DomainError) -> None:
        if isinstance(refusal, ConcurrentUpdate):
            work.say("desk.conflict", number=work.command.number)
        else:
            work.say("desk.refused", reason=views.refusal_text(refusal, work.staff.language))

    @staticmethod
    async def _welcome(work: Work) -> None:
        staff = work.staff
        department = await work.uow.staff.department(staff.department)
        work.say(
            "desk.registered",
            name=staff.name,
            role=work.text(f"role.{staff.role.name.lower()}"),
            department=department.name if department else staff.department,
        )

"""What a staff command works with, and the steps several commands share.

A handler gets one `Work`: the transaction, the staff member, the command, the time and
the desk's settings; it leaves behind the replies to the staff member and the messages
that go out once the transaction commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from core.cases.calendar import WorkingCalendar
from core.cases.case import Case
from core.cases.deadlines import DeadlinePolicy
from core.cases.naming import type_name
from core.cases.numbering import normalize_case_number
from core.cases.values import CaseStatus
from core.channel.io import Reply
from core.channel.outbox import OutboundMessage
from core.desk.registry import StaffCommand
from core.desk.staff import StaffMember, may_handle
from core.identity import CustomerId
from core.messages import t
from core.ports import UnitOfWork
from core.rewards.ledger import RewardPolicy


@dataclass(frozen=True, slots=True)
class DeskSettings:
    calendar: WorkingCalendar
    policy: DeadlinePolicy
    rewards: RewardPolicy


@dataclass
class Work:
    """One command being carried out."""

    uow: UnitOfWork
    staff: StaffMember
    command: StaffCommand
    now: datetime
    settings: DeskSettings
    sender: CustomerId  # the account the command came from
    replies: list[Reply] = field(default_factory=list)
    sends: list[OutboundMessage] = field(default_factory=list)

    def text(self, key: str, **params: object) -> str:
        """A text in the staff member's language."""
        return t(self.staff.language, key, **params)

    def say(self, key: str, **params: object) -> None:
        self.replies.append(Reply(self.text(key, **params)))

    def tell_customer(self, case: Case, language: str, key: str, **params: object) -> None:
        """A message about the case to its customer, in their language."""
        text = t(language, key, type=type_name(language, case.type), number=case.number, **params)
        self.sends.append(OutboundMessage(case.customer, Reply(text), case.number))

    async def other_case(self) -> Case | None:
        """The second case a command names after its own (`/link NO OTHER`); None, once
        the staff member has heard there is none within their reach."""
        typed = self.command.rest.split()[0]
        number = normalize_case_number(typed)
        other = await self.uow.cases.get(number) if number else None
        if other is None or not may_handle(self.staff, other):
            self.say("desk.no_case", number=number or typed)
            return None
        return other

    async def customer_language(self, case: Case) -> str:
        # A plain read: telling the customer changes nothing in their dialogue.
        return await self.uow.dialogues.language(case.customer)

    def make_workable(self, case: Case) -> None:
        """Bring a case to "in progress" in this staff member's hands, as far as needed."""
        staff, now = self.staff, self.now
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

"""Filing a case and changing one, inside the caller's transaction: the one way every
entry point (the dialogue, the desk, the survey, the scheduler's jobs) does it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from core.cases.calendar import WorkingCalendar
from core.cases.case import Case
from core.cases.classification import BusinessType, Channel, IntakeChannel
from core.cases.deadlines import DeadlinePolicy, legal_deadline
from core.cases.numbering import format_case_number
from core.cases.values import LEGAL_DAYS, Attachment, CaseType, Classification, Priority
from core.identity import Contact, CustomerId
from core.ports import UnitOfWork

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class CaseDraft:
    """Everything the intake collected, ready to become a case."""

    type: CaseType
    customer: CustomerId
    channel: Channel
    business_type: BusinessType
    description: str
    contact: Contact = field(default_factory=Contact)
    branch: str | None = None
    desired_outcome: str | None = None
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)
    department: str | None = None
    priority: Priority = Priority.NORMAL
    intake_channel: IntakeChannel | None = None  # None: the customer's chat platform


async def open_case(
    uow: UnitOfWork,
    draft: CaseDraft,
    *,
    calendar: WorkingCalendar,
    policy: DeadlinePolicy,
    now: datetime,
) -> Case:
    """Number, date and add a new case inside the caller's transaction.

    A case is always filed: a deadline counted through a year without official calendar
    data is provisional (and says so) until that year's data arrives.
    """
    due = policy.due(calendar, draft.type, now)
    day = now.astimezone(calendar.tz).date()
    serial = await uow.cases.next_sequence(draft.type.prefix, day)
    case = Case.file(
        number=format_case_number(draft.type, day, serial),
        type=draft.type,
        customer=draft.customer,
        contact=draft.contact,
        classification=Classification(draft.channel, draft.business_type),
        description=draft.description,
        received_at=now,
        due_at=due.at,
        due_basis=due.basis,
        legal_due_at=legal_deadline(calendar, now, LEGAL_DAYS),
        branch=draft.branch,
        desired_outcome=draft.desired_outcome,
        attachments=list(draft.attachments),
        department=draft.department,
        priority=draft.priority,
        intake_channel=draft.intake_channel,
    )
    await uow.cases.add(case)
    return case


async def change_case_within(uow: UnitOfWork, case: Case, change: Callable[[Case], T]) -> T:
    """Apply one domain change to a loaded case inside the caller's transaction."""
    result = change(case)
    await uow.cases.save(case)
    return result

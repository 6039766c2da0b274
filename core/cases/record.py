"""A case's state and how it changes: the one transition table, and the audit trail.

`CaseRecord` holds a case's fields; every change goes through `_move` (a status change,
checked against `TRANSITIONS`) or `_change` (the rest), and both append a `CaseEvent`
that the repository stores with the case in the same transaction. The behaviours are
in `Case` (core.cases.case) and the two groups it takes in: `DeadlineChanges` and
`SuggestionChanges`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.cases.classification import IntakeChannel
from core.cases.values import (
    Attachment,
    CaseEvent,
    CaseStatus,
    CaseType,
    Classification,
    Decision,
    DueBasis,
    Extension,
    Priority,
    audit_value,
    require_aware,
)
from core.errors import DomainError, IllegalTransition
from core.identity import Contact, CustomerId

S = CaseStatus
# The whole state machine. ASSIGNED -> ASSIGNED is a reassignment; CLOSED, WITHDRAWN and
# MERGED are final: a customer who is unhappy after closure files a new case, which staff
# may link. Only a case still being worked on can be merged into an earlier one.
TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    S.NEW: frozenset({S.ASSIGNED, S.WITHDRAWN, S.MERGED}),
    S.ASSIGNED: frozenset({S.ASSIGNED, S.IN_PROGRESS, S.WITHDRAWN, S.MERGED}),
    S.IN_PROGRESS: frozenset(
        {S.ASSIGNED, S.WAITING_FOR_CUSTOMER, S.RESOLVED, S.WITHDRAWN, S.MERGED}
    ),
    S.WAITING_FOR_CUSTOMER: frozenset({S.ASSIGNED, S.IN_PROGRESS, S.WITHDRAWN, S.MERGED}),
    S.RESOLVED: frozenset({S.CLOSED, S.REOPENED}),
    S.CLOSED: frozenset(),
    S.REOPENED: frozenset({S.ASSIGNED, S.IN_PROGRESS, S.WITHDRAWN, S.MERGED}),
    S.WITHDRAWN: frozenset(),
    S.MERGED: frozenset(),
}


@dataclass(eq=False)
class CaseRecord:
    number: str
    type: CaseType
    customer: CustomerId
    contact: Contact
    classification: Classification
    description: str
    received_at: datetime
    due_at: datetime
    legal_due_at: datetime
    due_basis: DueBasis | None = None  # None: stored before deadlines kept their basis
    branch: str | None = None
    desired_outcome: str | None = None
    tags: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    status: CaseStatus = CaseStatus.NEW
    priority: Priority = Priority.NORMAL
    department: str | None = None
    assignee: str | None = None
    resolution: str | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    extensions: list[Extension] = field(default_factory=list)
    decision: Decision | None = None  # for suggestions: adopted or declined
    linked_to: str | None = None  # a related suggestion this one is handled with
    implemented_at: datetime | None = None  # an adopted suggestion put into practice
    # The customer's answer to the satisfaction survey about the latest resolution.
    satisfaction: int | None = None  # 1-5
    satisfaction_comment: str | None = None
    rated_at: datetime | None = None
    forgotten_at: datetime | None = None  # the customer's personal data was removed
    # Where the feedback came in; None: where the customer's platform says (on filing).
    intake_channel: IntakeChannel | None = None
    # The bank's deadline as promised when the case was filed or reopened (or counted
    # again once its calendar year was known), before any extension: on-time figures
    # compare with it, so an approved extension never turns a late answer into an
    # on-time one. None: the deadline as it stands.
    original_due_at: datetime | None = None
    # The earlier case of the same customer on the same matter this one was merged into
    # (the 2020 measures allow it): the figures count the two once.
    merged_into: str | None = None
    # Optimistic-concurrency token: the repository refuses to save over a newer version.
    version: int = 0
    # Events recorded since the case was loaded; the repository persists and clears them.
    pending_events: list[CaseEvent] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        if self.intake_channel is None:
            self.intake_channel = IntakeChannel.of(self.customer.platform)
        if self.original_due_at is None:
            self.original_due_at = self.due_at

    # -- machinery ---------------------------------------------------------------------

    def can_move_to(self, target: CaseStatus) -> bool:
        return target in TRANSITIONS[self.status]

    def _require_open(self, what: str) -> None:
        if not self.status.is_open:
            raise DomainError(
                f"case {self.number} is {self.status.value}: cannot {what}",
                key="refusal.not_open",
                number=self.number,
                current=self.status.value,
            )

    def _move(
        self,
        target: CaseStatus,
        actor: str,
        now: datetime,
        action: str,
        note: str | None = None,
        **changes: Any,
    ) -> None:
        if not self.can_move_to(target):
            raise IllegalTransition(self.number, self.status.value, target.value)
        self._change(actor, now, action, note=note, status=target, **changes)

    def _change(
        self, actor: str, now: datetime, action: str, note: str | None = None, **changes: Any
    ) -> None:
        require_aware(now)
        before = {k: getattr(self, k) for k in changes}
        for name, value in changes.items():
            setattr(self, name, value)
        self._record(actor, now, action, before, changes, note=note)

    def _record(
        self,
        actor: str,
        now: datetime,
        action: str,
        before: dict[str, Any],
        after: dict[str, Any],
        note: str | None = None,
    ) -> None:
        self.pending_events.append(
            CaseEvent(
                case_number=self.number,
                at=now,
                actor=actor,
                action=action,
                before={k: audit_value(v) for k, v in before.items()},
                after={k: audit_value(v) for k, v in after.items()},
                note=note,
            )
        )

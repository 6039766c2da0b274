"""The case aggregate: one piece of feedback, its status machine and its audit trail.

Every method that changes a case checks the state machine first, applies the change and
appends an immutable `CaseEvent` (actor, time, action, before -> after); the repository
persists the new events together with the case, in one transaction. The fields and the
transition table are in core.cases.record; deadline, suggestion and classification
changes in their own modules, which `Case` takes in.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from core.cases.classification import IntakeChannel
from core.cases.classifying import ClassificationChanges
from core.cases.deadline_changes import DeadlineChanges
from core.cases.suggestion import SuggestionChanges
from core.cases.values import (
    ERASED,
    FINAL_STATUSES,
    FORGOTTEN_ACTOR,
    FORGOTTEN_USER,
    LEGAL_DAYS,
    REVEALED_CONTACT,
    SATISFACTION_COMMENT_MAX,
    SATISFACTION_MAX,
    SATISFACTION_MIN,
    SATISFIED_FROM,
    Attachment,
    CaseStatus,
    CaseType,
    Classification,
    DueBasis,
    Priority,
    require_aware,
)
from core.errors import DomainError
from core.identity import Contact, CustomerId


class Case(ClassificationChanges, SuggestionChanges, DeadlineChanges):
    """One piece of feedback, from filing to closing (see the module's docstring)."""

    @classmethod
    def file(
        cls,
        *,
        number: str,
        type: CaseType,
        customer: CustomerId,
        contact: Contact,
        classification: Classification,
        description: str,
        received_at: datetime,
        due_at: datetime,
        due_basis: DueBasis | None = None,
        legal_due_at: datetime | None = None,
        branch: str | None = None,
        desired_outcome: str | None = None,
        attachments: list[Attachment] | None = None,
        department: str | None = None,
        priority: Priority = Priority.NORMAL,
        intake_channel: IntakeChannel | None = None,
        actor: str | None = None,
    ) -> Case:
        """Open a new case; its first audit event is `filed`. Without `legal_due_at` the
        legal ceiling is LEGAL_DAYS calendar days after receipt."""
        require_aware(received_at)
        require_aware(due_at)
        if due_at < received_at:
            raise DomainError("a case cannot fall due before it was received")
        if not description.strip():
            raise DomainError("a case needs a description")
        case = cls(
            number=number,
            type=type,
            customer=customer,
            contact=contact,
            classification=classification,
            description=description,
            received_at=received_at,
            due_at=due_at,
            legal_due_at=legal_due_at or received_at + timedelta(days=LEGAL_DAYS),
            due_basis=due_basis,
            branch=branch,
            desired_outcome=desired_outcome,
            attachments=list(attachments or []),
            department=department,
            priority=priority,
            intake_channel=intake_channel,
        )
        case._record(
            actor or f"customer:{customer}",
            received_at,
            "filed",
            {},
            {
                "status": case.status,
                "type": type,
                "due_at": due_at,
                "department": department,
                **case._provisional_note(),
            },
        )
        return case

    # -- status changes -------------------------------------------------------------

    def assign(self, *, department: str, assignee: str | None, actor: str, now: datetime) -> None:
        """Give the case to a department and, optionally, a person in it."""
        self._move(
            CaseStatus.ASSIGNED, actor, now, "assigned", department=department, assignee=assignee
        )

    def start(self, *, actor: str, now: datetime, action: str = "started") -> None:
        """Someone works on it (also: the customer answered a question)."""
        self._move(CaseStatus.IN_PROGRESS, actor, now, action)

    def ask_customer(self, *, question: str, actor: str, now: datetime) -> None:
        self._move(CaseStatus.WAITING_FOR_CUSTOMER, actor, now, "asked_customer", note=question)

    def resolve(self, *, result: str, actor: str, now: datetime) -> None:
        """Record the answer the customer receives; a complaint's cause must be known."""
        if not result.strip():
            raise DomainError(
                "a resolution needs the result the customer will receive", key="refusal.no_text"
            )
        if self.can_move_to(CaseStatus.RESOLVED):  # else the state machine says why not
            self.require_cause()
        self._move(CaseStatus.RESOLVED, actor, now, "resolved", resolution=result, resolved_at=now)

    def rate(self, score: int, *, actor: str, now: datetime) -> None:
        """The customer's satisfaction with the resolution. A satisfied customer (3 and
        up) closes the case; a dissatisfied one may still ask to reopen it."""
        if self.status is not CaseStatus.RESOLVED:
            raise DomainError(f"case {self.number} is {self.status.value}: nothing to rate")
        if self.satisfaction is not None:
            raise DomainError(f"case {self.number} was already rated")
        if not SATISFACTION_MIN <= score <= SATISFACTION_MAX:
            raise DomainError(f"a rating is {SATISFACTION_MIN} to {SATISFACTION_MAX}")
        self._change(actor, now, "rated", satisfaction=score, rated_at=now)
        if score >= SATISFIED_FROM:
            self.close(actor=actor, now=now)

    def comment_on_rating(self, text: str, *, actor: str, now: datetime) -> None:
        """The optional words that follow a rating."""
        if self.satisfaction is None:
            raise DomainError(f"case {self.number} has no rating to comment on")
        if self.satisfaction_comment is not None:
            raise DomainError(f"case {self.number} already has a comment")
        text = text.strip()[:SATISFACTION_COMMENT_MAX]
        if not text:
            raise DomainError("a comment needs text")
        self._change(actor, now, "rating_commented", note=text, satisfaction_comment=text)

    def customer_replied(self, *, text: str, actor: str, now: datetime) -> None:
        """The customer answered: back to work if the case was waiting for them."""
        if self.status is CaseStatus.WAITING_FOR_CUSTOMER:
            self._move(CaseStatus.IN_PROGRESS, actor, now, "customer_replied", note=text)
        else:
            self._record(actor, now, "customer_replied", {}, {}, note=text)

    def record_reveal(self, *, actor: str, now: datetime) -> None:
        """Someone saw the customer's full contact data: the audit trail says who and when."""
        self._record(actor, now, REVEALED_CONTACT, {}, {})

    def close(self, *, actor: str, now: datetime) -> None:
        self._move(CaseStatus.CLOSED, actor, now, "closed", closed_at=now)

    def reopen(
        self,
        *,
        reason: str,
        due_at: datetime,
        actor: str,
        now: datetime,
        due_basis: DueBasis | None = None,
    ) -> None:
        """Back to work with a fresh deadline: new facts restart the clock."""
        require_aware(due_at)
        self._move(
            CaseStatus.REOPENED,
            actor,
            now,
            "reopened",
            note=reason,
            resolved_at=None,
            closed_at=None,
            due_at=due_at,
            due_basis=due_basis,
            original_due_at=due_at,
            # The next resolution gets a survey of its own; the trail keeps this one.
            satisfaction=None,
            satisfaction_comment=None,
            rated_at=None,
        )

    def withdraw(self, *, reason: str | None, actor: str, now: datetime) -> None:
        self._move(CaseStatus.WITHDRAWN, actor, now, "withdrawn", note=reason, closed_at=now)

    def forget(self, *, now: datetime) -> None:
        """Remove the customer's personal data from a finished case, keeping what the
        bank's statistics need (type, classification, branch, department, dates, status,
        rating, decision). The audit event deliberately records no "before": it would
        copy what is being removed."""
        require_aware(now)
        if self.status not in FINAL_STATUSES:
            raise DomainError(f"case {self.number} is {self.status.value}: not finished yet")
        if self.forgotten_at is not None:
            raise DomainError(f"case {self.number} was already forgotten")
        self.customer = CustomerId(self.customer.platform, FORGOTTEN_USER)
        self.contact = Contact()
        self.description = ERASED
        self.desired_outcome = None
        self.attachments = []
        self.satisfaction_comment = None
        self.forgotten_at = now
        self._record(FORGOTTEN_ACTOR, now, "forgotten", {}, {"forgotten_at": now})

    # -- changes that keep the status -------------------------------------------------

    def add_note(self, *, text: str, actor: str, now: datetime) -> None:
        """An internal note: visible to staff in the history, never to the customer."""
        if not text.strip():
            raise DomainError("a note needs text", key="refusal.no_text")
        self._record(actor, now, "noted", {}, {}, note=text)

    def add_attachment(self, attachment: Attachment, *, actor: str, now: datetime) -> None:
        self._require_open("add an attachment")
        self.attachments.append(attachment)
        self._record(actor, now, "attached", {}, {"kind": attachment.kind, "ref": attachment.ref})

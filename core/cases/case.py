"""The case aggregate: one piece of feedback, its status machine and its audit trail.

Every method that changes a case checks the state machine first, applies the change and
appends an immutable `CaseEvent` (actor, time, action, before -> after). The repository
persists the new events together with the case, in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from core.cases.classification import BusinessType, Cause, Channel, IntakeChannel
from core.errors import DomainError, ExtensionRefused, IllegalTransition
from core.identity import Contact, CustomerId


class CaseType(StrEnum):
    COMPLAINT = "complaint"
    SUGGESTION = "suggestion"
    PRAISE = "praise"

    @property
    def prefix(self) -> str:
        """The case-number prefix that shows the type at a glance."""
        return _PREFIXES[self]


_PREFIXES = {CaseType.COMPLAINT: "CP", CaseType.SUGGESTION: "SG", CaseType.PRAISE: "PR"}


class CaseStatus(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    WAITING_FOR_CUSTOMER = "waiting_for_customer"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"
    WITHDRAWN = "withdrawn"

    @property
    def is_open(self) -> bool:
        """Still needs work from the bank (counts against its deadline)."""
        return self in OPEN_STATUSES


class Decision(StrEnum):
    ADOPTED = "adopted"
    DECLINED = "declined"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


S = CaseStatus
# The whole state machine. ASSIGNED -> ASSIGNED is a reassignment; CLOSED and WITHDRAWN are
# final: a customer who is unhappy after closure files a new case, which staff may link.
TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    S.NEW: frozenset({S.ASSIGNED, S.WITHDRAWN}),
    S.ASSIGNED: frozenset({S.ASSIGNED, S.IN_PROGRESS, S.WITHDRAWN}),
    S.IN_PROGRESS: frozenset({S.ASSIGNED, S.WAITING_FOR_CUSTOMER, S.RESOLVED, S.WITHDRAWN}),
    S.WAITING_FOR_CUSTOMER: frozenset({S.ASSIGNED, S.IN_PROGRESS, S.WITHDRAWN}),
    S.RESOLVED: frozenset({S.CLOSED, S.REOPENED}),
    S.CLOSED: frozenset(),
    S.REOPENED: frozenset({S.ASSIGNED, S.IN_PROGRESS, S.WITHDRAWN}),
    S.WITHDRAWN: frozenset(),
}
OPEN_STATUSES = frozenset({S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.WAITING_FOR_CUSTOMER, S.REOPENED})
FINAL_STATUSES = frozenset({S.CLOSED, S.WITHDRAWN})


@dataclass(frozen=True, slots=True)
class Classification:
    """The JR/T 0169 axes; the cause is usually unknown until staff look at the case."""

    channel: Channel
    business_type: BusinessType
    cause: Cause | None = None


@dataclass(frozen=True, slots=True)
class Attachment:
    """A reference to media kept by the chat platform (Telegram file_id, WeChat MediaId)."""

    kind: str  # photo, voice, video, document
    ref: str
    caption: str | None = None


@dataclass(frozen=True, slots=True)
class Extension:
    """An extension of the legal deadline, with the reason and who approved it."""

    days: int
    reason: str
    approver: str
    senior_approval: bool
    granted_at: datetime


@dataclass(frozen=True, slots=True)
class DueBasis:
    """How the bank's deadline was counted, so that it can be counted again: a deadline
    counted through a year without official calendar data is provisional until then."""

    counted_from: datetime
    working_days: int
    provisional_year: int | None = None  # the first year counted without official data


@dataclass(frozen=True, slots=True)
class CaseEvent:
    """One immutable line of a case's audit trail."""

    case_number: str
    at: datetime
    actor: str
    action: str
    before: dict[str, Any]
    after: dict[str, Any]
    note: str | None = None


# The satisfaction survey: 1-5 stars; from 3 up the customer counts as satisfied.
SATISFACTION_MIN = 1
SATISFACTION_MAX = 5
SATISFIED_FROM = 3
SATISFACTION_COMMENT_MAX = 500

# Forgetting a customer (PIPL): what replaces their identity and their words. The audit
# trail's database triggers allow exactly this erasure and nothing else (migration 0010).
FORGOTTEN_USER = "forgotten"
FORGOTTEN_ACTOR = f"customer:{FORGOTTEN_USER}"
ERASED = "[erased]"

# The regulation: decide within 15 calendar days; complex cases up to 30; a further 30 with
# senior approval. Extensions always carry a reason and an approver.
LEGAL_DAYS = 15
LEGAL_MAX_DAYS = 30
LEGAL_SENIOR_MAX_DAYS = 60


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("timestamps must be timezone-aware")


@dataclass(eq=False)
class Case:
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
        _require_aware(received_at)
        _require_aware(due_at)
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

    @property
    def due_provisional_year(self) -> int | None:
        """The year without official calendar data that the bank's deadline was counted
        through: the deadline is provisional until that year is known."""
        return self.due_basis.provisional_year if self.due_basis else None

    def _provisional_note(self) -> dict[str, Any]:
        year = self.due_provisional_year
        return {"provisional_year": year} if year is not None else {}

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
        """Record the answer the customer receives."""
        if not result.strip():
            raise DomainError(
                "a resolution needs the result the customer will receive", key="refusal.no_text"
            )
        self._move(CaseStatus.RESOLVED, actor, now, "resolved", resolution=result, resolved_at=now)

    def decide(self, decision: Decision, *, result: str, actor: str, now: datetime) -> None:
        """Adopt or decline a suggestion; the decision is its answer to the customer."""
        if self.type is not CaseType.SUGGESTION:
            raise DomainError(
                f"case {self.number} is not a suggestion",
                key="refusal.not_suggestion",
                number=self.number,
            )
        if not result.strip():
            raise DomainError(
                "a decision needs the text the customer will receive", key="refusal.no_text"
            )
        self._move(
            CaseStatus.RESOLVED,
            actor,
            now,
            decision.value,
            note=result,
            decision=decision,
            resolution=result,
            resolved_at=now,
        )

    def link_to(self, other: Case, *, actor: str, now: datetime) -> None:
        """Handle this suggestion with a related one: its customer hears what comes of it."""
        if self.type is not CaseType.SUGGESTION or other.type is not CaseType.SUGGESTION:
            raise DomainError("only suggestions are linked", key="refusal.link_suggestions_only")
        if other.number == self.number or other.linked_to is not None:
            raise DomainError(
                f"link to the suggestion {other.number} is itself linked to",
                key="refusal.link_to_linked",
                other=other.number,
                main=other.linked_to or other.number,
            )
        # A linked suggestion is decided with the one it joins: its customer must not have
        # heard a decision of its own already, and must not hear a contrary one later.
        if self.decision is not None or not self.status.is_open:
            raise DomainError(
                f"case {self.number} is already answered: it cannot be linked",
                key="refusal.link_answered",
                number=self.number,
            )
        if self.linked_to is not None:
            raise DomainError(
                f"case {self.number} is already linked to {self.linked_to}",
                key="refusal.already_linked",
                number=self.number,
                main=self.linked_to,
            )
        if other.decision is Decision.DECLINED:
            raise DomainError(
                f"{other.number} was declined: decide on {self.number} itself",
                key="refusal.link_to_declined",
                number=self.number,
                other=other.number,
            )
        self._change(actor, now, "linked", linked_to=other.number)

    def implement(self, *, what_changed: str, actor: str, now: datetime) -> None:
        """An adopted suggestion was put into practice: "you said, we did"."""
        if self.decision is not Decision.ADOPTED:
            raise DomainError(
                f"case {self.number} is not an adopted suggestion",
                key="refusal.not_adopted",
                number=self.number,
            )
        if self.implemented_at is not None:
            raise DomainError(
                f"case {self.number} was already marked implemented",
                key="refusal.already_implemented",
                number=self.number,
            )
        if not what_changed.strip():
            raise DomainError("say what changed", key="refusal.no_text")
        self._change(actor, now, "implemented", note=what_changed, implemented_at=now)

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

    def postpone(
        self,
        *,
        due_at: datetime,
        reason: str,
        actor: str,
        now: datetime,
        due_basis: DueBasis | None = None,
    ) -> None:
        """A later deadline for the bank's answer, never past the legal ceiling."""
        self._require_open("postpone")
        _require_aware(due_at)
        if not reason.strip():
            raise DomainError("a new deadline needs a reason", key="refusal.no_text")
        if due_at <= self.due_at:
            raise DomainError(
                "the new deadline must be later than the current one", key="refusal.not_later"
            )
        if due_at > self.legal_due_at:
            raise ExtensionRefused(
                "the deadline may not pass the legal ceiling",
                key="refusal.past_ceiling",
                number=self.number,
            )
        self._change(actor, now, "postponed", note=reason, due_at=due_at, due_basis=due_basis)

    def recount_deadline(
        self,
        *,
        due_at: datetime,
        due_basis: DueBasis,
        legal_due_at: datetime,
        actor: str,
        now: datetime,
    ) -> None:
        """A provisional deadline counted again, now that its year's calendar is known."""
        _require_aware(due_at)
        _require_aware(legal_due_at)
        if self.due_provisional_year is None:
            raise DomainError(f"case {self.number} has no provisional deadline")
        # The promise follows the recount unless the deadline was extended since: the
        # extension was granted against the first count, which stays the promise.
        promised = due_at if self.original_due_at == self.due_at else self.original_due_at
        self._change(
            actor,
            now,
            "deadline_recounted",
            due_at=due_at,
            due_basis=due_basis,
            legal_due_at=legal_due_at,
            original_due_at=promised,
        )

    def record_reveal(self, *, actor: str, now: datetime) -> None:
        """Someone saw the customer's full contact data: the audit trail says who and when."""
        self._record(actor, now, "revealed_contact", {}, {})

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
        _require_aware(due_at)
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
        _require_aware(now)
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

    def classify(self, *, cause: Cause, actor: str, now: datetime) -> None:
        self._change(
            actor,
            now,
            "classified",
            classification=Classification(
                self.classification.channel, self.classification.business_type, cause
            ),
        )

    def set_priority(self, priority: Priority, *, actor: str, now: datetime) -> None:
        self._change(actor, now, "prioritised", priority=priority)

    def tag(self, label: str, *, actor: str, now: datetime) -> None:
        label = label.strip()
        if not label or label in self.tags:
            return
        self._change(actor, now, "tagged", tags=[*self.tags, label])

    def extend(
        self,
        *,
        days: int,
        reason: str,
        approver: str,
        senior_approval: bool,
        actor: str,
        now: datetime,
        legal_due_at: datetime | None = None,
    ) -> Extension:
        """Push the legal ceiling out, within what the regulation allows. `legal_due_at`
        is the new ceiling as the calendar counts it (a last day on a holiday moves);
        without it, the total in calendar days after receipt."""
        self._require_open("extend")
        if days <= 0:
            raise ExtensionRefused(
                "an extension needs a positive number of days", key="refusal.positive_days"
            )
        if not reason.strip() or not approver.strip():
            raise ExtensionRefused(
                "an extension needs a reason and an approver", key="refusal.no_text"
            )
        total = self.legal_days + days
        ceiling = LEGAL_SENIOR_MAX_DAYS if senior_approval else LEGAL_MAX_DAYS
        if total > ceiling:
            raise ExtensionRefused(
                f"the legal deadline may reach at most {ceiling} days after receipt"
                + ("" if senior_approval else " without senior approval"),
                key="refusal.legal_max" if senior_approval else "refusal.legal_max_lead",
                number=self.number,
                ceiling=ceiling,
                senior=LEGAL_SENIOR_MAX_DAYS,
            )
        extension = Extension(days, reason, approver, senior_approval, now)
        self._change(
            actor,
            now,
            "extended",
            note=reason,
            extensions=[*self.extensions, extension],
            legal_due_at=legal_due_at or self.received_at + timedelta(days=total),
        )
        return extension

    @property
    def legal_days(self) -> int:
        """Calendar days the regulation gives, with the extensions granted so far."""
        return LEGAL_DAYS + sum(e.days for e in self.extensions)

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
        _require_aware(now)
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
                before={k: _audit(v) for k, v in before.items()},
                after={k: _audit(v) for k, v in after.items()},
                note=note,
            )
        )


def _audit(v: Any) -> Any:
    """Make a field value JSON-friendly for the audit trail."""
    if isinstance(v, Classification):
        return {
            "channel": v.channel.value,
            "business_type": v.business_type.value,
            "cause": v.cause.value if v.cause else None,
        }
    if isinstance(v, DueBasis):
        return {
            "counted_from": v.counted_from.isoformat(),
            "working_days": v.working_days,
            "provisional_year": v.provisional_year,
        }
    if isinstance(v, Extension):
        return {
            "days": v.days,
            "reason": v.reason,
            "approver": v.approver,
            "senior_approval": v.senior_approval,
            "granted_at": v.granted_at.isoformat(),
        }
    if isinstance(v, list):
        return [_audit(x) for x in v]
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, StrEnum):
        return v.value
    return v

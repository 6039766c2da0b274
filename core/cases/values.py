"""What a case is made of: its type, status, classification, attachments, extensions,
the basis of its deadline, its audit events, and the limits the rules set.

Plain values with no behaviour beyond their own checks; `Case` (core.cases.case) holds
them and changes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from core.cases.classification import BusinessType, Cause, Channel


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
    # A repeated complaint joined to the earlier case of the same customer on the same
    # matter (`merged_into`): handled, answered and counted as that one.
    MERGED = "merged"

    @property
    def is_open(self) -> bool:
        """Still needs work from the bank (counts against its deadline)."""
        return self in OPEN_STATUSES


_S = CaseStatus
OPEN_STATUSES = frozenset(
    {_S.NEW, _S.ASSIGNED, _S.IN_PROGRESS, _S.WAITING_FOR_CUSTOMER, _S.REOPENED}
)
FINAL_STATUSES = frozenset({_S.CLOSED, _S.WITHDRAWN, _S.MERGED})


class Decision(StrEnum):
    ADOPTED = "adopted"
    DECLINED = "declined"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


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

# A free tag staff put on a case (`/tag`): a short label, typed in chat.
TAG_MAX = 32

# Forgetting a customer (PIPL): what replaces their identity and their words. The audit
# trail's database triggers allow exactly this erasure and nothing else (migration 0010).
FORGOTTEN_USER = "forgotten"
FORGOTTEN_ACTOR = f"customer:{FORGOTTEN_USER}"
ERASED = "[erased]"

# The trail's action for anyone seeing a customer's contact data unmasked: `/reveal` in
# chat, or report files exported with it.
REVEALED_CONTACT = "revealed_contact"

# The regulation: decide within 15 calendar days; complex cases up to 30; a further 30 with
# senior approval. Extensions always carry a reason and an approver.
LEGAL_DAYS = 15
LEGAL_MAX_DAYS = 30
LEGAL_SENIOR_MAX_DAYS = 60


def require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("timestamps must be timezone-aware")


def audited_classification(data: Mapping[str, Any]) -> Classification:
    """A classification as `audit_value` wrote it into the trail."""
    cause = Cause(data["cause"]) if data.get("cause") else None
    return Classification(Channel(data["channel"]), BusinessType(data["business_type"]), cause)


def audit_value(v: Any) -> Any:
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
        return [audit_value(x) for x in v]
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, StrEnum):
        return v.value
    return v

"""A customer's place in the intake dialogue, and its JSON form for storage."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from core.cases.classification import BusinessType, Channel
from core.cases.values import Attachment, CaseType
from core.channel.io import Option
from core.messages import DEFAULT_LANGUAGE


class Step(StrEnum):
    IDLE = "idle"
    BUSINESS = "business"
    BRANCH = "branch"
    ONLINE_CHANNEL = "online_channel"  # not at a branch: which of the bank's e-channels
    DESCRIPTION = "description"
    OUTCOME = "outcome"
    CONSENT = "consent"
    NAME = "name"
    PHONE = "phone"
    SUMMARY = "summary"
    EDIT = "edit"


class Awaiting(StrEnum):
    """A question put to the customer outside the intake, answered when they are idle."""

    RATING = "rating"  # the satisfaction survey about a resolved case
    COMMENT = "comment"  # optional words after a satisfied rating
    REOPEN = "reopen"  # after a low rating: reopen the case, or let it close
    REDEEM = "redeem"  # confirm exchanging points for a voucher
    FORGET = "forget"  # confirm anonymising the customer's closed cases
    ADD = "add"  # words or files sent after filing: which open case do they belong to?
    VOUCHER = "voucher"  # /redeem's catalog: which voucher to exchange points for


# Menus rather than questions: starting anew or letting them lapse loses nothing.
MENUS = frozenset({Awaiting.ADD, Awaiting.VOUCHER})


@dataclass(frozen=True, slots=True)
class Material:
    """Something a customer sent about a case: words, or a photo, voice note or file
    (with its caption)."""

    text: str | None = None
    media: Attachment | None = None

    @property
    def note(self) -> str:
        """How it reads in the case's trail."""
        if self.media is None:
            return self.text or ""
        return " ".join(p for p in (f"[{self.media.kind}]", self.media.caption) if p)


@dataclass(frozen=True, slots=True)
class Pending:
    kind: Awaiting
    ref: str = ""  # the case number or voucher id the question is about
    label: str = ""  # what to show of it (a voucher's name and cost, the catalog)
    choices: tuple[Option, ...] = ()  # the cases or vouchers offered (ADD, VOUCHER)
    material: tuple[Material, ...] = ()  # what waits for a case to be chosen (ADD)


@dataclass
class Dialogue:
    step: Step = Step.IDLE
    language: str = DEFAULT_LANGUAGE
    language_chosen: bool = False  # set by /language: the platform's hint no longer applies
    case_type: CaseType | None = None
    business_type: BusinessType | None = None
    branch: str | None = None
    # Where the business happened (JR/T 0169 axis A): the counter when a branch was
    # named, else the e-channel the customer chose.
    channel: Channel | None = None
    description: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    desired_outcome: str | None = None
    anonymous: bool = False
    consent_at: datetime | None = None
    name: str | None = None
    phone: str | None = None
    editing: bool = False  # changing one answer from the summary: go back there after it
    answering: str | None = None  # staff asked about this case: the next message answers
    pending: Pending | None = None  # shown and answered once the customer is idle
    trail: list[Step] = field(default_factory=list)  # steps behind this one, for "back"
    updated_at: datetime | None = None

    def copy(self) -> Dialogue:
        return replace(self, attachments=list(self.attachments), trail=list(self.trail))

    def restarted(self) -> Dialogue:
        """A fresh intake that keeps the customer's language and any pending question
        (a menu and what waited on it lapse)."""
        kept = self.pending if self.pending is None or self.pending.kind not in MENUS else None
        return Dialogue(
            language=self.language,
            language_chosen=self.language_chosen,
            answering=self.answering,
            pending=kept,
            updated_at=self.updated_at,
        )

    @property
    def unfinished(self) -> bool:
        """Holds what the customer typed or sent that no case has yet: an intake under
        way, or material waiting for a case to be chosen (forgotten when abandoned)."""
        return self.step is not Step.IDLE or bool(self.pending and self.pending.material)

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.step.value,
            "language": self.language,
            "language_chosen": self.language_chosen,
            "case_type": self.case_type.value if self.case_type else None,
            "business_type": self.business_type.value if self.business_type else None,
            "branch": self.branch,
            "channel": self.channel.value if self.channel else None,
            "description": self.description,
            "attachments": [[a.kind, a.ref, a.caption] for a in self.attachments],
            "desired_outcome": self.desired_outcome,
            "anonymous": self.anonymous,
            "consent_at": self.consent_at.isoformat() if self.consent_at else None,
            "name": self.name,
            "phone": self.phone,
            "editing": self.editing,
            "answering": self.answering,
            "pending": _pending_json(self.pending) if self.pending else None,
            "trail": [s.value for s in self.trail],
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Dialogue:
        def moment(value: str | None) -> datetime | None:
            return datetime.fromisoformat(value) if value else None

        return cls(
            step=Step(data["step"]),
            language=data["language"],
            language_chosen=data["language_chosen"],
            case_type=CaseType(data["case_type"]) if data["case_type"] else None,
            business_type=(BusinessType(data["business_type"]) if data["business_type"] else None),
            branch=data["branch"],
            channel=Channel(data["channel"]) if data.get("channel") else None,
            description=data["description"],
            attachments=[Attachment(k, r, c) for k, r, c in data["attachments"]],
            desired_outcome=data["desired_outcome"],
            anonymous=data["anonymous"],
            consent_at=moment(data["consent_at"]),
            name=data["name"],
            phone=data["phone"],
            editing=data["editing"],
            answering=data.get("answering"),
            pending=_pending(data.get("pending")),
            trail=[Step(s) for s in data["trail"]],
            updated_at=moment(data["updated_at"]),
        )


def _pending_json(pending: Pending) -> list[Any]:
    return [
        pending.kind.value,
        pending.ref,
        pending.label,
        [[o.key, o.label] for o in pending.choices],
        [
            [m.text, *([m.media.kind, m.media.ref, m.media.caption] if m.media else [])]
            for m in pending.material
        ],
    ]


def _pending(data: list[Any] | None) -> Pending | None:
    if not data:
        return None
    kind, ref, label, *rest = data  # three fields before menus were kept
    choices, material = rest if rest else ([], [])
    return Pending(
        Awaiting(kind),
        ref,
        label,
        tuple(Option(key, text) for key, text in choices),
        tuple(
            Material(m[0], Attachment(m[1], m[2], m[3]) if len(m) > 1 else None) for m in material
        ),
    )

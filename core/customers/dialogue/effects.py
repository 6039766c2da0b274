"""What the dialogue asks the outside world to do, and the turn that carries it.

The engine performs no I/O: filing a case, looking up a customer's cases, points or
vouchers, passing an answer to staff all come back as one of these effects, which
`ConversationService` carries out (and answers) within the message's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.cases.classification import BusinessType, Channel
from core.cases.values import Attachment, CaseType
from core.channel.io import Reply
from core.customers.dialogue.state import Dialogue, Material
from core.identity import Contact


@dataclass(frozen=True, slots=True)
class SubmitCase:
    type: CaseType
    business_type: BusinessType
    # Where the business happened, from the customer's answers; None (an intake begun
    # before they were asked): the chat platform's.
    channel: Channel | None
    branch: str | None
    description: str
    attachments: tuple[Attachment, ...]
    desired_outcome: str | None
    contact: Contact


@dataclass(frozen=True, slots=True)
class ShowStatus:
    query: str  # what the customer typed; may not be a well-formed number


@dataclass(frozen=True, slots=True)
class ListCases:
    pass


@dataclass(frozen=True, slots=True)
class ShowPoints:
    pass


@dataclass(frozen=True, slots=True)
class AnswerCase:
    """The customer's answer to a question staff asked about a case."""

    number: str
    material: Material


@dataclass(frozen=True, slots=True)
class OfferAddition:
    """An idle customer sent words or a file: ask which of their open cases it is for
    (the service knows their cases); `material` is all that waits for the choice."""

    material: tuple[Material, ...]


@dataclass(frozen=True, slots=True)
class AddToCase:
    """The customer chose the open case the material they sent belongs to."""

    number: str
    material: tuple[Material, ...]


@dataclass(frozen=True, slots=True)
class RateCase:
    number: str
    score: int


@dataclass(frozen=True, slots=True)
class CommentOnRating:
    number: str
    text: str


@dataclass(frozen=True, slots=True)
class SettleRating:
    """After a low rating: reopen the case, or let it close."""

    number: str
    reopen: bool


@dataclass(frozen=True, slots=True)
class ShowVouchers:
    pass


@dataclass(frozen=True, slots=True)
class OfferVoucher:
    """A voucher chosen: ask the customer to confirm the exchange."""

    voucher_id: int


@dataclass(frozen=True, slots=True)
class RedeemVoucher:
    voucher_id: int


@dataclass(frozen=True, slots=True)
class ShowMyVouchers:
    """The vouchers the customer was issued, with their codes (`/vouchers`)."""


@dataclass(frozen=True, slots=True)
class ShowPrivacy:
    pass


@dataclass(frozen=True, slots=True)
class ForgetMe:
    pass


Effect = (
    SubmitCase
    | ShowStatus
    | ListCases
    | ShowPoints
    | AnswerCase
    | OfferAddition
    | AddToCase
    | RateCase
    | CommentOnRating
    | SettleRating
    | ShowVouchers
    | OfferVoucher
    | RedeemVoucher
    | ShowMyVouchers
    | ShowPrivacy
    | ForgetMe
)


@dataclass(frozen=True, slots=True)
class Turn:
    """One input answered: the dialogue to keep, what to say, and what the service does."""

    dialogue: Dialogue
    replies: tuple[Reply, ...] = ()
    effect: Effect | None = None

"""What a chat channel hands the service, and the replies it gets back to render.

Adapters translate platform traffic into an `Incoming` message and render these replies:
Telegram as inline keyboards, WeChat as numbered text menus. Option keys are short ids
(well under Telegram's 64-byte callback limit), never payloads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.cases.classification import Channel, IntakeChannel
from core.cases.values import Attachment
from core.identity import CustomerId, Platform


@dataclass(frozen=True, slots=True)
class Text:
    """Typed text, including commands such as `/status CP-20261129-0007`."""

    text: str


@dataclass(frozen=True, slots=True)
class Choice:
    """A button press: the key of an `Option` the dialogue offered."""

    key: str


@dataclass(frozen=True, slots=True)
class SharedContact:
    """A contact card the customer shared (Telegram's "share my phone" button)."""

    phone: str
    name: str | None
    is_own: bool


@dataclass(frozen=True, slots=True)
class Media:
    """A photo, voice note, video or file, by the platform's reference."""

    kind: str
    ref: str
    caption: str | None = None


@dataclass(frozen=True, slots=True)
class Unsupported:
    """Something the dialogue cannot take in (a sticker, a location, a link, a WeChat
    file...): every step answers it with what it expects instead."""

    # sticker, location, link, file or other; each has its word in the catalogs
    # (`input.KIND`), as has `contact`, for a contact card where none is asked for.
    kind: str


Input = Text | Choice | SharedContact | Media | Unsupported

# The longest delivery id a store keeps; an adapter whose ids may be longer shortens them.
DELIVERY_KEY_MAX = 160


@dataclass(frozen=True, slots=True)
class Incoming:
    """One message from a chat, as every channel hands it in."""

    customer: CustomerId  # the sender, staff or not
    message: Input
    channel: Channel  # the JR/T 0169 channel axis, set by the adapter
    language_hint: str | None = None
    delivery_key: str | None = None  # the platform's id of this delivery, for deduplication
    # Where the feedback comes in when the platform alone does not say it (the web's
    # site, app or kiosk); None: the platform's own intake channel.
    intake_channel: IntakeChannel | None = None


# Placeholders of `Reply.continued`, filled in by the platform that splits the text.
PART, PARTS = "{part}", "{parts}"


@dataclass(frozen=True, slots=True)
class Option:
    key: str
    label: str


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    options: tuple[Option, ...] = ()
    contact_button: str | None = None  # label of the platform's "share my phone" button
    # Media to send along, by the reference of the platform they came from; a channel
    # sends them only if it is that platform (a Telegram file_id means nothing to WeChat).
    media: tuple[Attachment, ...] = ()
    media_platform: Platform | None = None
    # When a platform must split a long text, each piece after the first starts with this
    # line, its `{part}` and `{parts}` filled in (「（续 2/3）CP-…」): staff reading a long
    # answer know what every piece belongs to.
    continued: str | None = None
    # The case this reply confirms was filed: a channel may add what lets the customer
    # come back to it (the web's resume link). Not part of what the reply says.
    filed: str | None = field(default=None, compare=False)


def continuation(template: str, part: int, parts: int) -> str:
    """The line that starts piece `part` of `parts` of a split reply."""
    return template.replace(PART, str(part)).replace(PARTS, str(parts))

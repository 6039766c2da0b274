"""What a customer can send the dialogue, and what it answers.

Adapters translate platform traffic into these inputs and render these replies: Telegram
as inline keyboards, WeChat as numbered text menus. Option keys are short ids (well
under Telegram's 64-byte callback limit), never payloads.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.case import Attachment
from core.identity import Platform


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


Input = Text | Choice | SharedContact | Media


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

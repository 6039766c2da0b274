"""Staff, departments and who may do what to which case.

Roles are ordered: an agent handles cases of their department (and any case assigned
to them), and classifies and tags the ones no colleague holds; a lead also assigns, merges,
decides on suggestions, reopens, extends and may reveal a customer's contact data; a
supervisor sees every department; an admin is a supervisor who also manages staff.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum

from core.cases.case import Case
from core.cases.classification import BusinessType
from core.errors import DomainError
from core.identity import Platform

NAME_MAX = 128  # a staff member's or a department's name
CODE_MAX = 64  # a department's code
# Where staff chats are: the web has customers only.
STAFF_PLATFORMS = (Platform.TELEGRAM, Platform.WECHAT)


class Role(IntEnum):
    AGENT = 1
    LEAD = 2
    SUPERVISOR = 3
    ADMIN = 4

    @classmethod
    def parse(cls, text: str) -> Role:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(
                f"unknown role {text!r}; give agent, lead, supervisor or admin"
            ) from None


@dataclass(frozen=True, slots=True)
class ChatAddress:
    """Where a message goes: a private chat or a group, on one platform."""

    platform: Platform
    chat_id: str

    def __str__(self) -> str:
        return f"{self.platform.value}:{self.chat_id}"

    @classmethod
    def parse(cls, text: str) -> ChatAddress:
        platform, _, chat_id = text.partition(":")
        if not chat_id:
            raise ValueError("expected PLATFORM:CHAT_ID, e.g. telegram:-1001234567890")
        return cls(Platform(platform), chat_id)


def typed_chat_address(text: str) -> ChatAddress:
    """A chat address an administrator typed, refused unless a platform could deliver to it.

    Stored addresses are read with the lenient `ChatAddress.parse`: one saved before these
    checks must not stop the department from loading."""
    platform, colon, chat_id = text.strip().partition(":")
    known = " or ".join(f"{p.value}:CHAT_ID" for p in STAFF_PLATFORMS)
    if not colon or not chat_id.strip():
        raise DomainError(
            f"not a chat: {text!r}; write PLATFORM:CHAT_ID, e.g. telegram:-1001234567890"
        )
    try:
        where = Platform(platform.strip().lower())
        if where not in STAFF_PLATFORMS:
            raise ValueError(where)
    except ValueError:
        raise DomainError(f"unknown platform {platform!r} in {text!r}; use {known}") from None
    chat_id = chat_id.strip()
    if where is Platform.TELEGRAM and not chat_id.removeprefix("-").isdecimal():
        raise DomainError(
            f"a Telegram chat id is a number, not {chat_id!r}; give the group's "
            "numeric id, e.g. telegram:-1001234567890"
        )
    if any(c.isspace() for c in chat_id):
        raise DomainError(f"a chat id has no spaces: {chat_id!r}; give it as the platform shows it")
    return ChatAddress(where, chat_id)


@dataclass(frozen=True, slots=True)
class StaffMember:
    id: int
    name: str
    role: Role
    department: str
    active: bool = True
    language: str = "zh"

    @property
    def actor(self) -> str:
        """How the audit trail names them."""
        return f"{_STAFF_ACTOR}{self.id}"


_STAFF_ACTOR = "staff:"


@dataclass(frozen=True, slots=True)
class Invitation:
    """A registration code not used yet; the code itself is never stored."""

    name: str
    role: Role
    department: str
    expires_at: datetime


def check_name(name: str, of: str) -> str:
    """A staff member's or a department's name, trimmed; refused when empty or too long."""
    name = name.strip()
    if not name:
        raise DomainError(f"{of} needs a name; give one that is not blank")
    if len(name) > NAME_MAX:
        raise DomainError(f"{of}'s name has at most {NAME_MAX} characters")
    return name


def check_department_code(code: str) -> None:
    """Codes are typed in staff commands (`/assign NO loans`): one word, not too long."""
    if not code.strip():
        raise DomainError("a department needs a code; give one word, e.g. cards")
    if any(c.isspace() for c in code):
        raise DomainError(
            f"a department code has no spaces: {code!r}; write it as one word, "
            f"e.g. {'-'.join(code.split())}"
        )
    if len(code) > CODE_MAX:
        raise DomainError(f"a department code has at most {CODE_MAX} characters")


def staff_id_of(actor: str) -> int | None:
    """The staff id behind an audit-trail actor, or None for a customer or the system."""
    tail = actor.removeprefix(_STAFF_ACTOR)
    return int(tail) if tail != actor and tail.isdecimal() else None


@dataclass(frozen=True, slots=True)
class Department:
    code: str
    name: str
    business_types: frozenset[BusinessType] = frozenset()
    is_default: bool = False
    alert_chat: ChatAddress | None = None


def route(departments: list[Department], business_type: BusinessType) -> str | None:
    """The department a new case goes to: the one handling its business type, else the
    default one."""
    for department in departments:
        if business_type in department.business_types:
            return department.code
    default = next((d for d in departments if d.is_default), None)
    return default.code if default else None


def may_handle(staff: StaffMember, case: Case) -> bool:
    """Whether the case is within the staff member's reach."""
    if not staff.active:
        return False
    if staff.role >= Role.SUPERVISOR:
        return True
    if case.department == staff.department:
        return True
    return staff.role == Role.AGENT and case.assignee == str(staff.id)


def may_classify(staff: StaffMember, case: Case) -> bool:
    """Whether the staff member may set how a case within their reach is classified, or
    tag it: its handler (any agent of its department while nobody holds it), a lead of
    its department, a supervisor."""
    return staff.role >= Role.LEAD or case.assignee in (None, str(staff.id))

"""Staff, departments and who may do what to which case.

Roles are ordered: an agent handles cases of their department (and any case assigned
to them); a lead also assigns, decides on suggestions, reopens, extends and may reveal a
customer's contact data; a supervisor sees every department; an admin is a supervisor
who also manages staff.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from core.case import Case
from core.classification import BusinessType
from core.identity import Platform


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
            raise ValueError(f"unknown role {text!r}: agent, lead, supervisor or admin") from None


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


# The least role each command needs.
COMMAND_ROLES: dict[str, Role] = {
    "queue": Role.AGENT,
    "case": Role.AGENT,
    "take": Role.AGENT,
    "note": Role.AGENT,
    "ask": Role.AGENT,
    "resolve": Role.AGENT,
    "stats": Role.AGENT,
    "help": Role.AGENT,
    "assign": Role.LEAD,
    "adopt": Role.LEAD,
    "decline": Role.LEAD,
    "reopen": Role.LEAD,
    "extend": Role.LEAD,
    "reveal": Role.LEAD,
    "link": Role.LEAD,
    "implemented": Role.LEAD,
}


def may_run(staff: StaffMember, command: str) -> bool:
    needed = COMMAND_ROLES.get(command)
    return staff.active and needed is not None and staff.role >= needed


def may_handle(staff: StaffMember, case: Case) -> bool:
    """Whether the case is within the staff member's reach."""
    if not staff.active:
        return False
    if staff.role >= Role.SUPERVISOR:
        return True
    if case.department == staff.department:
        return True
    return staff.role == Role.AGENT and case.assignee == str(staff.id)

"""Staff commands as typed (`/take CP-20261129-0007`) or pressed (`k:take:CP-...`).

Importing this module loads every module that declares commands, so what it answers
covers them all: how a text or a button key parses, and the least role each command
needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from core.cases.numbering import normalize_case_number
from core.desk import (
    answering,
    classifying,
    extending,
    queues,
    reporting,
    self_service,
    suggestions,
    taking,
)
from core.desk.registry import (
    BUTTON_PREFIX,
    Declared,
    StaffCommand,
    declarations,
    declared,
    pressed,
)
from core.desk.staff import Role

# Each declares its commands as it loads.
THEMES = (
    queues,
    taking,
    answering,
    classifying,
    suggestions,
    extending,
    self_service,
    reporting,
)

COMMAND_ROLES: Mapping[str, Role] = MappingProxyType({d.name: d.role for d in declarations()})


def find(name: str) -> Declared | None:
    """The declared staff command of that name, if there is one."""
    return declared(name)


def parse_text(text: str) -> StaffCommand | None:
    text = text.strip()
    if not text.startswith("/"):
        return None
    head, _, rest = text.partition(" ")
    name = head[1:].split("@", 1)[0].casefold()  # /take@BankDeskBot in groups
    rest = rest.strip()
    number = None
    command = declared(name)
    if command is not None and command.on_case:
        first, _, after = rest.partition(" ")
        number = normalize_case_number(first)
        if number is not None:
            rest = after.strip()
    return StaffCommand(name, number, rest)


def parse_button(key: str) -> StaffCommand | None:
    """Desk buttons: `k:WORD:ARGS`, where a command's declaration gives the word and how
    many arguments follow it; a case number comes first for a command about a case."""
    if not key.startswith(BUTTON_PREFIX):
        return None
    word, *args = key[len(BUTTON_PREFIX) :].split(":")
    command = pressed(word)
    if command is None or len(args) != command.pressed_args:
        return None
    if command.on_case:
        return StaffCommand(command.name, normalize_case_number(args[0]), " ".join(args[1:]))
    return StaffCommand(command.name, None, " ".join(args))

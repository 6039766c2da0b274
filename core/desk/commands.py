"""Staff commands as typed (`/take CP-20261129-0007`) or pressed (`k:take:CP-...`)."""

from __future__ import annotations

from dataclasses import dataclass

from core.cases.numbering import normalize_case_number

# Commands whose first argument is a case number.
_WITH_NUMBER = frozenset(
    {
        "case",
        "take",
        "assign",
        "note",
        "ask",
        "resolve",
        "adopt",
        "decline",
        "reopen",
        "extend",
        "reveal",
        "link",
        "implemented",
    }
)
BUTTON_PREFIX = "k:"


@dataclass(frozen=True, slots=True)
class StaffCommand:
    name: str
    number: str | None = None  # the case number, normalised; None if missing or malformed
    rest: str = ""  # what follows it


def parse_text(text: str) -> StaffCommand | None:
    text = text.strip()
    if not text.startswith("/"):
        return None
    head, _, rest = text.partition(" ")
    name = head[1:].split("@", 1)[0].casefold()  # /take@BankDeskBot in groups
    rest = rest.strip()
    number = None
    if name in _WITH_NUMBER:
        first, _, after = rest.partition(" ")
        number = normalize_case_number(first)
        if number is not None:
            rest = after.strip()
    return StaffCommand(name, number, rest)


def parse_button(key: str) -> StaffCommand | None:
    """Desk buttons: k:take:NO, k:view:NO, k:q:KIND:PAGE."""
    if not key.startswith(BUTTON_PREFIX):
        return None
    parts = key[len(BUTTON_PREFIX) :].split(":")
    if len(parts) == 2 and parts[0] in ("take", "view"):
        name = "take" if parts[0] == "take" else "case"
        return StaffCommand(name, normalize_case_number(parts[1]))
    if len(parts) == 3 and parts[0] == "q":
        return StaffCommand("queue", None, f"{parts[1]} {parts[2]}")
    return None


def button(command: str, *args: object) -> str:
    return BUTTON_PREFIX + ":".join([command, *map(str, args)])

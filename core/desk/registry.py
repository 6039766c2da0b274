"""Declaring staff commands: each one is written once, next to its handler.

A handler module declares its commands with `@command` (about the desk in general) or
`@case_command` (about one case, whose number comes first). A declaration names the
command, the least role that may use it, what it needs after the case number and
whether it can be pressed as a button; parsing, permission checks, the help listing
and button keys all read the declarations, so none of them lists commands itself.
`core.desk.commands` loads every handler module and is the one to ask.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.cases.case import Case
from core.desk.staff import Role, StaffMember, may_handle

if TYPE_CHECKING:
    from core.desk.work import Work

BUTTON_PREFIX = "k:"

Handler = Callable[["Work"], Awaitable[None]]
CaseHandler = Callable[["Work", Case], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class StaffCommand:
    """A command as typed or pressed."""

    name: str
    number: str | None = None  # the case number, normalised; None if missing or malformed
    rest: str = ""  # what follows it


Arguments = Callable[[StaffCommand], bool]


def nothing_more(_command: StaffCommand) -> bool:
    return True


def with_text(command: StaffCommand) -> bool:
    """Some words after the case number: a note, a question, a reason, a target."""
    return bool(command.rest)


@dataclass(frozen=True, slots=True)
class Declared:
    """One staff command, as its handler module declared it."""

    name: str
    role: Role  # the least role that may use it
    run: Handler
    on_case: bool = False  # its first argument is a case number
    # The word of its button key (`k:WORD:ARGS`), and how many arguments follow it.
    pressed: str | None = None
    pressed_args: int = 1

    @property
    def help_key(self) -> str:
        """The catalog text that shows how to type it; also the usage when misused."""
        return f"desk.help.{self.name}"

    def may_run(self, staff: StaffMember) -> bool:
        return staff.active and staff.role >= self.role

    def button(self, *args: object) -> str:
        """The key of a button that runs this command with `args`."""
        if self.pressed is None or len(args) != self.pressed_args:
            raise ValueError(f"/{self.name} has no button taking {len(args)} arguments")
        return BUTTON_PREFIX + ":".join([self.pressed, *map(str, args)])


_DECLARED: dict[str, Declared] = {}
_PRESSED: dict[str, Declared] = {}


def _declare(declared: Declared) -> Declared:
    if declared.name in _DECLARED:
        raise ValueError(f"/{declared.name} is declared twice")
    _DECLARED[declared.name] = declared
    if declared.pressed is not None:
        if declared.pressed in _PRESSED:
            raise ValueError(f"button word {declared.pressed!r} is declared twice")
        _PRESSED[declared.pressed] = declared
    return declared


def _button_word(name: str, button: str | bool) -> str | None:
    """`True` presses under the command's own name; a word keeps a shorter, older key."""
    if isinstance(button, str):
        return button
    return name if button else None


def command(
    name: str, *, role: Role = Role.AGENT, button: str | bool = False, button_args: int = 1
) -> Callable[[Handler], Declared]:
    """Declare a command about the desk in general (a queue, the figures, the help)."""

    def declare(handler: Handler) -> Declared:
        pressed = _button_word(name, button)
        return _declare(Declared(name, role, handler, False, pressed, button_args))

    return declare


def case_command(
    name: str,
    *,
    role: Role = Role.AGENT,
    needs: Arguments = nothing_more,
    button: str | bool = False,
    button_args: int = 1,
) -> Callable[[CaseHandler], Declared]:
    """Declare a command about one case. It runs only once the arguments are complete
    (`needs` says what must follow the number) and the case is within the staff
    member's reach; otherwise the staff member hears why. Its button's arguments are
    the case number and, with `button_args` above 1, what follows it."""

    def declare(handler: CaseHandler) -> Declared:
        async def run(work: Work) -> None:
            got = work.command
            if got.number is None or not needs(got):
                work.say("desk.usage", usage=work.text(this.help_key))
                return
            case = await work.uow.cases.get(got.number)
            if case is None or not may_handle(work.staff, case):
                # A case out of reach reads exactly like one that does not exist.
                work.say("desk.no_case", number=got.number)
                return
            await handler(work, case)

        this = Declared(name, role, run, True, _button_word(name, button), button_args)
        return _declare(this)

    return declare


def declarations() -> tuple[Declared, ...]:
    """Every command declared so far, in the order they were declared."""
    return tuple(_DECLARED.values())


def declared(name: str) -> Declared | None:
    return _DECLARED.get(name)


def pressed(word: str) -> Declared | None:
    """The command a button key's word runs."""
    return _PRESSED.get(word)

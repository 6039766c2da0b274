"""The customer's commands, each declared once.

A `Command` says what `/name` does and where else it is offered: in the chat's command
list (Telegram's "/" menu, by `description`), as a button on the greeting (`button`),
in the platform's custom menu (WeChat's, by `menu`), or as a word typed without the
slash (`words`). The channels derive their lists and menus from `COMMANDS`, so a command
added here appears everywhere it is meant to and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.cases.values import CaseType
from core.channel.io import Reply
from core.customers.dialogue import pending
from core.customers.dialogue.effects import (
    Effect,
    ListCases,
    OfferVoucher,
    ShowMyVouchers,
    ShowPoints,
    ShowPrivacy,
    ShowStatus,
    ShowVouchers,
    Turn,
)
from core.customers.dialogue.flow import Context, button_key, language_options
from core.customers.dialogue.state import Awaiting, Dialogue, Pending, Step
from core.messages import LANGUAGES, t

# What a command does with the dialogue and the words after its name.
Action = Callable[[Dialogue, str, Context], Turn]

TYPE = "t"  # the greeting's buttons that start a case: t:complaint, t:suggestion, t:praise
MENU = "m"  # its buttons that look something up: m:status, m:points


@dataclass(frozen=True, slots=True)
class MenuPlace:
    """Where a command sits in a platform's custom menu."""

    key: str  # what the menu's button sends back; kept stable, as menus shown keep it
    group: str | None = None  # message key of the submenu it is under; None: the top level


@dataclass(frozen=True, slots=True)
class Command:
    name: str  # typed as /name
    run: Action
    description: str | None = None  # message key; set: listed in the chat's command list
    label: str | None = None  # message key of its greeting button and menu entry
    button: str | None = None  # key of its button on the greeting
    menu: MenuPlace | None = None
    words: frozenset[str] = frozenset()  # typed alone (casefolded), they do the same

    def __post_init__(self) -> None:
        if (self.button or self.menu) and not self.label:
            raise ValueError(f"/{self.name} has a button or menu entry but no label")


def _start(d: Dialogue, _arg: str, ctx: Context) -> Turn:
    fresh = d.restarted()
    fresh.pending = None  # the menu, not a question left open
    return ctx.ask(fresh)


def _begin(case_type: CaseType) -> Action:
    """Start afresh with that type; a menu left open lapses, with what waited on it."""

    def run(d: Dialogue, _arg: str, ctx: Context) -> Turn:
        fresh = d.restarted()
        fresh.case_type, fresh.step = case_type, Step.BUSINESS
        return ctx.ask(fresh)

    return run


def _look_up(effect: Callable[[str], Effect]) -> Action:
    """An aside: the service answers with what `effect` asks for."""
    return lambda d, arg, ctx: ctx.aside(d, effect(arg))


def _language(d: Dialogue, arg: str, ctx: Context) -> Turn:
    if arg.casefold() in LANGUAGES:
        return ctx.set_language(d, arg.casefold())
    return Turn(d, (Reply(t(d.language, "ask.language"), language_options()),))


def _forget(d: Dialogue, _arg: str, ctx: Context) -> Turn:
    d.pending = Pending(Awaiting.FORGET)
    return Turn(d, (pending.question(d.pending, d.language), *ctx.again(d)))


def _case_type(case_type: CaseType, group: str, menu_key: str) -> Command:
    name = case_type.value
    return Command(
        name,
        _begin(case_type),
        label=f"menu.{name}",
        button=button_key(TYPE, name),
        menu=MenuPlace(menu_key, group),
    )


_FEEDBACK, _MINE = "menu.feedback", "menu.mine"

# In the order the lists and menus show them.
COMMANDS = (
    Command("start", _start, description="command.start"),
    _case_type(CaseType.COMPLAINT, _FEEDBACK, "NEW_COMPLAINT"),
    _case_type(CaseType.SUGGESTION, _FEEDBACK, "NEW_SUGGESTION"),
    _case_type(CaseType.PRAISE, _FEEDBACK, "NEW_PRAISE"),
    Command(
        "status",
        _look_up(lambda arg: ShowStatus(arg) if arg else ListCases()),
        description="command.status",
    ),
    Command(
        "mycases",
        _look_up(lambda _arg: ListCases()),
        description="command.mycases",
        label="menu.status",
        button=button_key(MENU, "status"),
        menu=MenuPlace("MY_CASES"),
    ),
    Command(
        "points",
        _look_up(lambda _arg: ShowPoints()),
        description="command.points",
        label="menu.points",
        button=button_key(MENU, "points"),
        menu=MenuPlace("MY_POINTS", _MINE),
    ),
    Command(
        "redeem",
        _look_up(lambda arg: OfferVoucher(int(arg)) if arg.isdecimal() else ShowVouchers()),
        description="command.redeem",
        label="menu.redeem",
        menu=MenuPlace("REDEEM", _MINE),
    ),
    Command("vouchers", _look_up(lambda _arg: ShowMyVouchers())),
    Command(
        "privacy",
        _look_up(lambda _arg: ShowPrivacy()),
        description="command.privacy",
        label="menu.privacy",
        menu=MenuPlace("PRIVACY", _MINE),
    ),
    Command("forget", _forget),
    Command("language", _language, description="command.language"),
    Command(
        "back",
        lambda d, _arg, ctx: ctx.back(d),
        words=frozenset({"返回", "上一步", "back"}),
    ),
    Command(
        "cancel",
        lambda d, _arg, ctx: ctx.cancel(d),
        description="command.cancel",
        words=frozenset({"取消", "cancel", "退出"}),
    ),
    Command(
        "help",
        lambda d, _arg, ctx: ctx.help(d),
        description="command.help",
        words=frozenset({"帮助", "help", "?", "？"}),
    ),
)

BY_NAME = {c.name: c for c in COMMANDS}
BY_BUTTON = {c.button: c for c in COMMANDS if c.button}
BY_WORD = {w: c for c in COMMANDS for w in c.words}
# What the greeting, the chat's command list and the custom menu show: (key, label key),
# (name, description key) and (name, label key, place).
GREETING = tuple((c.button, c.label) for c in COMMANDS if c.button and c.label)
LISTED = tuple((c.name, c.description) for c in COMMANDS if c.description)
IN_MENU = tuple((c.name, c.label, c.menu) for c in COMMANDS if c.menu and c.label)

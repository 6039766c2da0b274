"""The chats offer the customer commands the dialogue declares, and nothing else:
Telegram's command list, WeChat's custom menu and the greeting's buttons all come from
`core.customers.dialogue.commands.COMMANDS`."""

from __future__ import annotations

from typing import Any

from bots.wechat.convert import to_inbound
from bots.wechat.menu import custom_menu
from core.channel.io import Text
from core.customers.dialogue.commands import COMMANDS
from core.customers.dialogue.engine import prompt
from core.customers.dialogue.flow import DialogueSettings
from core.customers.dialogue.state import Dialogue
from core.messages import DEFAULT_LANGUAGE, LANGUAGES, t
from tests.bots.telegram_support import Desk


async def test_telegram_lists_exactly_the_declared_commands(desk: Desk) -> None:
    declared = [c for c in COMMANDS if c.description is not None]
    assert declared  # the list is not trivially empty
    for language in LANGUAGES:
        code = "" if language == DEFAULT_LANGUAGE else language
        registered = desk.api.commands(language_code=code)
        assert [(c["command"], c["description"]) for c in registered] == [
            (c.name, t(language, c.description or "")) for c in declared
        ]


def _clicks(menu: dict[str, Any]) -> list[dict[str, str]]:
    entries = menu["button"]
    return [sub for e in entries for sub in e.get("sub_button", [e])]


def test_the_wechat_menu_holds_exactly_the_declared_entries() -> None:
    declared = [c for c in COMMANDS if c.menu is not None]
    assert declared
    for language in LANGUAGES:
        clicks = _clicks(custom_menu(language))
        assert [(e["key"], e["name"]) for e in clicks] == [
            (c.menu.key, t(language, c.label or "")) for c in declared if c.menu is not None
        ]
        groups = dict.fromkeys(c.menu.group for c in declared if c.menu is not None)
        submenus = [e["name"] for e in custom_menu(language)["button"] if "sub_button" in e]
        assert submenus == [t(language, g) for g in groups if g is not None]


def test_each_wechat_menu_click_types_its_command() -> None:
    for command in COMMANDS:
        if command.menu is None:
            continue
        fields = {
            "FromUserName": "o-customer",
            "MsgType": "event",
            "Event": "CLICK",
            "EventKey": command.menu.key,
            "CreateTime": "1764000000",
        }
        assert to_inbound(fields, "wx-app").message == Text(f"/{command.name}")


def test_the_greeting_offers_the_declared_buttons() -> None:
    greeting = prompt(Dialogue(), DialogueSettings())
    declared = [c for c in COMMANDS if c.button is not None]
    assert [(o.key, o.label) for o in greeting.options] == [
        (c.button, t(DEFAULT_LANGUAGE, c.label or "")) for c in declared
    ]

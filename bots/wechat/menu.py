"""The Official Account's custom menu: 3 top-level entries at most, 5 items under each.

Its entries are the customer commands that declare a place in a menu
(`core.customers.dialogue.commands`); a click sends back the entry's key, which
`MENU_COMMANDS` turns into the command it stands for.
"""

from __future__ import annotations

from typing import Any

from core.customers.dialogue.commands import IN_MENU
from core.messages import DEFAULT_LANGUAGE, t

# A menu click's key, and what it says to the dialogue.
MENU_COMMANDS = {place.key: f"/{name}" for name, _label, place in IN_MENU}


def custom_menu(language: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """Entries in the commands' order; a submenu stands where its first entry would."""
    buttons: list[dict[str, Any]] = []
    submenus: dict[str, list[dict[str, str]]] = {}
    for _name, label, place in IN_MENU:
        click = {"type": "click", "name": t(language, label), "key": place.key}
        if place.group is None:
            buttons.append(click)
        elif place.group in submenus:
            submenus[place.group].append(click)
        else:
            submenus[place.group] = [click]
            buttons.append({"name": t(language, place.group), "sub_button": submenus[place.group]})
    return {"button": buttons}

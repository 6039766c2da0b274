"""The Official Account's custom menu: 3 top-level entries at most, 5 items under each."""

from __future__ import annotations

from typing import Any

from core.messages import DEFAULT_LANGUAGE, t


def custom_menu(language: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    def click(label_key: str, event_key: str) -> dict[str, str]:
        return {"type": "click", "name": t(language, label_key), "key": event_key}

    return {
        "button": [
            {
                "name": t(language, "menu.feedback"),
                "sub_button": [
                    click("menu.complaint", "NEW_COMPLAINT"),
                    click("menu.suggestion", "NEW_SUGGESTION"),
                    click("menu.praise", "NEW_PRAISE"),
                ],
            },
            click("menu.status", "MY_CASES"),
            {
                "name": t(language, "menu.mine"),
                "sub_button": [
                    click("menu.points", "MY_POINTS"),
                    click("menu.redeem", "REDEEM"),
                    click("menu.privacy", "PRIVACY"),
                ],
            },
        ]
    }

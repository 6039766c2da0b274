"""Core replies as the web channel stores and sends them: text, options as buttons with
their keys, the case they concern. The web never splits a text and has no "share my
phone" button: the customer types the number."""

from __future__ import annotations

from typing import Any

from core.channel.io import Reply
from storage.web import StoredMessage


def body(reply: Reply, case_number: str | None = None, resume: str | None = None) -> dict[str, Any]:
    """What is stored for one reply; `resume` is the link a confirmation carries."""
    stored: dict[str, Any] = {
        "text": reply.text,
        "options": [{"key": o.key, "label": o.label} for o in reply.options],
    }
    number = case_number or reply.filed
    if number is not None:
        stored["case_number"] = number
    if resume is not None:
        stored["resume"] = resume
    return stored


def as_json(message: StoredMessage) -> dict[str, Any]:
    return {"id": message.id, **message.body}

"""The greeting promises the deadlines the bank configured, not fixed numbers."""

from __future__ import annotations

from core.customers.dialogue.engine import prompt
from core.customers.dialogue.flow import DialogueSettings
from core.customers.dialogue.state import Dialogue


def test_the_greeting_states_the_configured_deadlines() -> None:
    settings = DialogueSettings(complaint_days=2, suggestion_days=7)
    chinese = prompt(Dialogue(), settings).text
    assert "投诉2个工作日内、建议7个工作日内答复" in chinese
    english = prompt(Dialogue(language="en"), settings).text
    assert "complaints within 2 working days and suggestions within 7" in english
    assert "{" not in chinese + english

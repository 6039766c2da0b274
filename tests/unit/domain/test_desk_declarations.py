"""Staff commands are declared once; parsing, roles, buttons and help derive from that."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import core.desk
from core.desk.commands import COMMAND_ROLES, find, parse_button, parse_text
from core.desk.registry import command, declarations
from core.desk.staff import Role
from core.messages import CATALOGS

DESK = Path(core.desk.__file__).parent
NUMBER = "CP-20261129-0007"


def test_every_staff_command_name_is_written_once_in_the_desk() -> None:
    sources = [p.read_text(encoding="utf-8") for p in sorted(DESK.glob("*.py"))]
    names = [d.name for d in declarations()]
    assert len(names) == len(set(names)) and names
    for name in names:
        written = sum(len(re.findall(rf"[\"']{name}[\"']", s)) for s in sources)
        assert written == 1, name


def test_declaring_a_name_twice_is_refused() -> None:
    async def again(_work: object) -> None:
        pass

    with pytest.raises(ValueError, match="declared twice"):
        command(declarations()[0].name)(again)


def test_roles_come_from_the_declarations() -> None:
    assert dict(COMMAND_ROLES) == {d.name: d.role for d in declarations()}
    assert COMMAND_ROLES["take"] is Role.AGENT and COMMAND_ROLES["extend"] is Role.LEAD


@pytest.mark.parametrize("language", sorted(CATALOGS))
def test_every_declared_command_has_its_help_text(language: str) -> None:
    for declared in declarations():
        assert declared.help_key in CATALOGS[language], (language, declared.name)


def test_typed_commands_take_a_case_number_as_declared() -> None:
    for declared in declarations():
        parsed = parse_text(f"/{declared.name}@BankDeskBot {NUMBER.lower()} more words")
        assert parsed is not None and parsed.name == declared.name
        if declared.on_case:
            assert (parsed.number, parsed.rest) == (NUMBER, "more words")
        else:
            assert (parsed.number, parsed.rest) == (None, f"{NUMBER.lower()} more words")
    undeclared = parse_text(f"/frobnicate {NUMBER}")
    assert undeclared is not None and undeclared.number is None and find("frobnicate") is None


def test_pressed_commands_round_trip_through_their_button_keys() -> None:
    pressable = [d for d in declarations() if d.pressed is not None]
    assert {d.name for d in pressable} == {"case", "take", "queue", "classify", "channel"}
    for declared in pressable:
        args = [NUMBER, *range(1, declared.pressed_args)] if declared.on_case else ["dept", 2]
        parsed = parse_button(declared.button(*args))
        assert parsed is not None and parsed.name == declared.name
    # Keys already sent keep working: the older words stay.
    assert parse_button(f"k:view:{NUMBER}") == parse_text(f"/case {NUMBER}")
    assert parse_button("k:q:overdue:3") == parse_text("/queue overdue 3")
    # A cause or a channel is pressed by its number in the list, as typed on WeChat.
    assert parse_button(f"k:classify:{NUMBER}:3") == parse_text(f"/classify {NUMBER} 3")
    for key in (f"k:note:{NUMBER}", f"k:take:{NUMBER}:extra", "k:q:dept", "take:x"):
        assert parse_button(key) is None, key

"""Logs are JSON lines, and personal data that slips into them is masked."""

from __future__ import annotations

import json
import logging

from intake.logs import JsonFormatter, redact


def format_record(message: str, *args: object, **extra: object) -> dict[str, object]:
    record = logging.makeLogRecord(
        {"name": "intake.test", "levelname": "INFO", "msg": message, "args": args, **extra}
    )
    return json.loads(JsonFormatter().format(record))


def test_a_record_is_one_json_object_with_its_extra_fields() -> None:
    entry = format_record("case %s filed", "CP-20261102-0001", case="CP-20261102-0001")
    assert entry["msg"] == "case CP-20261102-0001 filed"
    assert entry["case"] == "CP-20261102-0001"
    assert entry["level"] == "info" and entry["logger"] == "intake.test"


def test_phone_numbers_and_emails_are_masked_everywhere() -> None:
    entry = format_record(
        "call %s or %s", "13812348000", "zhang.san@example.com", contact="+86 13912345678"
    )
    assert entry["msg"] == "call 138****8000 or z***@example.com"
    assert entry["contact"] == "+86 139****5678"
    assert "13812348000" not in json.dumps(entry)


def test_case_numbers_and_ids_are_left_alone() -> None:
    assert redact("CP-20261102-0001 user 5123456789") == "CP-20261102-0001 user 5123456789"

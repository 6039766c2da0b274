"""What the webhooks must answer to each kind of generated input (see `fuzz.inputs`)."""

from __future__ import annotations

from fuzz.inputs import Input
from fuzz.targets import Answer

RECEIVED = 200


def problems(item: Input, answer: Answer, *, wechat: bool) -> list[str]:
    """Everything wrong with the answer; empty when it is the deliberate one."""
    found = []
    if answer.status >= 500:
        found.append(f"crashed: {answer.status}")
    if item.kind in ("not_json", "not_xml"):
        expected: tuple[int, ...] = (400, 413)
    elif item.kind == "forged":
        expected = (403,)
    else:
        expected = (RECEIVED,)
    if answer.status not in expected:
        found.append(f"answered {answer.status}, not {' or '.join(map(str, expected))}")
    if item.kind == "valid" and answer.rejected:
        found.append("a valid input was rejected")
    if item.kind == "malformed" and not answer.rejected:
        found.append("a malformed input was not rejected")
    if (answer.rejected or answer.status != RECEIVED) and answer.rows_added:
        found.append(f"stored {answer.rows_added} row(s) for an input it did not handle")
    if wechat and answer.rejected and answer.body != b"success":
        found.append("a rejected WeChat message was not answered `success`")
    return found

"""What no customer or staff member should read: the codes the service works with.

Audit-trail actors (`staff:1`, `customer:telegram:1001`), enum values (`in_progress`,
`debit_card`), department codes and staff ids where a name belongs, media kinds and
storage markers. The bot doubles' fixtures run every message a test made the service
send through `internal_codes`, so each end-to-end test checks it as a side effect.
"""

from __future__ import annotations

import re
from enum import StrEnum

from core.cases.classification import BusinessType, Cause, Channel
from core.cases.values import ERASED, CaseStatus, CaseType, Decision, Priority
from core.chasing.rules import AlertKind
from core.rewards.ledger import RewardReason

_ENUMS: tuple[type[StrEnum], ...] = (
    CaseStatus,
    CaseType,
    Decision,
    Priority,
    AlertKind,
    BusinessType,
    Cause,
    Channel,
    RewardReason,
)
# Values with an underscore never occur in prose; plain words ("complaint") may.
_CODED_VALUES = sorted({v.value for e in _ENUMS for v in e if "_" in v.value}, key=len)
_PATTERNS = [
    re.compile(r"\b(?:staff|customer|system):[\w:-]+"),
    re.compile(r"(?<![\w/])(?:" + "|".join(map(re.escape, reversed(_CODED_VALUES))) + r")\b"),
    # A code where a department's or a person's name belongs.
    re.compile(r"(?:部门|Department)[：:]\s*[a-z][a-z0-9_-]*(?=[，,\s]|$)"),
    re.compile(r"(?:处理人|handler)[：:]\s*\d+\b"),
    re.compile(r"\((?:photo|document|voice|video)\)"),
    re.compile(re.escape(ERASED)),
]


def internal_codes(text: str) -> list[str]:
    """The internal codes found in a text meant for people."""
    return [m.group(0) for pattern in _PATTERNS for m in pattern.finditer(text)]

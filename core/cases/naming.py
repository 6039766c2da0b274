"""What a case type is called in each language, for every text that names a case."""

from __future__ import annotations

from core.cases.values import CaseType
from core.messages import t


def type_name(language: str, case_type: CaseType) -> str:
    """ "complaint", "投诉"... as the language writes it in running text."""
    return t(language, f"type.{case_type.value}")

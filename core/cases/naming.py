"""What a case type, a cause and a channel are called in each language, for every text
that names them (never their stored codes)."""

from __future__ import annotations

from core.cases.classification import Cause, Channel
from core.cases.values import CaseType
from core.messages import t


def type_name(language: str, case_type: CaseType) -> str:
    """ "complaint", "投诉"... as the language writes it in running text."""
    return t(language, f"type.{case_type.value}")


def cause_name(language: str, cause: Cause) -> str:
    """A JR/T 0169 cause (axis C) in words."""
    return t(language, f"cause.{cause.value}")


def channel_name(language: str, channel: Channel) -> str:
    """A JR/T 0169 channel (axis A, where the business happened) in words."""
    return t(language, f"channel.{channel.value}")

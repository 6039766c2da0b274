"""Reward points: an append-only ledger per customer; the balance is the sum."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from core.identity import CustomerId


class RewardReason(StrEnum):
    PRAISE_FILED = "praise_filed"
    SUGGESTION_FILED = "suggestion_filed"
    SUGGESTION_ADOPTED = "suggestion_adopted"
    SURVEY_ANSWERED = "survey_answered"


@dataclass(frozen=True, slots=True)
class RewardEntry:
    customer: CustomerId
    points: int
    reason: RewardReason
    case_number: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class RewardPolicy:
    """Points per reason; each reason pays out at most once per case."""

    praise_filed: int = 10
    suggestion_filed: int = 10
    suggestion_adopted: int = 50
    survey_answered: int = 5

    def points(self, reason: RewardReason) -> int:
        return int(getattr(self, reason.value))

"""Reward points: an append-only ledger per customer; the balance is the sum.

Points are earned for feedback (one entry per reason and case) and spent on gift vouchers
(a negative entry per voucher, see `core.rewards.vouchers`).
"""

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
    VOUCHER_REDEEMED = "voucher_redeemed"  # points spent: negative, and no case


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
        """What `reason` earns; 0 for a reason nothing is paid for (spending points)."""
        return int(getattr(self, reason.value, 0))

"""Crediting reward points and telling the customer, inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from core.identity import CustomerId
from core.messages import t
from core.ports import UnitOfWork
from core.rewards.ledger import RewardPolicy, RewardReason


async def reward(
    uow: UnitOfWork,
    policy: RewardPolicy,
    *,
    customer: CustomerId,
    reason: RewardReason,
    case_number: str,
    language: str,
    now: datetime,
) -> str | None:
    """Credit the points for `reason` once per case; the text telling the customer, or
    None when nothing was credited (no points for it, or credited before)."""
    points = policy.points(reason)
    if points <= 0 or not await uow.rewards.award(customer, reason, points, case_number, now):
        return None
    balance = await uow.rewards.balance(customer)
    return t(
        language,
        "rewards.awarded",
        points=points,
        balance=balance,
        reason=t(language, f"reward.{reason.value}"),
    )

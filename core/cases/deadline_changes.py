"""A case's deadlines as they change: postponed, counted again, extended."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from core.cases.record import CaseRecord
from core.cases.values import (
    LEGAL_DAYS,
    LEGAL_MAX_DAYS,
    LEGAL_SENIOR_MAX_DAYS,
    DueBasis,
    Extension,
    require_aware,
)
from core.errors import DomainError, ExtensionRefused


class DeadlineChanges(CaseRecord):
    """The bank's deadline moved later (never past the legal ceiling), a provisional one
    counted again once its year is known, and the legal ceiling extended within what the
    regulation allows."""

    @property
    def due_provisional_year(self) -> int | None:
        """The year without official calendar data that the bank's deadline was counted
        through: the deadline is provisional until that year is known."""
        return self.due_basis.provisional_year if self.due_basis else None

    def _provisional_note(self) -> dict[str, Any]:
        year = self.due_provisional_year
        return {"provisional_year": year} if year is not None else {}

    def postpone(
        self,
        *,
        due_at: datetime,
        reason: str,
        actor: str,
        now: datetime,
        due_basis: DueBasis | None = None,
    ) -> None:
        """A later deadline for the bank's answer, never past the legal ceiling."""
        self._require_open("postpone")
        require_aware(due_at)
        if not reason.strip():
            raise DomainError("a new deadline needs a reason", key="refusal.no_text")
        if due_at <= self.due_at:
            raise DomainError(
                "the new deadline must be later than the current one", key="refusal.not_later"
            )
        if due_at > self.legal_due_at:
            raise ExtensionRefused(
                "the deadline may not pass the legal ceiling",
                key="refusal.past_ceiling",
                number=self.number,
            )
        self._change(actor, now, "postponed", note=reason, due_at=due_at, due_basis=due_basis)

    def recount_deadline(
        self,
        *,
        due_at: datetime,
        due_basis: DueBasis,
        legal_due_at: datetime,
        actor: str,
        now: datetime,
    ) -> None:
        """A provisional deadline counted again, now that its year's calendar is known."""
        require_aware(due_at)
        require_aware(legal_due_at)
        if self.due_provisional_year is None:
            raise DomainError(f"case {self.number} has no provisional deadline")
        # The promise follows the recount unless the deadline was extended since: the
        # extension was granted against the first count, which stays the promise.
        promised = due_at if self.original_due_at == self.due_at else self.original_due_at
        self._change(
            actor,
            now,
            "deadline_recounted",
            due_at=due_at,
            due_basis=due_basis,
            legal_due_at=legal_due_at,
            original_due_at=promised,
        )

    def extend(
        self,
        *,
        days: int,
        reason: str,
        approver: str,
        senior_approval: bool,
        actor: str,
        now: datetime,
        legal_due_at: datetime | None = None,
    ) -> Extension:
        """Push the legal ceiling out, within what the regulation allows. `legal_due_at`
        is the new ceiling as the calendar counts it (a last day on a holiday moves);
        without it, the total in calendar days after receipt."""
        self._require_open("extend")
        if days <= 0:
            raise ExtensionRefused(
                "an extension needs a positive number of days", key="refusal.positive_days"
            )
        if not reason.strip() or not approver.strip():
            raise ExtensionRefused(
                "an extension needs a reason and an approver", key="refusal.no_text"
            )
        total = self.legal_days + days
        ceiling = LEGAL_SENIOR_MAX_DAYS if senior_approval else LEGAL_MAX_DAYS
        if total > ceiling:
            raise ExtensionRefused(
                f"the legal deadline may reach at most {ceiling} days after receipt"
                + ("" if senior_approval else " without senior approval"),
                key="refusal.legal_max" if senior_approval else "refusal.legal_max_lead",
                number=self.number,
                ceiling=ceiling,
                senior=LEGAL_SENIOR_MAX_DAYS,
            )
        extension = Extension(days, reason, approver, senior_approval, now)
        self._change(
            actor,
            now,
            "extended",
            note=reason,
            extensions=[*self.extensions, extension],
            legal_due_at=legal_due_at or self.received_at + timedelta(days=total),
        )
        return extension

    @property
    def legal_days(self) -> int:
        """Calendar days the regulation gives, with the extensions granted so far."""
        return LEGAL_DAYS + sum(e.days for e in self.extensions)

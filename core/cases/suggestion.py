"""What happens to a suggestion beyond the common path: decided, linked, implemented."""

from __future__ import annotations

from datetime import datetime

from core.cases.record import CaseRecord
from core.cases.values import CaseStatus, CaseType, Decision
from core.errors import DomainError


class SuggestionChanges(CaseRecord):
    """Adopting or declining a suggestion, handling it with a related one, and "you said,
    we did" once an adopted one is put into practice."""

    def decide(self, decision: Decision, *, result: str, actor: str, now: datetime) -> None:
        """Adopt or decline a suggestion; the decision is its answer to the customer."""
        if self.type is not CaseType.SUGGESTION:
            raise DomainError(
                f"case {self.number} is not a suggestion",
                key="refusal.not_suggestion",
                number=self.number,
            )
        if not result.strip():
            raise DomainError(
                "a decision needs the text the customer will receive", key="refusal.no_text"
            )
        self._move(
            CaseStatus.RESOLVED,
            actor,
            now,
            decision.value,
            note=result,
            decision=decision,
            resolution=result,
            resolved_at=now,
        )

    def link_to(self, other: CaseRecord, *, actor: str, now: datetime) -> None:
        """Handle this suggestion with a related one: its customer hears what comes of it."""
        if self.type is not CaseType.SUGGESTION or other.type is not CaseType.SUGGESTION:
            raise DomainError("only suggestions are linked", key="refusal.link_suggestions_only")
        if other.number == self.number or other.linked_to is not None:
            raise DomainError(
                f"link to the suggestion {other.number} is itself linked to",
                key="refusal.link_to_linked",
                other=other.number,
                main=other.linked_to or other.number,
            )
        # A linked suggestion is decided with the one it joins: its customer must not have
        # heard a decision of its own already, and must not hear a contrary one later.
        if self.decision is not None or not self.status.is_open:
            raise DomainError(
                f"case {self.number} is already answered: it cannot be linked",
                key="refusal.link_answered",
                number=self.number,
            )
        if self.linked_to is not None:
            raise DomainError(
                f"case {self.number} is already linked to {self.linked_to}",
                key="refusal.already_linked",
                number=self.number,
                main=self.linked_to,
            )
        if other.decision is Decision.DECLINED:
            raise DomainError(
                f"{other.number} was declined: decide on {self.number} itself",
                key="refusal.link_to_declined",
                number=self.number,
                other=other.number,
            )
        self._change(actor, now, "linked", linked_to=other.number)

    def implement(self, *, what_changed: str, actor: str, now: datetime) -> None:
        """An adopted suggestion was put into practice: "you said, we did"."""
        if self.decision is not Decision.ADOPTED:
            raise DomainError(
                f"case {self.number} is not an adopted suggestion",
                key="refusal.not_adopted",
                number=self.number,
            )
        if self.implemented_at is not None:
            raise DomainError(
                f"case {self.number} was already marked implemented",
                key="refusal.already_implemented",
                number=self.number,
            )
        if not what_changed.strip():
            raise DomainError("say what changed", key="refusal.no_text")
        self._change(actor, now, "implemented", note=what_changed, implemented_at=now)

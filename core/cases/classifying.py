"""How staff classify a case the way the regulator counts it, and merge a repeat.

The JR/T 0169 cause (axis C) and the channel where the business happened (axis A) are
set or corrected by staff, free tags added and removed, all audited; a complaint is
answered only once its cause is known. A complaint the same customer repeats on the same
matter is merged into the earlier case (the 2020 measures allow it): it is finished,
names the earlier case in `merged_into`, and the figures count the two once.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from core.cases.classification import Cause, Channel
from core.cases.record import CaseRecord
from core.cases.values import TAG_MAX, CaseStatus, CaseType
from core.errors import DomainError


class ClassificationChanges(CaseRecord):
    """The cause, the channel and the tags of a case, and merging it into an earlier one."""

    @property
    def needs_cause(self) -> bool:
        """A complaint without a cause cannot be answered: the regulator counts
        complaints by cause."""
        return self.type is CaseType.COMPLAINT and self.classification.cause is None

    def require_cause(self) -> None:
        if self.needs_cause:
            raise DomainError(
                f"complaint {self.number} has no cause: classify it first",
                key="refusal.no_cause",
                number=self.number,
            )

    def classify(self, *, cause: Cause, actor: str, now: datetime) -> bool:
        """Set the cause; False when it already was this one (nothing to record)."""
        if self.classification.cause is cause:
            return False
        self._change(
            actor, now, "classified", classification=replace(self.classification, cause=cause)
        )
        return True

    def correct_channel(self, channel: Channel, *, actor: str, now: datetime) -> bool:
        """Correct where the business happened; False when it already was there."""
        if self.classification.channel is channel:
            return False
        self._change(
            actor,
            now,
            "channel_corrected",
            classification=replace(self.classification, channel=channel),
        )
        return True

    def tag(self, label: str, *, actor: str, now: datetime) -> bool:
        """Add a free tag; False when the case already has it."""
        label = tag_label(label)
        if label in self.tags:
            return False
        self._change(actor, now, "tagged", note=label, tags=[*self.tags, label])
        return True

    def untag(self, label: str, *, actor: str, now: datetime) -> bool:
        """Remove a free tag; False when the case does not have it."""
        label = tag_label(label)
        if label not in self.tags:
            return False
        self._change(actor, now, "untagged", note=label, tags=[t for t in self.tags if t != label])
        return True

    def merge_into(self, earlier: CaseRecord, *, actor: str, now: datetime) -> None:
        """Join this repeated case to the earlier one of the same customer on the same
        matter, which is still being worked on or was answered. Both trails record it;
        a case merged already, like any case no longer worked on, cannot move to merged."""
        about = {"number": self.number, "other": earlier.number}
        if earlier.number == self.number:
            raise DomainError(f"{self.number} cannot merge into itself", key="refusal.merge_self")
        if earlier.merged_into is not None:
            raise DomainError(
                f"{earlier.number} was itself merged into {earlier.merged_into}",
                key="refusal.merge_into_merged",
                other=earlier.number,
                main=earlier.merged_into,
            )
        if earlier.customer != self.customer:
            raise DomainError(
                f"{self.number} and {earlier.number} are not the same customer's",
                key="refusal.merge_other_customer",
                **about,
            )
        if earlier.type is not self.type:
            raise DomainError(
                f"{self.number} and {earlier.number} are not of the same type",
                key="refusal.merge_other_type",
                **about,
            )
        if earlier.received_at > self.received_at:
            raise DomainError(
                f"{earlier.number} came after {self.number}: merge the later one",
                key="refusal.merge_into_later",
                **about,
            )
        if not (earlier.status.is_open or earlier.status is CaseStatus.RESOLVED):
            raise DomainError(
                f"{earlier.number} is {earlier.status.value}: nothing to merge into",
                key="refusal.merge_into_finished",
                other=earlier.number,
                status=earlier.status.value,
            )
        self._move(
            CaseStatus.MERGED,
            actor,
            now,
            "merged",
            note=earlier.number,
            merged_into=earlier.number,
            closed_at=now,
        )
        earlier._record(actor, now, "merged_in", {}, {"merged": self.number}, note=self.number)


def tag_label(text: str) -> str:
    """A tag as kept: its words with single spaces; refused when empty or too long."""
    label = " ".join(text.split())
    if not label:
        raise DomainError("a tag needs a label", key="refusal.no_text")
    if len(label) > TAG_MAX:
        raise DomainError(
            f"a tag has at most {TAG_MAX} characters", key="refusal.tag_too_long", max=TAG_MAX
        )
    return label

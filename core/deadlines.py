"""How long the bank gives itself for each kind of case, in working days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.calendar import WorkingCalendar
from core.case import CaseType


@dataclass(frozen=True, slots=True)
class DeadlinePolicy:
    """The bank's own targets; the legal ceiling is enforced by the case itself."""

    complaint_days: int = 3
    suggestion_days: int = 5
    praise_days: int = 5

    def working_days(self, case_type: CaseType) -> int:
        return {
            CaseType.COMPLAINT: self.complaint_days,
            CaseType.SUGGESTION: self.suggestion_days,
            CaseType.PRAISE: self.praise_days,
        }[case_type]

    def due_at(
        self, calendar: WorkingCalendar, case_type: CaseType, received_at: datetime
    ) -> datetime:
        return calendar.add_working_days(received_at, self.working_days(case_type))

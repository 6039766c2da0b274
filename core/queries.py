"""What the ports are asked for beyond single cases: work queues and figures, within a
staff member's scope (the desk's queue and stats, the scheduler's morning digest)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.desk.staff import Role, StaffMember


class QueueKind(StrEnum):
    MINE = "mine"
    DEPT = "dept"
    UNASSIGNED = "unassigned"
    OVERDUE = "overdue"


@dataclass(frozen=True, slots=True)
class Scope:
    """Cases of `department` or assigned to `assignee`; both None: every case."""

    department: str | None
    assignee: str | None

    @classmethod
    def of(cls, staff: StaffMember) -> Scope:
        if staff.role >= Role.SUPERVISOR:
            return cls(None, None)
        return cls(staff.department, str(staff.id))


@dataclass(frozen=True, slots=True)
class Figures:
    received_today: int
    open: int
    overdue: int
    resolved_this_month: int
    resolved_on_time_this_month: int
    rated_this_month: int  # satisfaction surveys answered
    satisfied_this_month: int  # of them, rated 3 or more


@dataclass(frozen=True, slots=True)
class DailyFigures:
    """One department's morning digest."""

    new: int
    open: int
    due_today: int
    overdue: int

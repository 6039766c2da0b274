"""Domain errors: refusals the core raises instead of applying a change."""

from __future__ import annotations


class DomainError(Exception):
    """A request the domain refuses; the message is safe to show to staff."""


class IllegalTransition(DomainError):
    """A status change the case's state machine does not allow."""

    def __init__(self, number: str, current: str, target: str) -> None:
        super().__init__(f"case {number}: cannot go from '{current}' to '{target}'")
        self.number = number
        self.current = current
        self.target = target


class CaseNotFound(DomainError):
    """No case with that number (or none the asker may see)."""

    def __init__(self, number: str) -> None:
        super().__init__(f"no case {number}")
        self.number = number


class ConcurrentUpdate(DomainError):
    """Someone else changed the case since it was read; reload and try again."""

    def __init__(self, number: str) -> None:
        super().__init__(f"case {number} was changed by someone else; reload and try again")
        self.number = number


class UnknownCalendarYear(DomainError):
    """The working-day calendar has no data for a year a deadline falls into."""

    def __init__(self, year: int) -> None:
        super().__init__(
            f"no working-day calendar for {year}; add that year's holidays and make-up "
            f"working days to the calendar file (see calendars/README.md)"
        )
        self.year = year


class ExtensionRefused(DomainError):
    """An extension of the legal deadline beyond what the regulation allows."""

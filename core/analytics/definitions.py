"""The definitions of the bank's figures, in one place (README: "Figures and reports").

- **received**: cases received in the period (by their receipt in bank time); per
  month, over the months the period covers (a month cut short counts as its share).
- **on time**: the cases answered in the period plus the cases whose promised deadline
  fell in the period and that are still unanswered when the report is made (open cases
  count as late: leaving a case open never helps the rate); the share of them answered
  by the promised deadline. The promise is the bank's deadline as set when the case was
  filed or reopened (`Case.original_due_at`): an approved extension moves the deadline
  the customer is given, never the one this figure compares with. Withdrawn cases are
  not counted. A late case answered in a later period moves to that period's figure.
- **time to answer**: working days (Chinese calendar, `core.cases.calendar`) from the
  day of receipt to the day of the answer, for the cases answered in the period: the
  median and the 90th percentile, by nearest rank (the smallest number of working days
  within which at least half, or 90 %, of the answers were given).
- **satisfied**: among the surveys answered in the period, the share of satisfied
  ratings; by default 4 and 5 of 5 (CSAT's top-two-box), `INTAKE_SATISFIED_FROM=3`
  counts 3 (基本满意) too. A reopened case counts with its latest rating only.
- **response rate**: among the cases answered in the period (each answer asks for a
  rating), the share whose survey has been answered.
- **adopted**: among the suggestions decided in the period, the share adopted;
  **implemented**: adopted suggestions put into practice in the period; **announced**:
  customers told so ("you said, we did").
- **reopen rate**: among the cases answered in the period, the share answered again
  after a reopening.
- **extensions**: cases whose bank deadline (`postponed`) or legal ceiling (`legal`)
  was extended in the period; **legal-ceiling breaches**: cases answered in the period
  after their legal ceiling, plus open cases whose ceiling passed in the period.
- **repeat complainants**: customers with two or more complaints received in the period
  (customers who asked to be forgotten share one identity and are left out).
- **overdue now**: open cases past their current deadline at the report's moment.

A case merged into an earlier one (same customer, same matter) is counted once, as the
earlier case. A rate is a fraction from 0 to 1, or None when nothing was counted.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from core.analytics.counting import day_of
from core.cases.calendar import WorkingCalendar
from core.cases.values import SATISFACTION_MAX, SATISFACTION_MIN

# The bank's scheme: its four targets.
TARGET_RECEIVED_PER_MONTH = 200
TARGET_ON_TIME = 0.9
TARGET_SATISFIED = 0.85
TARGET_ADOPTED = 0.5

DEFAULT_SATISFIED_FROM = 4  # top-two-box on a 1-5 scale
_DIGITS = 4


@dataclass(frozen=True, slots=True)
class SatisfactionDefinition:
    """Which ratings count as satisfied: `satisfied_from` up to the top of the scale."""

    satisfied_from: int = DEFAULT_SATISFIED_FROM

    def __post_init__(self) -> None:
        if not SATISFACTION_MIN <= self.satisfied_from <= SATISFACTION_MAX:
            raise ValueError(
                f"satisfied ratings start between {SATISFACTION_MIN} and {SATISFACTION_MAX}"
            )

    def satisfied(self, ratings: Mapping[int, int]) -> int:
        """How many of these ratings (score -> surveys) count as satisfied."""
        return sum(n for score, n in ratings.items() if score >= self.satisfied_from)

    @property
    def text(self) -> str:
        """What the report says it counted: 'ratings 4-5 of 5 (top-two-box)'."""
        top = SATISFACTION_MAX - self.satisfied_from + 1
        if top == 1:
            return f"ratings {SATISFACTION_MAX} of {SATISFACTION_MAX} (top box)"
        boxes = {2: "top-two-box", 3: "top-three-box"}.get(top, f"top-{top}-box")
        return f"ratings {self.satisfied_from}-{SATISFACTION_MAX} of {SATISFACTION_MAX} ({boxes})"


def rate(part: int, whole: int) -> float | None:
    """part / whole, or None when nothing was counted."""
    return part / whole if whole else None


def rounded(value: float | None) -> float | None:
    """A rate or average as the report shows it: enough digits to tell 89.99 % from 90 %."""
    return None if value is None else round(value, _DIGITS)


def met(value: float | None, target: float) -> bool | None:
    """Whether a figure reached its target; None when it could not be measured."""
    return None if value is None else value >= target


def working_days_taken(
    calendar: WorkingCalendar,
    answer_days: Mapping[tuple[int, int], int],
    known: dict[tuple[int, int], int] | None = None,
) -> Counter[int]:
    """The histogram of (received day, answered day) -> answers turned into working
    days taken -> answers: the working days after the day of receipt up to and with the
    day of the answer (an answer on the day of receipt took 0). `known` keeps the pairs
    of days already counted, for a report that reads the same pairs for every group."""
    known = {} if known is None else known
    taken: Counter[int] = Counter()
    for pair, answers in answer_days.items():
        days = known.get(pair)
        if days is None:
            days = calendar.working_days_between(day_of(pair[0]), day_of(pair[1]))
            known[pair] = days
        taken[days] += answers
    return taken


def percentile(histogram: Mapping[int, int], share: float) -> int | None:
    """Nearest rank: the smallest value at or below which at least `share` of the
    counted items lie; None for an empty histogram."""
    total = sum(histogram.values())
    if total == 0:
        return None
    rank, seen = max(1, math.ceil(share * total)), 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    raise AssertionError("unreachable: the ranks add up to the total")


def ratings_of(counts: Iterable[int]) -> dict[int, int]:
    """Counts in score order (1, 2, ...) as score -> count."""
    return {SATISFACTION_MIN + i: n for i, n in enumerate(counts)}

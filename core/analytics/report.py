"""A period's figures, with the previous period and the same period a year earlier.

`figures_report` asks the database for the counts of the three periods at once and
reads them by the definitions in `core.analytics.definitions`; `Report.as_json` is the
object `intake report --json` prints (its keys are listed in the README).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from core.analytics.counting import (
    CaseCounts,
    Counted,
    CountRequest,
    FigureSource,
    GroupCounts,
    Repeats,
)
from core.analytics.definitions import (
    TARGET_ADOPTED,
    TARGET_ON_TIME,
    TARGET_RECEIVED_PER_MONTH,
    TARGET_SATISFIED,
    SatisfactionDefinition,
    met,
    percentile,
    rate,
    ratings_of,
    rounded,
    working_days_taken,
)
from core.analytics.periods import Period
from core.cases.calendar import WorkingCalendar
from core.problems.grouping import Problem


def group_figures(
    counts: CaseCounts,
    *,
    calendar: WorkingCalendar,
    satisfaction: SatisfactionDefinition,
    known_days: dict[tuple[int, int], int] | None = None,
) -> dict[str, Any]:
    """The figures of one group of cases in one period, by the definitions
    (`known_days`: see `working_days_taken`)."""
    counted = counts.answered + counts.late_open
    ratings = ratings_of(counts.ratings)
    rated = sum(ratings.values())
    satisfied = satisfaction.satisfied(ratings)
    taken = working_days_taken(calendar, counts.answer_days, known_days)
    return {
        "received": counts.received,
        "on_time": {
            "rate": rounded(rate(counts.answered_on_time, counted)),
            "answered": counts.answered,
            "on_time": counts.answered_on_time,
            "late_open": counts.late_open,
        },
        "time_to_answer": {
            "answered": sum(taken.values()),
            "median_working_days": percentile(taken, 0.5),
            "p90_working_days": percentile(taken, 0.9),
        },
        "satisfied": {
            "rate": rounded(rate(satisfied, rated)),
            "answered": rated,
            "satisfied": satisfied,
            "definition": satisfaction.text,
            "ratings": {str(score): n for score, n in ratings.items()},
        },
        "response_rate": {
            "rate": rounded(rate(counts.answered_rated, counts.answered)),
            "answered": counts.answered,
            "rated": counts.answered_rated,
        },
        "adopted": {
            "rate": rounded(rate(counts.adopted, counts.decided)),
            "decided": counts.decided,
            "adopted": counts.adopted,
            "implemented": counts.implemented,
            "announced": counts.announced,
        },
        "reopened": {
            "rate": rounded(rate(counts.answered_reopened, counts.answered)),
            "answered": counts.answered,
            "reopened": counts.answered_reopened,
        },
        "extensions": {"postponed": counts.postponed, "legal": counts.legal_extended},
        "legal_breaches": counts.legal_breaches,
    }


def targets(period: Period, figures: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The bank's four targets against a period's figures. Received per month is the
    received count over the months covered (a month cut short counts as its share)."""
    per_month = figures["received"] / period.month_share()

    def target(goal: float, value: float | None) -> dict[str, Any]:
        return {"target": goal, "value": rounded(value), "met": met(value, goal)}

    return {
        "received_per_month": target(TARGET_RECEIVED_PER_MONTH, per_month),
        "on_time": target(TARGET_ON_TIME, figures["on_time"]["rate"]),
        "satisfied": target(TARGET_SATISFIED, figures["satisfied"]["rate"]),
        "adopted": target(TARGET_ADOPTED, figures["adopted"]["rate"]),
    }


@dataclass(frozen=True, slots=True)
class Report:
    period: Period
    as_of: datetime
    counted: Counted
    periods: tuple[Period, Period, Period]  # reported, previous, a year earlier
    calendar: WorkingCalendar
    satisfaction: SatisfactionDefinition
    department: str | None = None  # the department reported on; None: the whole bank
    # The reported period's recurring problems (core.problems), found from the texts.
    problems: tuple[Problem, ...] = ()
    # Working days between pairs of days, counted once for all the groups.
    known_days: dict[tuple[int, int], int] = field(default_factory=dict, compare=False)

    def _period(self, index: int) -> dict[str, Any]:
        period = self.periods[index]
        months = [f"{m.first:%Y-%m}" for m in period.months()]
        counts = self.counted.overall.periods[index]
        figures = {
            "period": _period_json(period),
            **self._figures(counts),
            "received_per_month": dict(zip(months, counts.received_per_month, strict=True)),
        }
        figures["repeat_complainants"] = _repeats_json(self.counted.repeats[index])
        figures["targets"] = targets(period, figures)
        figures["breakdowns"] = {
            dimension.value: [
                {"key": key, **self._figures(group.periods[index]), **self._now(group, index)}
                for key, group in sorted(groups.items(), key=_key_order)
            ]
            for dimension, groups in self.counted.groups.items()
        }
        return figures

    def _figures(self, counts: CaseCounts) -> dict[str, Any]:
        return group_figures(
            counts,
            calendar=self.calendar,
            satisfaction=self.satisfaction,
            known_days=self.known_days,
        )

    @staticmethod
    def _now(group: GroupCounts, index: int) -> dict[str, int]:
        """Overdue now belongs to the moment, so to the reported period only."""
        return {"overdue_now": group.overdue_now} if index == 0 else {}

    def as_json(self) -> dict[str, Any]:
        """The whole report as one JSON-ready object (README: "Figures and reports")."""
        return {
            **self._period(0),
            "as_of": self.as_of.astimezone(self.calendar.tz).isoformat(),
            "department": self.department,
            "overdue_now": self.counted.overall.overdue_now,
            "common_problems": [problem.as_json() for problem in self.problems],
            "comparisons": {"previous": self._period(1), "year_ago": self._period(2)},
        }


def _period_json(period: Period) -> dict[str, str]:
    return {
        "label": period.label,
        "kind": period.kind.value,
        "from": period.first.isoformat(),
        "to": period.last.isoformat(),
    }


def _repeats_json(repeats: Repeats) -> dict[str, int]:
    return {"customers": repeats.customers, "complaints": repeats.complaints}


def _key_order(item: tuple[str | None, GroupCounts]) -> tuple[bool, str]:
    """Groups by key, the cases without one (no cause yet, no branch) last."""
    key = item[0]
    return (key is None, key or "")


async def figures_report(
    source: FigureSource,
    period: Period,
    *,
    now: datetime,
    calendar: WorkingCalendar,
    satisfaction: SatisfactionDefinition,
    department: str | None = None,
    problems: Sequence[Problem] = (),
) -> Report:
    """Count the period, the one before and the same one a year earlier in one go, of
    one department's cases or (None) of all; the period's recurring problems are found
    from the texts beforehand and listed as given."""
    periods = (period, period.previous(), period.year_earlier())
    tz = calendar.tz
    start = period.window(tz).start
    request = CountRequest(
        periods=tuple(p.window(tz) for p in periods),
        months=tuple(tuple(m.window(tz) for m in p.months()) for p in periods),
        now=now,
        # Fixed for the period: exact for zones without summer time, as the bank's.
        day_offset=start.utcoffset() or timedelta(),
        department=department,
    )
    counted = await source.count(request)
    return Report(
        period, now, counted, periods, calendar, satisfaction, department, tuple(problems)
    )

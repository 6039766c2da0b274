"""Reporting periods in bank time and the definitions the figures are read by."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core.analytics.definitions import SatisfactionDefinition, percentile, rate
from core.analytics.periods import Period
from core.cases.calendar import SHANGHAI


def test_a_quarter_runs_from_local_midnight_to_local_midnight() -> None:
    q3 = Period.parse_quarter("2026Q3")
    window = q3.window(SHANGHAI)
    # 2026-07-01 00:00 +08 is 06-30 16:00 UTC; 2026-10-01 00:00 +08 is 09-30 16:00 UTC.
    assert window.start == datetime(2026, 6, 30, 16, 0, tzinfo=UTC)
    assert window.end == datetime(2026, 9, 30, 16, 0, tzinfo=UTC)
    # 2026-09-30 23:30 +08, stored as 15:30 UTC, is inside Q3.
    assert window.start <= datetime(2026, 9, 30, 15, 30, tzinfo=UTC) < window.end
    assert q3.label == "2026Q3" and (q3.first, q3.last) == (date(2026, 7, 1), date(2026, 9, 30))


@pytest.mark.parametrize(
    ("period", "previous", "year_earlier"),
    [
        (Period.parse_quarter("2026Q1"), "2025Q4", "2025Q1"),
        (Period.parse_month("2026-01"), "2025-12", "2025-01"),
        (Period.parse_month("2024-03"), "2024-02", "2023-03"),
        (Period.year(2026), "2025", "2025"),
        # A range: as many days right before it; a year earlier, 29 February as the 28th.
        (
            Period.between(date(2024, 2, 20), date(2024, 2, 29)),
            "2024-02-10..2024-02-19",
            "2023-02-20..2023-02-28",
        ),
    ],
)
def test_every_period_knows_what_it_is_compared_with(
    period: Period, previous: str, year_earlier: str
) -> None:
    assert period.previous().label == previous
    assert period.year_earlier().label == year_earlier


def test_months_of_a_period_and_their_share() -> None:
    q4 = Period.parse_quarter("2026Q4")
    assert [m.label for m in q4.months()] == ["2026-10", "2026-11", "2026-12"]
    assert q4.month_share() == 3
    # 16 October to 15 November: 16 of 31 days and 15 of 30.
    span = Period.between(date(2026, 10, 16), date(2026, 11, 15))
    assert [(m.first, m.last) for m in span.months()] == [
        (date(2026, 10, 16), date(2026, 10, 31)),
        (date(2026, 11, 1), date(2026, 11, 15)),
    ]
    assert span.month_share() == pytest.approx(16 / 31 + 15 / 30)


@pytest.mark.parametrize("text", ["2026Q5", "2026-Q4", "Q4", "26Q1"])
def test_a_quarter_is_written_2026Q4(text: str) -> None:
    with pytest.raises(ValueError, match="2026Q4"):
        Period.parse_quarter(text)


@pytest.mark.parametrize("text", ["2026-13", "2026/11", "11-2026"])
def test_a_month_is_written_2026_11(text: str) -> None:
    with pytest.raises(ValueError, match="2026-11"):
        Period.parse_month(text)


def test_the_satisfaction_definition_names_itself() -> None:
    ratings = {1: 1, 2: 1, 3: 1, 4: 1, 5: 1}
    assert SatisfactionDefinition().text == "ratings 4-5 of 5 (top-two-box)"
    assert SatisfactionDefinition().satisfied(ratings) == 2
    assert SatisfactionDefinition(3).text == "ratings 3-5 of 5 (top-three-box)"
    assert SatisfactionDefinition(3).satisfied(ratings) == 3
    assert SatisfactionDefinition(5).text == "ratings 5 of 5 (top box)"
    with pytest.raises(ValueError):
        SatisfactionDefinition(6)


def test_percentiles_by_nearest_rank_and_rates_without_a_count() -> None:
    # 0 2 2 2 3 5 5 5 6: the 5th is 3, the 9th (ceil 8.1) is 6.
    histogram = {0: 1, 2: 3, 3: 1, 5: 3, 6: 1}
    assert (percentile(histogram, 0.5), percentile(histogram, 0.9)) == (3, 6)
    # Two answers: the median is the first (ceil 1.0), the 90th percentile the second.
    assert (percentile({1: 1, 4: 1}, 0.5), percentile({1: 1, 4: 1}, 0.9)) == (1, 4)
    assert percentile({}, 0.5) is None
    assert rate(0, 0) is None and rate(0, 3) == 0.0

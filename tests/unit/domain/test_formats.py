"""One way to write a date and time per language, in the bank's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime

from core.cases.calendar import SHANGHAI
from core.messages import day, moment


def test_a_moment_is_written_one_way_per_language_in_bank_time() -> None:
    utc = datetime(2026, 12, 4, 8, 23, tzinfo=UTC)  # 16:23 in Shanghai
    assert moment("zh", utc, SHANGHAI) == "2026年12月4日 16:23"
    assert moment("en", utc, SHANGHAI) == "04 Dec 2026, 16:23"
    assert day("zh", date(2026, 12, 31)) == "2026年12月31日"
    assert day("en", date(2026, 12, 31)) == "31 Dec 2026"

"""The HTML page from a period's figures: what the common problems hold is shown and
escaped, and without a CJK font the charts fall back to English and say why."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from core.analytics.periods import Period
from intake.config import Settings
from intake.reporting import figures_of
from reports import charts
from reports.html import report_page
from tests.conftest import database_url
from tests.factories import at
from tests.service.test_report_command import _one_answered_complaint


async def _figures(tmp_path: Path, engine: AsyncEngine) -> dict[str, Any]:
    await _one_answered_complaint(engine)
    settings = Settings(database_url=database_url(tmp_path))
    return await figures_of(engine, settings, Period.quarter(2026, 4), now=at("2026-12-01 09:00"))


async def test_common_problems_are_shown_escaped(tmp_path: Path, engine: AsyncEngine) -> None:
    figures = await _figures(tmp_path, engine)
    figures["common_problems"] = [
        {
            "label": "吞卡 <script>alert(1)</script>",
            "keywords": ["吞卡", "ATM"],
            "count": 7,
            "examples": ["自动取款机吞卡了 & 没人管"],
            "business_type": "debit_card",
            "share": 0.35,
            "previous": 2,
            "change": 5,
            "rising": True,
        }
    ]
    page = report_page(figures, revealed=False)
    assert "<script>" not in page
    assert "吞卡 &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "自动取款机吞卡了 &amp; 没人管" in page and "35.0%" in page and "▲" in page
    assert "借记卡 (debit_card)" in page  # the business type in the catalog's words
    assert "none found" not in page
    # The four targets with their verdicts, and the comparisons' periods.
    assert page.count('class="target ') == 4
    assert "达标 met" in page and "未达标 not met" in page and "无数据 nothing counted" in page
    assert "2026Q3" in page and "2025Q4" in page
    assert "personal data in the exports is masked" in page


async def test_without_a_cjk_font_the_charts_are_labelled_in_english(
    tmp_path: Path, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    figures = await _figures(tmp_path, engine)
    monkeypatch.setattr(charts, "cjk_font", lambda: None)
    page = report_page(figures, revealed=True)
    assert escape(charts.NO_CJK_FONT) in page
    assert page.count("data:image/png;base64,") >= 3
    assert "the exports hold unmasked personal data (audited)" in page

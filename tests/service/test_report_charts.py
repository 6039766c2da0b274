"""The report's charts draw Chinese with real glyphs: the same label rendered with the
CJK font and with matplotlib's own DejaVu Sans (which has none and draws boxes)."""

from __future__ import annotations

import io
import warnings

import pytest
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from PIL import Image

from reports import charts

LABELS = ["借记卡吞卡", "网点排队时间长"]
TITLE = "业务类型 受理量"


def _drawn(font: FontProperties | None) -> tuple[bytes, list[str]]:
    """The chart's PNG and the glyphs matplotlib said it could not find."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        image = charts.bars_chart(LABELS, [7, 3], title=TITLE, font=font)
    return image, [str(w.message) for w in caught if "missing from font" in str(w.message)]


def _glyphs(text: str, font: FontProperties) -> set[bytes]:
    """Each character drawn alone: tofu is the same box whatever the character."""
    images = set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for character in text:
            figure = Figure(figsize=(0.5, 0.5))
            figure.text(0.5, 0.5, character, fontproperties=font, ha="center", va="center")
            images.add(charts.png(figure))
    return images


def test_chinese_labels_are_drawn_with_glyphs_not_tofu() -> None:
    font = charts.cjk_font()
    if font is None:
        pytest.fail(charts.NO_CJK_FONT)
    with_cjk, missing_cjk = _drawn(font)
    with_dejavu, missing_dejavu = _drawn(None)

    assert missing_cjk == [], missing_cjk
    assert missing_dejavu, "DejaVu Sans has no CJK glyphs: matplotlib should have said so"
    assert with_cjk != with_dejavu
    png = Image.open(io.BytesIO(with_cjk))
    assert png.format == "PNG" and png.size == (600, 160)
    characters = "借记卡吞"
    assert len(_glyphs(characters, font)) == len(characters)
    assert len(_glyphs(characters, FontProperties(family="DejaVu Sans"))) == 1  # one box


def test_the_fallback_is_named_when_no_cjk_font_is_known(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(charts, "CJK_FAMILIES", ("No Such Font CJK",))
    assert charts.cjk_font() is None
    assert "make fonts" in charts.NO_CJK_FONT

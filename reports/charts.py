"""The report's charts as PNG bytes (matplotlib's Agg backend, no display needed).

Chinese labels need a font with CJK glyphs; matplotlib's own DejaVu Sans has none and
draws empty boxes ("tofu") instead. `cjk_font` finds one among the fonts matplotlib
knows — Noto Sans CJK from Debian's fonts-noto-cjk (`make fonts` installs it) first. The
caller labels the charts in English when there is none.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

# In order of preference: Debian's fonts-noto-cjk, then other common CJK families.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Droid Sans Fallback",
    "SimHei",
    "Microsoft YaHei",
)
NO_CJK_FONT = (
    "no CJK font found for the charts' Chinese labels; they are labelled in English: "
    "install one with `make fonts` (Debian's fonts-noto-cjk)"
)
_FALLBACK = FontProperties(family="DejaVu Sans")
_BAR, _LINE, _MET, _MISSED = "#3b6fb6", "#c0392b", "#2e8b57", "#d35400"


def cjk_font() -> FontProperties | None:
    """A font matplotlib knows that draws Chinese, or None."""
    known = {f.name: f.fname for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in known:
            return FontProperties(fname=known[family])
    return None


def png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    FigureCanvasAgg(figure)
    figure.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def data_uri(image: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(image).decode("ascii")


def received_chart(
    months: Sequence[str],
    counts: Sequence[int],
    target: float,
    *,
    title: str,
    target_label: str,
    font: FontProperties | None,
) -> bytes:
    """Cases received per month as bars, the monthly target as a line."""
    font = font or _FALLBACK
    figure = Figure(figsize=(6, 3.2))
    axes = figure.add_subplot()
    # Positions, not the month strings: matplotlib would take "2026-10" for a date.
    bars = axes.bar(range(len(months)), counts, color=_BAR)
    axes.set_xticks(range(len(months)), months)
    axes.bar_label(bars)
    axes.axhline(target, color=_LINE, linestyle="--", label=target_label)
    axes.set_ylim(0, max([target, *counts]) * 1.2)
    axes.set_title(title, fontproperties=font)
    axes.legend(prop=font, loc="best")
    figure.tight_layout()
    return png(figure)


def rates_chart(
    names: Sequence[str],
    values: Sequence[float | None],
    targets: Sequence[float],
    *,
    title: str,
    target_label: str,
    font: FontProperties | None,
) -> bytes:
    """Rates as bars in per cent, green where the target is met, each target a mark."""
    font = font or _FALLBACK
    figure = Figure(figsize=(6, 3.2))
    axes = figure.add_subplot()
    shown = [100 * (v or 0) for v in values]
    colours = [
        _MET if v is not None and v >= goal else _MISSED
        for v, goal in zip(values, targets, strict=True)
    ]
    bars = axes.bar(range(len(names)), shown, color=colours)
    axes.bar_label(bars, labels=["-" if v is None else f"{100 * v:.1f}%" for v in values])
    axes.scatter(
        range(len(names)), [100 * g for g in targets], marker="_", s=900, color=_LINE, zorder=3
    )
    axes.plot([], [], color=_LINE, label=target_label)
    axes.set_xticks(range(len(names)), names, fontproperties=font)
    axes.set_ylim(0, 110)
    axes.set_ylabel("%")
    axes.set_title(title, fontproperties=font)
    axes.legend(prop=font, loc="lower right")
    figure.tight_layout()
    return png(figure)


def bars_chart(
    names: Sequence[str], counts: Sequence[int], *, title: str, font: FontProperties | None
) -> bytes:
    """Counts per group as horizontal bars, the largest on top."""
    font = font or _FALLBACK
    figure = Figure(figsize=(6, 0.9 + 0.35 * max(len(names), 1)))
    axes = figure.add_subplot()
    order = sorted(range(len(names)), key=lambda i: counts[i])  # barh draws bottom up
    bars = axes.barh([names[i] for i in order], [counts[i] for i in order], color=_BAR)
    axes.bar_label(bars)
    for label in axes.get_yticklabels():
        label.set_fontproperties(font)
    axes.set_title(title, fontproperties=font)
    figure.tight_layout()
    return png(figure)

"""The report as one self-contained HTML page: the four targets at the top, the
comparisons with the previous period and a year earlier, the charts (embedded PNG), the
common problems and the JR/T 0169 statistics per breakdown. Chinese first, English
beside it; every value from the database is escaped."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Any

from reports import charts
from reports.figure_rows import (
    DIMENSIONS,
    FIGURES,
    TARGETS,
    dimension_name,
    key_name,
    row_name,
    shown,
)

_STYLE = """
body { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", sans-serif;
       margin: 24px; color: #222; }
h1 { margin-bottom: 0; } .sub { color: #666; margin-top: 4px; }
.targets { display: flex; gap: 12px; flex-wrap: wrap; }
.target { border-radius: 8px; padding: 12px 16px; min-width: 220px; color: #fff; }
.met { background: #2e8b57; } .missed { background: #c0392b; } .none { background: #7f8c8d; }
.target .value { font-size: 28px; font-weight: bold; }
table { border-collapse: collapse; margin: 8px 0 24px; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #eef2f7; }
.charts { display: flex; flex-wrap: wrap; align-items: flex-start; }
.charts img { max-width: 100%; margin: 4px 8px 4px 0; }
.en { color: #666; font-weight: normal; }
.wide { overflow-x: auto; }
"""


def _both(zh: str, en: str) -> str:
    return f'{escape(zh)} <span class="en">{escape(en)}</span>'


def _table(head: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    """Cells given as HTML already escaped."""
    header = "".join(f"<th>{h}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"


def _targets(figures: dict[str, Any]) -> str:
    cards = []
    for key, zh, en in TARGETS:
        target = figures["targets"][key]
        rate = key != "received_per_month"
        verdict, css = {
            True: ("达标 met", "met"),
            False: ("未达标 not met", "missed"),
            None: ("无数据 nothing counted", "none"),
        }[target["met"]]
        cards.append(
            f'<div class="target {css}"><div>{escape(zh)} {escape(en)}</div>'
            f'<div class="value">{escape(shown(target["value"], rate=rate))}</div>'
            f"<div>目标 target ≥ {escape(shown(target['target'], rate=rate))}"
            f" · {escape(verdict)}</div></div>"
        )
    return '<div class="targets">' + "".join(cards) + "</div>"


def _change(now: Any, before: Any, rate: bool) -> str:
    if not isinstance(now, int | float) or not isinstance(before, int | float):
        return "-"
    if rate:
        return f"{100 * (now - before):+.1f} pp"
    return f"{now - before:+g}" if isinstance(now, int) else f"{now - before:+.1f}"


def _comparisons(figures: dict[str, Any]) -> str:
    previous = figures["comparisons"]["previous"]
    year_ago = figures["comparisons"]["year_ago"]
    head = [
        _both("指标", "figure"),
        escape(figures["period"]["label"]),
        _both("上期", previous["period"]["label"]),
        _both("环比", "change"),
        _both("去年同期", year_ago["period"]["label"]),
        _both("同比", "change"),
    ]
    rows = []
    for figure in FIGURES:
        if figure.path == ("overdue_now",):  # belongs to the moment, not to a period
            continue
        now, before, then = (figure.of(f) for f in (figures, previous, year_ago))
        rows.append(
            [
                _both(figure.zh, figure.en),
                escape(shown(now, rate=figure.is_rate)),
                escape(shown(before, rate=figure.is_rate)),
                escape(_change(now, before, figure.is_rate)),
                escape(shown(then, rate=figure.is_rate)),
                escape(_change(now, then, figure.is_rate)),
            ]
        )
    return _table(head, rows)


def _charts(figures: dict[str, Any]) -> str:
    font = charts.cjk_font()
    zh = font is not None

    def label(chinese: str, english: str) -> str:
        return f"{chinese} {english}" if zh else english

    per_month = figures["received_per_month"]
    monthly_target = figures["targets"]["received_per_month"]["target"]
    images = [
        charts.received_chart(
            list(per_month),
            list(per_month.values()),
            monthly_target,
            title=label("每月受理量", "received per month"),
            target_label=label("目标", f"target {monthly_target:g}"),
            font=font,
        ),
        charts.rates_chart(
            [f"{z}\n{e}" if zh else e for _, z, e in TARGETS[1:]],
            [figures["targets"][key]["value"] for key, _, _ in TARGETS[1:]],
            [figures["targets"][key]["target"] for key, _, _ in TARGETS[1:]],
            title=label("目标达成", "targets"),
            target_label=label("目标", "target"),
            font=font,
        ),
    ]
    for dimension in ("business_type", "channel", "cause", "type"):
        rows = figures["breakdowns"].get(dimension) or []
        if rows:
            zh_name, en_name = DIMENSIONS[dimension]
            images.append(
                charts.bars_chart(
                    [row_name(dimension, r, "zh" if zh else "en") for r in rows],
                    [r["received"] for r in rows],
                    title=label(f"{zh_name} 受理量", f"received by {en_name}"),
                    font=font,
                )
            )
    note = "" if zh else f"<p>{escape(charts.NO_CJK_FONT)}</p>"
    tags = "".join(f'<img alt="chart" src="{charts.data_uri(image)}">' for image in images)
    return f'{note}<div class="charts">{tags}</div>'


def _problems(problems: list[dict[str, Any]]) -> str:
    if not problems:
        return "<p>本期未发现共性问题 none found</p>"
    head = [
        _both("问题", "problem"),
        _both("关键词", "keywords"),
        _both("业务类型", "business type"),
        _both("件数", "count"),
        _both("占比", "share"),
        _both("上期", "previous"),
        _both("变化", "change"),
        _both("上升", "rising"),
        _both("示例", "examples"),
    ]
    rows = []
    for problem in problems:
        keywords = problem.get("keywords") or []
        examples = problem.get("examples") or []
        business = problem.get("business_type")
        share = problem.get("share")
        rows.append(
            [
                escape(str(problem.get("label", ""))),
                escape("、".join(str(k) for k in keywords)),
                escape(key_name("business_type", business) if business else "-"),
                escape(str(problem.get("count", "-"))),
                escape(shown(share, rate=True) if isinstance(share, int | float) else "-"),
                escape(str(problem.get("previous", "-"))),
                escape(str(problem.get("change", "-"))),
                "▲" if problem.get("rising") else "",
                "<br>".join(escape(str(e)) for e in examples),
            ]
        )
    return _table(head, rows)


def _breakdowns(figures: dict[str, Any]) -> str:
    parts = []
    for dimension, rows in figures["breakdowns"].items():
        head = [escape(dimension_name(dimension)), *(_both(f.zh, f.en) for f in FIGURES)]
        body = [
            [
                escape(row_name(dimension, row)),
                *(escape(shown(f.of(row), rate=f.is_rate)) for f in FIGURES),
            ]
            for row in rows
        ]
        parts.append(f"<h3>{escape(dimension_name(dimension))}</h3>")
        parts.append(f'<div class="wide">{_table(head, body)}</div>' if body else "<p>无 none</p>")
    return "".join(parts)


def report_page(figures: dict[str, Any], *, revealed: bool) -> str:
    """The whole page for the figures of `intake report --json`."""
    period = figures["period"]
    title = f"客户意见分析报告 Feedback report {period['label']}"
    privacy = (
        "本报告附带的导出文件含未脱敏的个人信息（已记录审计） the exports hold unmasked "
        "personal data (audited)"
        if revealed
        else "导出文件中的个人信息已脱敏 personal data in the exports is masked"
    )
    return f"""<!DOCTYPE html>
<html lang="zh-Hans"><head><meta charset="utf-8">
<title>{escape(title)}</title><style>{_STYLE}</style></head>
<body>
<h1>{escape(title)}</h1>
<p class="sub">{escape(period["from"])} – {escape(period["to"])}（银行所在时区 bank time）·
生成于 as of {escape(str(figures.get("as_of", ""))[:16].replace("T", " "))} · {escape(privacy)}</p>
<h2>{_both("四项目标", "the four targets")}</h2>
{_targets(figures)}
<p>{_both("满意的定义", "satisfied means")}: {escape(figures["satisfied"]["definition"])} ·
{_both("当前逾期", "overdue now")}: {escape(str(figures.get("overdue_now", "-")))}</p>
<h2>{_both("对比", "compared with the previous period and a year earlier")}</h2>
{_comparisons(figures)}
<h2>{_both("图表", "charts")}</h2>
{_charts(figures)}
<h2>{_both("共性问题", "common problems")}</h2>
{_problems(figures.get("common_problems") or [])}
<h2>{_both("JR/T 0169 统计", "statistics by breakdown")}</h2>
{_breakdowns(figures)}
</body></html>
"""

"""The figures the report's tables show, in order, with their names: one list for the
HTML page and the workbook, read from the figures object of `intake report --json`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.messages import has_text, t


@dataclass(frozen=True, slots=True)
class Figure:
    zh: str
    en: str
    path: tuple[str, ...]  # where it is in a period's (or a breakdown row's) figures

    @property
    def is_rate(self) -> bool:
        return self.path[-1] == "rate"

    @property
    def name(self) -> str:
        return f"{self.zh} {self.en}"

    def of(self, figures: dict[str, Any]) -> Any:
        value: Any = figures
        for step in self.path:
            if not isinstance(value, dict) or step not in value:
                return None
            value = value[step]
        return value


FIGURES = (
    Figure("受理量", "received", ("received",)),
    Figure("按时办结率", "on time", ("on_time", "rate")),
    Figure("已答复", "answered", ("on_time", "answered")),
    Figure("按时答复", "answered on time", ("on_time", "on_time")),
    Figure("逾期未答复", "late, unanswered", ("on_time", "late_open")),
    Figure(
        "答复用时中位数(工作日)", "median working days", ("time_to_answer", "median_working_days")
    ),
    Figure("答复用时90分位(工作日)", "p90 working days", ("time_to_answer", "p90_working_days")),
    Figure("满意率", "satisfied", ("satisfied", "rate")),
    Figure("已评价", "surveys answered", ("satisfied", "answered")),
    Figure("满意", "satisfied ratings", ("satisfied", "satisfied")),
    Figure("评价回复率", "response rate", ("response_rate", "rate")),
    Figure("建议采纳率", "adopted", ("adopted", "rate")),
    Figure("已决定建议", "suggestions decided", ("adopted", "decided")),
    Figure("已采纳", "adopted", ("adopted", "adopted")),
    Figure("已实施", "implemented", ("adopted", "implemented")),
    Figure("重新办理率", "reopen rate", ("reopened", "rate")),
    Figure("延长期限", "deadline postponed", ("extensions", "postponed")),
    Figure("延长法定期限", "legal ceiling extended", ("extensions", "legal")),
    Figure("超法定期限", "legal-ceiling breaches", ("legal_breaches",)),
    Figure("当前逾期", "overdue now", ("overdue_now",)),
)

# The four targets, in the order the bank states them.
TARGETS = (
    ("received_per_month", "月均受理量", "received per month"),
    ("on_time", "按时办结率", "on time"),
    ("satisfied", "满意率", "satisfied"),
    ("adopted", "建议采纳率", "suggestions adopted"),
)

DIMENSIONS = {
    "type": ("类型", "type"),
    "intake_channel": ("受理渠道", "intake channel"),
    "channel": ("业务渠道 (JR/T A)", "channel"),
    "business_type": ("业务类型 (JR/T B)", "business type"),
    "cause": ("投诉原因 (JR/T C)", "cause"),
    "branch": ("网点", "branch"),
    "department": ("部门", "department"),
}

# Stored codes that have words in the message catalogs, by field, and their prefix there:
# breakdown keys and exported columns are shown in words, the code beside them.
CATALOG_PREFIX = {
    "type": "type",
    "status": "status",
    "priority": "priority",
    "intake_channel": "intake",
    "channel": "channel",
    "business_type": "business",
    "cause": "cause",
    "decision": "decision",
    "customer_platform": "platform",
}


def dimension_name(dimension: str) -> str:
    zh, en = DIMENSIONS.get(dimension, (dimension, dimension))
    return f"{zh} {en}"


def key_name(dimension: str, key: str | None, language: str = "zh") -> str:
    """A breakdown key (or a coded column's value) as the reader knows it: 借记卡
    (debit_card); none: not set; a value with no words (a branch, a department) as it is."""
    if key is None:
        return "未设置 (none)" if language == "zh" else "(none)"
    prefix = CATALOG_PREFIX.get(dimension)
    if prefix is not None and has_text(language, f"{prefix}.{key}"):
        return f"{t(language, f'{prefix}.{key}')} ({key})"
    return key


def row_name(dimension: str, row: dict[str, Any], language: str = "zh") -> str:
    """A breakdown row's key as the reader knows it; a department by its name."""
    if row.get("name"):
        return f"{row['name']} ({row['key']})"
    return key_name(dimension, row["key"], language)


def shown(value: Any, *, rate: bool) -> str:
    """A figure as text: rates in per cent, nothing counted as a dash."""
    if value is None:
        return "-"
    if rate:
        return f"{value:.1%}"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)

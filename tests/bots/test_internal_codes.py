"""The check behind `nobody_reads_internal_codes` finds what it must and only that."""

from __future__ import annotations

import pytest

from tests.bots.internal_codes import internal_codes


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-02 10:00 staff:1 asked_customer: 请问",
        "customer:telegram:1001 filed",
        "部门：cards，处理人：李坐席",
        "部门：银行卡部，处理人：1",
        "处理部门：cards",
        "附件：1 (photo)",
        "描述：[erased]",
        "状态：in_progress",
        "Department: cards, handler: 7",
        "业务：debit_card",
    ],
)
def test_an_internal_code_is_found(text: str) -> None:
    assert internal_codes(text)


@pytest.mark.parametrize(
    "text",
    [
        "部门：银行卡部，处理人：李坐席",
        "Department: Cards, handler: Li",
        "/queue [mine|dept|unassigned|overdue] [页码] 待办队列",
        "Your complaint CP-20261102-0001 is in progress.",
        "附件：照片 1",
        "/assign 编号 部门或员工编号 分派",
    ],
)
def test_words_for_people_pass(text: str) -> None:
    assert internal_codes(text) == []

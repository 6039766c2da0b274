"""Common problems: keywords, grouping per business type, the previous period, rising,
and masked examples. The tokenizer here splits on spaces, so each text says its words."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.cases.values import CaseType
from core.identity import redact
from core.problems.grouping import (
    EXAMPLE_CHARS,
    ProblemTally,
    ProblemText,
    common_problems,
    is_rising,
)
from core.problems.keywords import keywords

C, S = CaseType.COMPLAINT, CaseType.SUGGESTION


def _tally(*texts: tuple[CaseType, str, str], examples: int = 3) -> ProblemTally:
    tally = ProblemTally(str.split, examples=examples)
    tally.add_all(
        ProblemText(f"N{i}", kind, business, text) for i, (kind, business, text) in enumerate(texts)
    )
    return tally


def test_keywords_leave_out_stop_words_punctuation_numbers_and_single_characters() -> None:
    tokens = ["我", "的", "信用卡", "年费", "，", "50", "银行", "信用卡", "The", "ATM", "Card"]
    assert keywords(tokens) == ["信用卡", "年费", "ATM", "card"]


def test_keywords_stop_asking_for_tokens_at_the_limit() -> None:
    asked: list[str] = []

    def tokens() -> Iterator[str]:
        for token in ["我", "信用卡", "信用卡", "年费", "太", "贵", "never"]:
            asked.append(token)
            yield token

    assert keywords(tokens(), limit=2) == ["信用卡", "年费"]
    assert asked == ["我", "信用卡", "信用卡", "年费"]


def test_texts_group_by_their_leading_keywords_within_a_business_type() -> None:
    current = _tally(
        (C, "credit_card", "信用卡 年费 重复 收取"),
        (C, "credit_card", "我 的 年费 信用卡 太 贵"),  # the same two words, the other order
        (S, "credit_card", "建议 信用卡 年费 减免"),
        (C, "credit_card", "信用卡 额度 太 低"),
        (C, "credit_card", "信用卡 额度 不够"),
        (C, "debit_card", "信用卡 年费 扣 了"),  # another business type: its own problem
        (C, "debit_card", "ATM 吞卡"),
        (C, "debit_card", "ATM 吞卡 了"),
        (C, "debit_card", "ATM 吞卡 没人 管"),
        (C, "loans", "的 了 ，"),  # no keyword: counted among the texts, in no problem
    )
    problems = common_problems(current, _tally())
    # By count, then by label.
    assert [(p.business_type, p.label, p.count) for p in problems] == [
        ("debit_card", "ATM / 吞卡", 3),
        ("credit_card", "信用卡 / 年费", 3),
        ("credit_card", "信用卡 / 额度", 2),
    ]
    fees = problems[1]
    assert (fees.complaints, fees.suggestions) == (2, 1)
    assert fees.keywords == ("信用卡", "年费")  # as its first text has them
    assert fees.share == 3 / 10
    assert fees.examples == (
        "信用卡 年费 重复 收取",
        "我 的 年费 信用卡 太 贵",
        "建议 信用卡 年费 减免",
    )
    assert fees.example_cases == ("N0", "N1", "N2")


def test_the_previous_period_gives_the_change_and_rising_is_flagged() -> None:
    current = _tally(
        *[(C, "cash", "ATM 吞卡")] * 4,
        *[(C, "cash", "取款机 故障")] * 3,
        *[(C, "cash", "零钱 兑换")] * 3,
    )
    previous = _tally(*[(C, "cash", "ATM 吞卡")] * 1, *[(C, "cash", "取款机 故障")] * 2)
    found = {p.label: p for p in common_problems(current, previous)}
    assert {label: (p.count, p.previous, p.change, p.rising) for label, p in found.items()} == {
        "ATM / 吞卡": (4, 1, 3, True),
        "取款机 / 故障": (3, 2, 1, False),  # one more only
        "零钱 / 兑换": (3, 0, 3, True),  # new with 3
    }
    assert found["ATM / 吞卡"].as_json() | {"examples": []} == {
        "label": "ATM / 吞卡",
        "keywords": ["ATM", "吞卡"],
        "business_type": "cash",
        "count": 4,
        "complaints": 4,
        "suggestions": 0,
        "share": 0.4,
        "previous": 1,
        "change": 3,
        "rising": True,
        "examples": [],
        "example_cases": ["N0"],
    }


@pytest.mark.parametrize(
    ("count", "previous", "rising"),
    [(3, 0, True), (2, 0, False), (3, 1, True), (4, 2, True), (3, 2, False), (6, 4, True),
     (15, 10, True), (14, 10, False), (5, 5, False), (1, 4, False)],
)  # fmt: skip
def test_the_rising_rule(count: int, previous: int, rising: bool) -> None:
    assert is_rising(count, previous) is rising


def test_examples_are_masked_cut_to_a_sentence_and_short() -> None:
    long_tail = "很 久 " * 40
    current = _tally(
        (C, "debit_card", "你好 。 借记卡 挂失 卡号 6222021234567890123 身份证 110101199003071234"),
        (C, "debit_card", "借记卡 挂失 电话 13812348000 邮箱 alice@example.com 谢谢"),
        (C, "debit_card", f"借记卡 挂失 {long_tail}"),
        (C, "debit_card", "借记卡 挂失 第四 条"),
    )
    [problem] = common_problems(current, _tally())
    assert problem.count == 4 and len(problem.examples) == 3  # a few examples, not every text
    first, second, third = problem.examples
    # The sentence with the problem's word, not the greeting before it.
    assert first == "借记卡 挂失 卡号 6222 **** 0123 身份证 110***********34"
    assert second == "借记卡 挂失 电话 138****8000 邮箱 a***@example.com 谢谢"
    assert len(third) == EXAMPLE_CHARS and third.endswith("…")
    for text in problem.examples:
        assert redact(text) == text


def test_the_most_frequent_problems_only_for_each_business_type() -> None:
    current = _tally(
        *[(C, "deposits", f"存款 利率{i}") for i in range(3) for _ in range(2 + i)],
        (C, "deposits", "存款 利率9"),  # raised once: not recurring
        *[(C, "loans", "贷款 审批")] * 2,
    )
    problems = common_problems(current, _tally(), per_business_type=2)
    assert [(p.label, p.count) for p in problems] == [
        ("存款 / 利率2", 4),
        ("存款 / 利率1", 3),
        ("贷款 / 审批", 2),  # the limit is per business type
    ]


def test_the_previous_period_keeps_counts_without_examples() -> None:
    previous = _tally(*[(C, "cash", "ATM 吞卡")] * 2, examples=0)
    [problem] = common_problems(previous, _tally())
    assert problem.examples == () and problem.count == 2

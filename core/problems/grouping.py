"""Recurring problems of a period, per business type, and how they changed.

Each complaint or suggestion text is segmented by the tokenizer passed in and reduced
to its keywords (`core.problems.keywords`); the text's problem is its first two
keywords, in whatever order they came (one keyword when it has only one), within its
business type; the label shows them as the problem's first text has them. Every text
belongs to exactly one problem, so the shares of a period's problems add up to at most
1. A problem is recurring when at least `MIN_COUNT` (2) texts share it. Its examples are
its first texts, in the order the texts came, cut to a sentence and masked (ID card,
bank card and phone numbers, e-mail addresses: `core.identity.redact`).

**Rising.** A problem is rising when it was raised at least `RISING_MIN` times (3) and
at least `RISING_STEP` (2) more times than in the previous period and at least
`RISING_GROWTH` (1.5) times as often: new with 3 or more, 1 -> 3, 2 -> 4, 4 -> 6, 10 ->
15 are rising; 2 -> 3 and 10 -> 14 are not.

Memory: `ProblemTally` streams; it keeps a count and a few examples per problem, never
the texts, so a million cases need memory for their distinct problems only.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from core.analytics.definitions import rate, rounded
from core.cases.values import CaseType
from core.identity import redact
from core.problems.keywords import Tokenizer, keywords

MIN_COUNT = 2
RISING_MIN = 3
RISING_STEP = 2
RISING_GROWTH = 1.5
KEY_WORDS = 2  # the leading keywords that name a text's problem
EXAMPLES = 3
EXAMPLE_CHARS = 60
PER_BUSINESS_TYPE = 10  # the most frequent problems listed for each business type
LABEL_JOINER = " / "

_SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])")

Key = tuple[str, tuple[str, ...]]  # business type, keywords


@dataclass(frozen=True, slots=True)
class ProblemText:
    """A complaint's or suggestion's text, as read for the analysis."""

    number: str
    type: CaseType
    business_type: str
    text: str


def is_rising(count: int, previous: int) -> bool:
    """The rule in the module's docstring."""
    return (
        count >= RISING_MIN
        and count - previous >= RISING_STEP
        and count >= RISING_GROWTH * previous
    )


def example(text: str, word: str) -> str:
    """The text's first sentence that has `word` in it, masked and cut short."""
    masked = redact(text)
    sentences = [s.strip() for s in _SENTENCE_END.split(masked) if s.strip()]
    chosen = next((s for s in sentences if word.lower() in s.lower()), None)
    sentence = chosen or (sentences[0] if sentences else masked.strip())
    return sentence if len(sentence) <= EXAMPLE_CHARS else sentence[: EXAMPLE_CHARS - 1] + "…"


@dataclass(slots=True)
class _Group:
    words: tuple[str, ...]  # the key's words as the group's first text has them
    complaints: int = 0
    suggestions: int = 0
    examples: list[str] = field(default_factory=list)
    cases: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return self.complaints + self.suggestions


class ProblemTally:
    """One period's texts counted by problem, one text at a time."""

    def __init__(self, tokenizer: Tokenizer, *, examples: int = EXAMPLES) -> None:
        self._tokenizer = tokenizer
        self._examples = examples
        self._groups: dict[Key, _Group] = {}
        self.texts = 0  # every text added, with or without a keyword

    def add(self, item: ProblemText) -> None:
        self.texts += 1
        words = keywords(self._tokenizer(item.text), limit=KEY_WORDS)
        if not words:
            return
        # Interned: the same few thousand words recur in every key.
        leading = tuple(sys.intern(w) for w in words)
        key = (item.business_type, tuple(sorted(leading)))
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = _Group(leading)
        if item.type is CaseType.SUGGESTION:
            group.suggestions += 1
        else:
            group.complaints += 1
        if len(group.examples) < self._examples:
            shown = example(item.text, words[0])
            if shown not in group.examples:
                group.examples.append(shown)
                group.cases.append(item.number)

    def add_all(self, items: Iterable[ProblemText]) -> None:
        for item in items:
            self.add(item)

    def count_of(self, key: Key) -> int:
        group = self._groups.get(key)
        return 0 if group is None else group.count

    def recurring(self) -> dict[Key, _Group]:
        return {key: g for key, g in self._groups.items() if g.count >= MIN_COUNT}


@dataclass(frozen=True, slots=True)
class Problem:
    business_type: str
    keywords: tuple[str, ...]
    complaints: int
    suggestions: int
    share: float | None  # of all the period's texts
    previous: int  # the same problem's count in the previous period
    examples: tuple[str, ...]
    example_cases: tuple[str, ...]  # the case each example is taken from

    @property
    def count(self) -> int:
        return self.complaints + self.suggestions

    @property
    def label(self) -> str:
        return LABEL_JOINER.join(self.keywords)

    @property
    def change(self) -> int:
        return self.count - self.previous

    @property
    def rising(self) -> bool:
        return is_rising(self.count, self.previous)

    def as_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "keywords": list(self.keywords),
            "business_type": self.business_type,
            "count": self.count,
            "complaints": self.complaints,
            "suggestions": self.suggestions,
            "share": rounded(self.share),
            "previous": self.previous,
            "change": self.change,
            "rising": self.rising,
            "examples": list(self.examples),
            "example_cases": list(self.example_cases),
        }


def _order(problem: Problem) -> tuple[int, str, str]:
    return (-problem.count, problem.label, problem.business_type)


def common_problems(
    current: ProblemTally, previous: ProblemTally, *, per_business_type: int = PER_BUSINESS_TYPE
) -> list[Problem]:
    """The period's recurring problems, the most frequent first (then by label), at most
    `per_business_type` for each business type, each with its count in the previous
    period."""
    by_business: dict[str, list[Problem]] = {}
    for key, group in current.recurring().items():
        business_type = key[0]
        by_business.setdefault(business_type, []).append(
            Problem(
                business_type=business_type,
                keywords=group.words,
                complaints=group.complaints,
                suggestions=group.suggestions,
                share=rate(group.count, current.texts),
                previous=previous.count_of(key),
                examples=tuple(group.examples),
                example_cases=tuple(group.cases),
            )
        )
    listed = [
        p for found in by_business.values() for p in sorted(found, key=_order)[:per_business_type]
    ]
    return sorted(listed, key=_order)

"""The texts for the common problems, streamed from the database for a window of bank
time: complaints and suggestions only, merged and forgotten cases left out."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from core.analytics.periods import Period
from core.cases.calendar import SHANGHAI
from core.cases.case import Case
from core.cases.classification import BusinessType, Channel
from core.cases.values import CaseType, Classification
from core.problems.grouping import ProblemText
from storage import problem_texts as module
from storage.problem_texts import problem_texts
from storage.unit_of_work import SqlUnitOfWork
from tests.factories import at, new_case

C, S, P = CaseType.COMPLAINT, CaseType.SUGGESTION, CaseType.PRAISE


def _case(number: str, kind: CaseType, received: str, text: str, **extra: object) -> Case:
    return new_case(
        number,
        type=kind,
        classification=Classification(Channel.COUNTER, BusinessType.CASH),
        description=text,
        received_at=at(received),
        due_at=at("2027-01-20 10:00"),
        **extra,
    )


async def _store(engine: AsyncEngine, *cases: Case) -> None:
    async with SqlUnitOfWork(engine) as uow:
        for case in cases:
            await uow.cases.add(case)
        await uow.commit()


async def test_the_texts_of_a_quarter_in_bank_time(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    merged = _case("C-merged", C, "2026-11-03 10:00", "又是取款机吞卡")
    merged.merged_into = "C-first"
    forgotten = _case("C-forgotten", C, "2026-11-04 10:00", "取款机吞卡，我的电话13812348000")
    forgotten.withdraw(reason="sorted", actor="customer", now=at("2026-11-04 11:00"))
    forgotten.forget(now=at("2026-11-05 10:00"))
    await _store(
        engine,
        _case("C-before", C, "2026-09-30 23:59", "九月的最后一分钟"),  # 15:59 UTC: Q3
        _case("C-first", C, "2026-10-01 00:00", "取款机吞卡"),  # 09-30 16:00 UTC: Q4
        merged,
        forgotten,
        _case("P-praise", P, "2026-11-05 10:00", "柜员很耐心"),
        _case("S-late", S, "2026-12-31 23:59", "建议增加取款机"),
        _case("C-after", C, "2027-01-01 00:00", "新年第一单"),  # 12-31 16:00 UTC: Q1 2027
    )
    monkeypatch.setattr(module, "BATCH", 2)  # several fetches from the cursor
    window = Period.parse_quarter("2026Q4").window(SHANGHAI)
    texts = [text async for text in problem_texts(engine, window)]
    assert texts == [
        ProblemText("C-first", C, "cash", "取款机吞卡"),
        ProblemText("S-late", S, "cash", "建议增加取款机"),
    ]
    q1 = Period.parse_quarter("2027Q1").window(SHANGHAI)
    assert [t.number async for t in problem_texts(engine, q1)] == ["C-after"]


async def test_many_texts_come_in_the_order_received(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = [
        _case(f"C{i:03}", C, f"2026-11-{1 + i // 10:02} {10 + i % 10}:00", f"第{i}条")
        for i in range(25)
    ]
    await _store(engine, *reversed(cases))
    monkeypatch.setattr(module, "BATCH", 4)
    window = Period.parse_month("2026-11").window(SHANGHAI)
    assert [t.number async for t in problem_texts(engine, window)] == [c.number for c in cases]

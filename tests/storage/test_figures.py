"""The figures of a quarter, on a data set whose every number was worked out by hand.

The cases below are the whole data set; each test's comments show the arithmetic from
this table. The report is made on 2027-01-04 09:00 (bank time), after the quarter.

| case | type, customer | received (+08) | promised due | what happened | rating |
| C1 | complaint, Alice tg | 11-02 10:00 | 11-05 10:00 | answered 11-04 15:00 (on time) | 5 |
| C2 | complaint, Bob wx | 11-02 11:00 | 11-05 11:00 | answered 11-09 10:00 (late) | 1 |
| C3 | complaint, Carol tg | 11-03 09:00 | 11-06 09:00 | extended to 11-12 (deadline and
|    |                    |             |             | legal ceiling) on 11-05, answered
|    |                    |             |             | 11-10 10:00: late against 11-06 | 4 |
| C4 | complaint, Dave wx | 11-20 10:00 | 11-25 10:00 | open: late; legal ceiling 12-05
|    |                    |             |             | passed open | - |
| C5 | complaint, Alice tg | 12-28 10:00 | 12-31 10:00 | open: late | - |
| C6 | complaint, Bob wx | 12-30 10:00 | 2027-01-05 | open, not due yet | - |
| C7 | complaint, Alice tg | 11-03 12:00 | 11-06 12:00 | open, merged into C1: never counted | - |
| C8 | complaint, Carol tg | 09-30 23:30 | 10-10 23:30 | received in Q3, answered 10-09 10:00 | - |
| C9 | complaint, Frank wx, kiosk | 12-31 23:59 | 2027-01-06 | open, not due yet | - |
| C10 | complaint, Frank wx | 2027-01-01 00:30 | 2027-01-06 | open (Q1 2027) | - |
| R1 | complaint, Erin tg | 10-19 10:00 | 10-22 10:00 | answered 10-21, reopened 10-23 with
|    |                   |             | then 10-28  | a new promise, answered 10-27 10:00 | - |
| S1 | suggestion, Alice | 10-12 10:00 | 10-19 10:00 | adopted 10-15 10:00, implemented 11-20 | 3 |
| S2 | suggestion, Bob | 10-13 10:00 | 10-20 10:00 | declined 10-20 10:00 (at the deadline) | 2 |
| S3 | suggestion, Carol | 12-01 10:00 | 12-08 10:00 | adopted 12-03 10:00, survey unanswered | - |
| S4 | suggestion, Dave | 12-10 10:00 | 12-17 10:00 | pending: late; legal ceiling 12-25
|    |                  |             |             | passed | - |
| S5 | suggestion, Alice | 12-30 10:00 | 2027-01-07 | pending, not due yet | - |
| P1 | praise, Carol | 11-16 10:00 | 11-23 10:00 | answered 11-16 15:00 | - |
| Y1 | complaint, Bob | 2025-11-10 10:00 | 2025-11-13 | answered 2025-11-11 10:00 | - |

Ratings are given an hour or two after the answer (S2's the next morning).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from core.analytics.definitions import SatisfactionDefinition
from core.analytics.periods import Period
from core.analytics.report import figures_report
from core.cases.calendar import WorkingCalendar
from core.cases.case import Case
from core.cases.classification import BusinessType, Cause, Channel, IntakeChannel
from core.cases.values import CaseType, Classification, Decision
from core.identity import Contact, CustomerId, Platform
from storage.analytics import SqlFigures
from storage.tables import CaseRow
from storage.unit_of_work import SqlUnitOfWork
from tests.factories import at

ALICE = CustomerId(Platform.TELEGRAM, "alice")
BOB = CustomerId(Platform.WECHAT, "bob")
CAROL = CustomerId(Platform.TELEGRAM, "carol")
DAVE = CustomerId(Platform.WECHAT, "dave")
ERIN = CustomerId(Platform.TELEGRAM, "erin")
FRANK = CustomerId(Platform.WECHAT, "frank")
NOW = at("2027-01-04 09:00")
STAFF = "staff:1"
A, B = Channel, BusinessType


@dataclass
class Spec:
    number: str
    type: CaseType
    customer: CustomerId
    received: str
    due: str
    channel: Channel
    business: BusinessType
    cause: Cause | None = None
    steps: list[tuple[str, str, Any]] = field(default_factory=list)
    intake_channel: IntakeChannel | None = None
    merged_into: str | None = None


def _spec(number: str, kind: CaseType, who: CustomerId, received: str, due: str, *axes: Any,
          steps: list[tuple[str, str, Any]] | None = None, **extra: Any) -> Spec:  # fmt: skip
    cause = axes[2] if len(axes) > 2 else None
    return Spec(
        number, kind, who, received, due, axes[0], axes[1], cause=cause, steps=steps or [], **extra
    )


C, S, P = CaseType.COMPLAINT, CaseType.SUGGESTION, CaseType.PRAISE
DATA = [
    _spec("C1", C, ALICE, "2026-11-02 10:00", "2026-11-05 10:00", A.COUNTER, B.DEBIT_CARD,
          Cause.SERVICE, steps=[("answer", "2026-11-04 15:00", None),
                                ("rate", "2026-11-04 16:00", 5)]),
    _spec("C2", C, BOB, "2026-11-02 11:00", "2026-11-05 11:00", A.ONLINE_BANKING, B.CREDIT_CARD,
          Cause.FEES_RETURNS, steps=[("answer", "2026-11-09 10:00", None),
                                     ("rate", "2026-11-09 12:00", 1)]),
    _spec("C3", C, CAROL, "2026-11-03 09:00", "2026-11-06 09:00", A.COUNTER, B.LOANS,
          Cause.RULES_PROCESSES, steps=[("extend", "2026-11-05 10:00", "2026-11-12 09:00"),
                                        ("answer", "2026-11-10 10:00", None),
                                        ("rate", "2026-11-10 11:00", 4)]),
    _spec("C4", C, DAVE, "2026-11-20 10:00", "2026-11-25 10:00", A.SELF_SERVICE, B.CASH,
          steps=[("assign", "2026-11-20 11:00", None)]),
    _spec("C5", C, ALICE, "2026-12-28 10:00", "2026-12-31 10:00", A.MOBILE_APP, B.DEBIT_CARD),
    _spec("C6", C, BOB, "2026-12-30 10:00", "2027-01-05 10:00", A.MOBILE_APP,
          B.PAYMENT_SETTLEMENT),
    _spec("C7", C, ALICE, "2026-11-03 12:00", "2026-11-06 12:00", A.COUNTER, B.DEBIT_CARD,
          Cause.SERVICE, merged_into="C1"),
    _spec("C8", C, CAROL, "2026-09-30 23:30", "2026-10-10 23:30", A.COUNTER, B.LOANS,
          Cause.SERVICE, steps=[("answer", "2026-10-09 10:00", None)]),
    _spec("C9", C, FRANK, "2026-12-31 23:59", "2027-01-06 23:59", A.COUNTER, B.DEPOSITS,
          Cause.SERVICE, intake_channel=IntakeChannel.KIOSK),
    _spec("C10", C, FRANK, "2027-01-01 00:30", "2027-01-06 00:30", A.COUNTER, B.DEPOSITS),
    _spec("R1", C, ERIN, "2026-10-19 10:00", "2026-10-22 10:00", A.SELF_SERVICE, B.DEBIT_CARD,
          Cause.FACILITIES, steps=[("answer", "2026-10-21 10:00", None),
                                   ("reopen", "2026-10-23 10:00", "2026-10-28 10:00"),
                                   ("answer", "2026-10-27 10:00", None)]),
    _spec("S1", S, ALICE, "2026-10-12 10:00", "2026-10-19 10:00", A.MOBILE_APP,
          B.PAYMENT_SETTLEMENT, steps=[("adopt", "2026-10-15 10:00", None),
                                       ("rate", "2026-10-15 12:00", 3),
                                       ("implement", "2026-11-20 10:00", None)]),
    _spec("S2", S, BOB, "2026-10-13 10:00", "2026-10-20 10:00", A.COUNTER, B.DEPOSITS,
          steps=[("decline", "2026-10-20 10:00", None), ("rate", "2026-10-21 09:00", 2)]),
    _spec("S3", S, CAROL, "2026-12-01 10:00", "2026-12-08 10:00", A.ONLINE_BANKING,
          B.WEALTH_MANAGEMENT, steps=[("adopt", "2026-12-03 10:00", None)]),
    _spec("S4", S, DAVE, "2026-12-10 10:00", "2026-12-17 10:00", A.COUNTER, B.DEPOSITS,
          steps=[("assign", "2026-12-10 11:00", None)]),
    _spec("S5", S, ALICE, "2026-12-30 10:00", "2027-01-07 10:00", A.MOBILE_APP, B.DEBIT_CARD,
          steps=[("assign", "2026-12-30 11:00", None), ("start", "2026-12-30 11:00", None)]),
    _spec("P1", P, CAROL, "2026-11-16 10:00", "2026-11-23 10:00", A.COUNTER, B.DEPOSITS,
          steps=[("answer", "2026-11-16 15:00", None)]),
    _spec("Y1", C, BOB, "2025-11-10 10:00", "2025-11-13 10:00", A.COUNTER, B.DEPOSITS,
          Cause.SERVICE,
          steps=[("answer", "2025-11-11 10:00", None)]),
]  # fmt: skip


def _department(business: BusinessType) -> str:
    return "cards" if business in (B.DEBIT_CARD, B.CREDIT_CARD) else "retail"


def _build(spec: Spec) -> Case:
    case = Case.file(
        number=spec.number,
        type=spec.type,
        customer=spec.customer,
        contact=Contact(),
        classification=Classification(spec.channel, spec.business, spec.cause),
        description="hand-worked figures",
        received_at=at(spec.received),
        due_at=at(spec.due),
        branch="Pudong" if spec.channel is A.COUNTER else None,
        department=_department(spec.business),
        intake_channel=spec.intake_channel,
    )
    case.merged_into = spec.merged_into
    for step, when, value in spec.steps:
        _do(case, step, at(when), value)
    return case


def _work_on(case: Case, now: datetime) -> None:
    if case.status.value in ("new", "reopened"):
        case.assign(department=case.department or "retail", assignee=STAFF, actor=STAFF, now=now)
    if case.status.value == "assigned":
        case.start(actor=STAFF, now=now)


def _do(case: Case, step: str, now: datetime, value: Any) -> None:
    if step == "assign":
        case.assign(department=case.department or "retail", assignee=STAFF, actor=STAFF, now=now)
    elif step == "start":
        case.start(actor=STAFF, now=now)
    elif step == "answer":
        _work_on(case, now)
        case.resolve(result="done", actor=STAFF, now=now)
    elif step in ("adopt", "decline"):
        _work_on(case, now)
        decision = Decision.ADOPTED if step == "adopt" else Decision.DECLINED
        case.decide(decision, result="decided", actor=STAFF, now=now)
    elif step == "rate":
        case.rate(value, actor=f"customer:{case.customer}", now=now)
    elif step == "implement":
        case.implement(what_changed="done", actor=STAFF, now=now)
    elif step == "extend":
        # As /extend past the legal ceiling: the ceiling first, then the deadline.
        case.extend(days=15, reason="complex", approver=STAFF, senior_approval=False,
                    actor=STAFF, now=now)  # fmt: skip
        case.postpone(due_at=at(value), reason="complex", actor=STAFF, now=now)
    elif step == "reopen":
        case.reopen(reason="new facts", due_at=at(value), actor=STAFF, now=now)
    else:
        raise AssertionError(step)


@pytest.fixture
async def figures(engine: AsyncEngine) -> SqlFigures:
    async with SqlUnitOfWork(engine) as uow:
        for spec in DATA:
            await uow.cases.add(_build(spec))
        await uow.commit()
    return SqlFigures(engine)


async def _report(
    figures: SqlFigures,
    calendar: WorkingCalendar,
    period: Period,
    satisfied_from: int = 4,
) -> dict[str, Any]:
    report = await figures_report(
        figures,
        period,
        now=NOW,
        calendar=calendar,
        satisfaction=SatisfactionDefinition(satisfied_from),
    )
    return report.as_json()


async def test_received_per_month_and_the_quarter_boundaries_in_bank_time(
    engine: AsyncEngine, figures: SqlFigures, calendar: WorkingCalendar
) -> None:
    q4 = await _report(figures, calendar, Period.parse_quarter("2026Q4"))
    # October: S1, S2, R1 = 3 (C8 came at 09-30 23:30 +08: September, Q3).
    # November: C1, C2, C3, C4, P1 = 5 (C7 was merged into C1: counted once).
    # December: C5, C6, S3, S4, S5 and C9 at 12-31 23:59 +08 = 6 (C10 at 01-01 00:30 +08,
    # still 12-31 in UTC, is January's).
    assert q4["received_per_month"] == {"2026-10": 3, "2026-11": 5, "2026-12": 6}
    assert q4["received"] == 3 + 5 + 6
    assert q4["period"] == {"label": "2026Q4", "kind": "quarter", "from": "2026-10-01",
                            "to": "2026-12-31"}  # fmt: skip
    # C8 is stored in UTC, 15:30 on the 30th, and still counted in Q3 (bank time).
    async with engine.connect() as conn:
        stored = await conn.scalar(
            select(col(CaseRow.received_at)).where(col(CaseRow.number) == "C8")
        )
    assert stored == datetime(2026, 9, 30, 15, 30, tzinfo=UTC)
    previous = q4["comparisons"]["previous"]
    assert previous["period"]["label"] == "2026Q3"
    assert previous["received"] == 1  # C8
    assert previous["received_per_month"] == {"2026-07": 0, "2026-08": 0, "2026-09": 1}

    september = await _report(figures, calendar, Period.parse_month("2026-09"))
    october = await _report(figures, calendar, Period.parse_month("2026-10"))
    assert (september["received"], october["received"]) == (1, 3)
    # The target: 14 received over 3 months = 4.6667 a month, against 200.
    assert q4["targets"]["received_per_month"] == {"target": 200, "value": 4.6667, "met": False}
    # 1-15 November is half a month: C1, C2, C3 and the merged C7 (not counted) = 3,
    # 3 / 0.5 = 6 a month.
    half = await _report(figures, calendar, Period.between(at("2026-11-01").date(),
                                                           at("2026-11-15").date()))  # fmt: skip
    assert half["received"] == 3
    assert half["targets"]["received_per_month"]["value"] == 6.0


async def test_on_time_counts_late_answers_extensions_and_unanswered_overdue_cases(
    figures: SqlFigures, calendar: WorkingCalendar
) -> None:
    q4 = await _report(figures, calendar, Period.parse_quarter("2026Q4"))
    # Answered in Q4: C1, C2, C3, C8, R1, S1, S2, S3, P1 = 9.
    # On time: C1 (11-04 <= 11-05), C8 (10-09 <= 10-10), R1 (10-27 <= 10-28, its promise
    # since the reopening), S1, S2 (10-20 10:00, exactly at the deadline), S3, P1 = 7.
    # Late: C2 (11-09 > 11-05) and C3 (11-10 > 11-06: the extension to 11-12 does not count).
    # Unanswered past a promised deadline in Q4: C4 (11-25), C5 (12-31), S4 (12-17) = 3;
    # C6, C9 and S5 are due after the report's moment, C7 is merged.
    # Rate: 7 / (9 + 3) = 0.5833.
    assert q4["on_time"] == {"rate": 0.5833, "answered": 9, "on_time": 7, "late_open": 3}
    assert q4["targets"]["on_time"] == {"target": 0.9, "value": 0.5833, "met": False}
    # Working days from receipt to answer (after the day received, up to the day answered):
    # P1 0; C1 2 (11-03, 11-04); C8 2 (10-01..10-07 National Day off, 10-08, 10-09);
    # S3 2; S1 3 (10-13..15); C2 5 (11-03..06, 11-09); C3 5 (11-04..06, 11-09, 11-10);
    # S2 5 (10-14..16, 10-19, 10-20); R1 6 (10-20..23, 10-26, 10-27).
    # Sorted 0 2 2 2 3 5 5 5 6: median = the 5th (ceil(9 * 0.5)) = 3, p90 = the 9th
    # (ceil(9 * 0.9)) = 6.
    assert q4["time_to_answer"] == {"answered": 9, "median_working_days": 3,
                                    "p90_working_days": 6}  # fmt: skip
    # Extensions granted in Q4: C3's deadline and legal ceiling, once each.
    assert q4["extensions"] == {"postponed": 1, "legal": 1}
    # Legal ceiling (15 days) passed while open: C4 (12-05), S4 (12-25) = 2; none answered late.
    assert q4["legal_breaches"] == 2
    # Answered after a reopening: R1, 1 of 9 = 0.1111.
    assert q4["reopened"] == {"rate": 0.1111, "answered": 9, "reopened": 1}
    # Open past their current deadline now: C4, C5, S4 (C7 is merged, C6/C9/C10/S5 not due).
    assert q4["overdue_now"] == 3
    # Nothing answered in Q3; Q4 2025: Y1 answered on time, 1 of 1.
    assert q4["comparisons"]["previous"]["on_time"]["rate"] is None
    year_ago = q4["comparisons"]["year_ago"]
    assert year_ago["period"]["label"] == "2025Q4"
    assert year_ago["on_time"] == {"rate": 1.0, "answered": 1, "on_time": 1, "late_open": 0}
    assert year_ago["received"] == 1


@pytest.mark.parametrize(
    ("satisfied_from", "definition", "satisfied", "rate"),
    [
        # Rated in Q4: C1 5, C3 4, S1 3, S2 2, C2 1: one of each.
        # Top-two-box: 5 and 4 = 2 of 5 = 0.4.
        (4, "ratings 4-5 of 5 (top-two-box)", 2, 0.4),
        # Counting 3 (基本满意) too: 5, 4 and 3 = 3 of 5 = 0.6.
        (3, "ratings 3-5 of 5 (top-three-box)", 3, 0.6),
    ],
)
async def test_satisfaction_with_each_rating_and_both_definitions(
    figures: SqlFigures,
    calendar: WorkingCalendar,
    satisfied_from: int,
    definition: str,
    satisfied: int,
    rate: float,
) -> None:
    q4 = await _report(figures, calendar, Period.parse_quarter("2026Q4"), satisfied_from)
    assert q4["satisfied"] == {
        "rate": rate,
        "answered": 5,
        "satisfied": satisfied,
        "definition": definition,
        "ratings": {"1": 1, "2": 1, "3": 1, "4": 1, "5": 1},
    }
    assert q4["targets"]["satisfied"] == {"target": 0.85, "value": rate, "met": False}
    # Response: of the 9 answered in Q4, C1, C2, C3, S1, S2 were rated = 5 / 9 = 0.5556.
    assert q4["response_rate"] == {"rate": 0.5556, "answered": 9, "rated": 5}
    # No survey answered in Q3: no rate rather than 0.
    assert q4["comparisons"]["previous"]["satisfied"]["rate"] is None


async def test_adoption_leaves_pending_suggestions_out(
    figures: SqlFigures, calendar: WorkingCalendar
) -> None:
    q4 = await _report(figures, calendar, Period.parse_quarter("2026Q4"))
    # Decided in Q4: S1 adopted, S2 declined, S3 adopted = 2 of 3 = 0.6667; S4 and S5
    # are pending and not counted. S1 was implemented in Q4, and Alice told.
    assert q4["adopted"] == {"rate": 0.6667, "decided": 3, "adopted": 2, "implemented": 1,
                             "announced": 1}  # fmt: skip
    assert q4["targets"]["adopted"] == {"target": 0.5, "value": 0.6667, "met": True}
    # December alone: S3 adopted, 1 of 1; S4 and S5 pending.
    december = await _report(figures, calendar, Period.parse_month("2026-12"))
    assert december["adopted"] == {"rate": 1.0, "decided": 1, "adopted": 1, "implemented": 0,
                                   "announced": 0}  # fmt: skip


async def test_repeat_complainants_count_a_merged_complaint_once(
    figures: SqlFigures, calendar: WorkingCalendar
) -> None:
    q4 = await _report(figures, calendar, Period.parse_quarter("2026Q4"))
    # Complaints received in Q4: Alice C1, C5 (C7 merged into C1); Bob C2, C6; Carol C3;
    # Dave C4; Erin R1; Frank C9. Two or more: Alice and Bob, with 4 complaints.
    assert q4["repeat_complainants"] == {"customers": 2, "complaints": 4}


def _by_key(rows: list[dict[str, Any]], *path: str) -> dict[str | None, Any]:
    def value(row: dict[str, Any]) -> Any:
        for step in path:
            row = row[step]
        return row

    return {row["key"]: value(row) for row in rows}


async def test_the_jrt_breakdown_and_the_others(
    figures: SqlFigures, calendar: WorkingCalendar
) -> None:
    q4 = await _report(figures, calendar, Period.parse_quarter("2026Q4"))
    breakdowns = q4["breakdowns"]
    # Axis A, where the business happened: counter C1, C3, C9, S2, S4, P1 = 6; mobile app
    # C5, C6, S1, S5 = 4; online banking C2, S3 = 2; self-service C4, R1 = 2.
    assert _by_key(breakdowns["channel"], "received") == {
        "counter": 6, "mobile_app": 4, "online_banking": 2, "self_service": 2,
    }  # fmt: skip
    # On time per axis A: counter answered C1, C3 (late), S2, P1 and C8 (received in Q3),
    # late open S4: 4 / 6 = 0.6667. Mobile app S1 on time, C5 late open: 1 / 2. Online
    # banking C2 late, S3 on time: 1 / 2. Self-service R1 on time, C4 late open: 1 / 2.
    assert _by_key(breakdowns["channel"], "on_time") == {
        "counter": {"rate": 0.6667, "answered": 5, "on_time": 4, "late_open": 1},
        "mobile_app": {"rate": 0.5, "answered": 1, "on_time": 1, "late_open": 1},
        "online_banking": {"rate": 0.5, "answered": 2, "on_time": 1, "late_open": 0},
        "self_service": {"rate": 0.5, "answered": 1, "on_time": 1, "late_open": 1},
    }
    # Axis B: debit card C1, C5, S5, R1; deposits C9, S2, S4, P1; payment C6, S1; one each
    # for credit card C2, loans C3, cash C4, wealth management S3. C8 (Q3) is a loans
    # case answered in Q4: it counts there for on time, not for received.
    assert _by_key(breakdowns["business_type"], "received") == {
        "cash": 1, "credit_card": 1, "debit_card": 4, "deposits": 4, "loans": 1,
        "payment_settlement": 2, "wealth_management": 1,
    }  # fmt: skip
    assert _by_key(breakdowns["business_type"], "on_time", "answered")["loans"] == 2
    # Axis C: service C1, C9; fees C2; rules C3; facilities R1; the other 9 not classified
    # yet (None, listed last).
    causes = _by_key(breakdowns["cause"], "received")
    assert causes == {"facilities": 1, "fees_returns": 1, "rules_processes": 1, "service": 2,
                      None: 9}  # fmt: skip
    assert list(causes)[-1] is None
    # Intake channel, stored on the case: Telegram Alice 4, Carol 3, Erin 1 = 8; WeChat
    # Bob 3, Dave 2 = 5; C9 came in at a kiosk although Frank is a WeChat customer.
    assert _by_key(breakdowns["intake_channel"], "received") == {
        "kiosk": 1, "telegram": 8, "wechat": 5,
    }  # fmt: skip
    assert _by_key(breakdowns["type"], "received") == {
        "complaint": 8, "praise": 1, "suggestion": 5,
    }  # fmt: skip
    # Satisfied per type: complaints rated 5, 4, 1 -> 2 of 3; suggestions 3, 2 -> 0 of 2.
    assert _by_key(breakdowns["type"], "satisfied", "satisfied") == {
        "complaint": 2, "praise": 0, "suggestion": 0,
    }  # fmt: skip
    # Branch: the counter cases are Pudong's (6), the rest have none (8).
    assert _by_key(breakdowns["branch"], "received") == {"Pudong": 6, None: 8}
    # Department: cards has the card cases C1, C2, C5, S5, R1 = 5; retail the other 9.
    assert _by_key(breakdowns["department"], "received") == {"cards": 5, "retail": 9}
    # Overdue now per department: cards C5; retail C4, S4.
    assert _by_key(breakdowns["department"], "overdue_now") == {"cards": 1, "retail": 2}
    # The comparison periods have the same groups (with zeros where nothing happened):
    # Q3 received one loans case (C8).
    previous = q4["comparisons"]["previous"]["breakdowns"]["business_type"]
    received = _by_key(previous, "received")
    assert set(received) == set(_by_key(breakdowns["business_type"], "received"))
    assert {key: n for key, n in received.items() if n} == {"loans": 1}


async def test_a_departments_report_counts_its_cases_only(
    figures: SqlFigures, calendar: WorkingCalendar
) -> None:
    period = Period.parse_quarter("2026Q4")
    bank = await _report(figures, calendar, period)
    report = await figures_report(
        figures,
        period,
        now=NOW,
        calendar=calendar,
        satisfaction=SatisfactionDefinition(4),
        department="cards",
    )
    cards = report.as_json()
    # Cards has C1, C2, C5, S5, R1 (C7, merged into C1, is not counted).
    assert cards["department"] == "cards" and cards["received"] == 5
    # Its figures are the cards row of the bank's breakdown by department, every one.
    [row] = [r for r in bank["breakdowns"]["department"] if r["key"] == "cards"]
    for name in ("received", "on_time", "satisfied", "adopted", "time_to_answer", "reopened"):
        assert cards[name] == row[name], name
    assert cards["overdue_now"] == row["overdue_now"] == 1  # C5
    # Alice complained twice about her debit card (C1, C5): a repeat complainant there.
    assert cards["repeat_complainants"] == {"customers": 1, "complaints": 2}
    assert {r["key"] for r in cards["breakdowns"]["department"]} == {"cards"}


async def test_an_empty_database_gives_zeros_and_no_rates(
    engine: AsyncEngine, calendar: WorkingCalendar
) -> None:
    q4 = await _report(SqlFigures(engine), calendar, Period.parse_quarter("2026Q4"))
    assert q4["received"] == 0
    assert q4["received_per_month"] == {"2026-10": 0, "2026-11": 0, "2026-12": 0}
    assert q4["on_time"] == {"rate": None, "answered": 0, "on_time": 0, "late_open": 0}
    assert q4["targets"]["on_time"] == {"target": 0.9, "value": None, "met": None}
    assert q4["common_problems"] == []
    assert all(rows == [] for rows in q4["breakdowns"].values())


async def test_a_complaint_merged_through_the_desk_is_counted_once(
    engine: AsyncEngine, calendar: WorkingCalendar
) -> None:
    """Merged as `/merge` merges it (the aggregate, stored through the repository), a
    repeated complaint leaves the earlier one counted alone, answered on time."""
    first, repeat = (
        _build(_spec(n, C, ALICE, received, due, A.COUNTER, B.DEBIT_CARD))
        for n, received, due in (
            ("CP-1", "2026-11-02 10:00", "2026-11-05 10:00"),
            ("CP-2", "2026-11-03 10:00", "2026-11-06 10:00"),
        )
    )
    repeat.merge_into(first, actor=STAFF, now=at("2026-11-03 11:00"))
    first.classify(cause=Cause.SERVICE, actor=STAFF, now=at("2026-11-04 09:00"))
    _do(first, "answer", at("2026-11-04 10:00"), None)
    async with SqlUnitOfWork(engine) as uow:
        for case in (first, repeat):
            await uow.cases.add(case)
        await uow.commit()
    november = await _report(SqlFigures(engine), calendar, Period.parse_month("2026-11"))
    assert november["received"] == 1
    assert november["on_time"] == {"rate": 1.0, "answered": 1, "on_time": 1, "late_open": 0}
    assert november["repeat_complainants"] == {"customers": 0, "complaints": 0}
    assert november["overdue_now"] == 0

"""`intake report`: the figures of a period as one JSON object, or the four targets."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from core.cases.classification import BusinessType, Channel
from core.cases.values import CaseType, Classification
from storage.unit_of_work import SqlUnitOfWork
from tests.conftest import database_url
from tests.factories import at, new_case
from tests.processes import run_intake

STAFF = "staff:1"


async def _one_answered_complaint(engine: AsyncEngine) -> None:
    """Received 2026-11-02 10:00, due 11-05 10:00, answered 11-04 10:00, rated 3."""
    case = new_case()
    case.assign(department="cards", assignee=STAFF, actor=STAFF, now=at("2026-11-02 11:00"))
    case.start(actor=STAFF, now=at("2026-11-02 11:00"))
    case.resolve(result="done", actor=STAFF, now=at("2026-11-04 10:00"))
    case.rate(3, actor="customer:telegram:1001", now=at("2026-11-04 11:00"))
    async with SqlUnitOfWork(engine) as uow:
        await uow.cases.add(case)
        await uow.commit()


async def test_report_json_has_the_documented_keys(tmp_path: Path, engine: AsyncEngine) -> None:
    await _one_answered_complaint(engine)
    env = {"DATABASE_URL": database_url(tmp_path)}
    code, out, err = await run_intake(
        "report", "--month", "2026-11", "--json", cwd=tmp_path, env=env
    )
    assert code == 0, err
    figures = json.loads(out)
    for key in ("period", "received", "received_per_month", "on_time", "satisfied", "adopted"):
        assert key in figures
    assert figures["period"]["label"] == "2026-11"
    assert figures["received"] == 1 and figures["received_per_month"] == {"2026-11": 1}
    assert figures["on_time"] == {"rate": 1.0, "answered": 1, "on_time": 1, "late_open": 0}
    # A 3 is not satisfied by default (4-5), and is with INTAKE_SATISFIED_FROM=3.
    assert figures["satisfied"]["rate"] == 0.0
    assert figures["satisfied"]["definition"] == "ratings 4-5 of 5 (top-two-box)"
    assert figures["adopted"] == {"rate": None, "decided": 0, "adopted": 0} | {
        "implemented": 0,
        "announced": 0,
    }
    assert set(figures["targets"]) == {"received_per_month", "on_time", "satisfied", "adopted"}
    assert figures["targets"]["on_time"] == {"target": 0.9, "value": 1.0, "met": True}
    assert figures["common_problems"] == []
    assert set(figures["comparisons"]) == {"previous", "year_ago"}
    assert figures["comparisons"]["previous"]["period"]["label"] == "2026-10"

    env["INTAKE_SATISFIED_FROM"] = "3"
    code, out, err = await run_intake(
        "report", "--from", "2026-11-01", "--to", "2026-11-30", "--json", cwd=tmp_path, env=env
    )
    assert code == 0, err
    figures = json.loads(out)
    assert figures["period"]["label"] == "2026-11-01..2026-11-30"
    assert figures["satisfied"]["rate"] == 1.0
    assert figures["satisfied"]["definition"] == "ratings 3-5 of 5 (top-three-box)"


async def test_report_without_json_prints_the_four_targets(
    tmp_path: Path, engine: AsyncEngine
) -> None:
    await _one_answered_complaint(engine)
    env = {"DATABASE_URL": database_url(tmp_path)}
    code, out, err = await run_intake("report", "--quarter", "2026Q4", cwd=tmp_path, env=env)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "figures for 2026Q4 (2026-10-01 to 2026-12-31, bank time)"
    assert lines[1].split("\t")[:4] == ["received per month", "0.3", "target >= 200", "NOT met"]
    assert lines[2].split("\t")[:4] == ["on time", "100.0%", "target >= 90.0%", "met"]
    assert lines[3].split("\t")[:4] == ["satisfied", "0.0%", "target >= 85.0%", "NOT met"]
    assert lines[4].split("\t")[:4] == [
        "suggestions adopted",
        "-",
        "target >= 50.0%",
        "nothing counted",
    ]


async def test_report_refuses_a_period_it_cannot_read(tmp_path: Path, engine: AsyncEngine) -> None:
    env = {"DATABASE_URL": database_url(tmp_path)}
    for args, says in [
        (("--quarter", "2026Q5"), "not a quarter: '2026Q5'; write it as 2026Q4"),
        (("--from", "2026-11-01"), "--from needs --to"),
        (("--from", "2026-11-30", "--to", "2026-11-01"), "is before --from"),
        (("--month", "2026-11", "--to", "2026-11-30"), "--to goes with --from only"),
        (("--month", "2026-11", "--year", "2026"), "not allowed with argument"),
        (("--month", "2026-11", "--json", "--reveal"), "--json prints the figures"),
        (("--month", "2026-11", "--json", "--out", "x"), "leave out --out and --reveal"),
    ]:
        code, out, err = await run_intake("report", *args, cwd=tmp_path, env=env)
        assert (code, out) == (2, ""), args
        assert err.startswith("intake: ") and says in err and len(err.splitlines()) == 1, err


# (number, type, business type, received, text): one problem recurring in Q4 2026 and
# raised once in Q3, one raised twice in both, and texts that recur nowhere.
TEXTS = [
    ("CP-Q3-1", "complaint", "payment_settlement", "2026-08-10 10:00", "手机银行转账失败"),
    ("CP-Q3-2", "complaint", "credit_card", "2026-09-01 10:00", "信用卡年费太贵"),
    ("CP-Q3-3", "complaint", "credit_card", "2026-09-02 10:00", "信用卡年费被扣了"),
    ("CP-Q4-1", "complaint", "payment_settlement", "2026-10-08 09:00",
     "你好。手机银行转账一直失败，我的电话13812348000"),
    ("CP-Q4-2", "complaint", "payment_settlement", "2026-11-11 11:00",
     "手机银行转账提示限额，卡号6222021234567890123"),
    ("SG-Q4-3", "suggestion", "payment_settlement", "2026-12-01 15:00",
     "建议手机银行转账别老是失败"),
    ("CP-Q4-4", "complaint", "payment_settlement", "2026-12-31 23:00", "手机银行转账到账太慢"),
    ("CP-Q4-5", "complaint", "credit_card", "2026-10-20 10:00", "信用卡年费又扣了"),
    ("CP-Q4-6", "complaint", "credit_card", "2026-11-20 10:00", "年费，信用卡的，为什么收"),
    ("CP-Q4-7", "complaint", "cash", "2026-11-21 10:00", "柜员态度不好"),
    ("CP-Q4-8", "complaint", "deposits", "2027-01-01 00:10", "手机银行转账失败"),  # 2027Q1
]  # fmt: skip


async def _texts(engine: AsyncEngine) -> None:
    async with SqlUnitOfWork(engine) as uow:
        for number, kind, business, received, text in TEXTS:
            case = new_case(
                number,
                type=CaseType(kind),
                classification=Classification(Channel.MOBILE_APP, BusinessType(business)),
                description=text,
                received_at=at(received),
                due_at=at("2027-01-20 10:00"),
            )
            await uow.cases.add(case)
        await uow.commit()


async def test_report_lists_the_common_problems_of_the_quarter(
    tmp_path: Path, engine: AsyncEngine
) -> None:
    await _texts(engine)
    env = {"DATABASE_URL": database_url(tmp_path)}
    code, out, err = await run_intake(
        "report", "--quarter", "2026Q4", "--json", cwd=tmp_path, env=env
    )
    assert code == 0, err
    assert "Prefix dict" not in err  # jieba's progress lines stay in the debug log
    mobile, fees = json.loads(out)["common_problems"]
    # 4 of Q4's 7 texts (CP-Q4-8 is 2027's); 1 in Q3: new enough to be rising.
    assert mobile == {
        "label": "手机银行 / 转账",
        "keywords": ["手机银行", "转账"],
        "business_type": "payment_settlement",
        "count": 4,
        "complaints": 3,
        "suggestions": 1,
        "share": 0.5714,
        "previous": 1,
        "change": 3,
        "rising": True,
        "examples": [
            "手机银行转账一直失败，我的电话138****8000",
            "手机银行转账提示限额，卡号6222 **** 0123",
            "建议手机银行转账别老是失败",
        ],
        "example_cases": ["CP-Q4-1", "CP-Q4-2", "SG-Q4-3"],
    }
    # Two in Q4 as in Q3: the same problem, whatever the order of its words.
    assert (fees["label"], fees["business_type"], fees["count"]) == (
        "信用卡 / 年费",
        "credit_card",
        2,
    )
    assert (fees["previous"], fees["change"], fees["rising"]) == (2, 0, False)

    code, out, err = await run_intake("report", "--quarter", "2026Q4", cwd=tmp_path, env=env)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[5:8] == [
        "common problems (count, share, change against the previous period):",
        "手机银行 / 转账\tpayment_settlement\t4\t57.1%\t+3\trising",
        "信用卡 / 年费\tcredit_card\t2\t28.6%\t+0",
    ]
    assert [line.split(": ", 1)[0] for line in lines[8:]] == ["written"] * 3


async def test_report_takes_the_banks_own_words(tmp_path: Path, engine: AsyncEngine) -> None:
    async with SqlUnitOfWork(engine) as uow:
        for i in range(2):
            case = new_case(
                f"CP-2026110{i}-0001",
                description="鑫享宝理财到期不能赎回",
                received_at=at(f"2026-11-0{i + 2} 10:00"),
            )
            await uow.cases.add(case)
        await uow.commit()
    words = tmp_path / "bank-words.txt"
    words.write_text("鑫享宝 10 nz\n", encoding="utf-8")
    env = {"DATABASE_URL": database_url(tmp_path), "INTAKE_BANK_WORDS_FILE": str(words)}
    code, out, err = await run_intake(
        "report", "--month", "2026-11", "--json", cwd=tmp_path, env=env
    )
    assert code == 0, err
    [problem] = json.loads(out)["common_problems"]
    assert problem["keywords"] == ["鑫享宝", "理财"]

    env["INTAKE_BANK_WORDS_FILE"] = str(tmp_path / "missing.txt")
    code, out, err = await run_intake("report", "--month", "2026-11", cwd=tmp_path, env=env)
    assert (code, out) == (2, "")
    assert "no such file" in err and "missing.txt" in err, err

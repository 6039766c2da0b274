"""`intake report`: the figures of a period as one JSON object, or the four targets."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

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

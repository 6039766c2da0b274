"""`intake report` without --json: the HTML report, the workbook and the case CSV, as an
operator gets them — every case of the period, masked unless --reveal, which is audited."""

from __future__ import annotations

import asyncio
import csv
import getpass
import os
import pty
from pathlib import Path
from select import select as select_fds

from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from core.cases.values import CaseType
from core.identity import Contact
from reports.case_rows import COLUMNS
from reports.workbook import ReportWorkbook
from storage.crypto import DataKeys, generate_key, use_keys
from storage.tables import CaseEventRow
from storage.unit_of_work import SqlUnitOfWork
from tests.conftest import database_url
from tests.factories import BOB, at, new_case
from tests.processes import run_intake, start_intake

INSIDE = ("CP-20261001-0001", "SG-20261215-0001")
OUTSIDE = ("CP-20260930-0001", "CP-20270101-0001")
WORDS = "自动取款机吞卡了，请回电13812348000，我是张三。"


async def _cases_around_the_quarter(engine: AsyncEngine) -> None:
    """Two cases in 2026Q4, at its first minutes and in December, and one on each side
    of it, in bank time."""
    cases = [
        new_case(INSIDE[0], received_at=at("2026-10-01 00:10"), description=WORDS),
        new_case(
            INSIDE[1],
            type=CaseType.SUGGESTION,
            customer=BOB,
            contact=Contact("李四", "13900001111", at("2026-12-15 09:00")),
            description="建议网点周末也营业",
            received_at=at("2026-12-15 09:00"),
            due_at=at("2026-12-22 09:00"),
        ),
        new_case(OUTSIDE[0], received_at=at("2026-09-30 23:30"), due_at=at("2026-10-09 10:00")),
        new_case(OUTSIDE[1], received_at=at("2027-01-01 00:00"), due_at=at("2027-01-06 10:00")),
    ]
    async with SqlUnitOfWork(engine) as uow:
        for case in cases:
            await uow.cases.add(case)
        await uow.commit()


def _workbook_cases(path: Path) -> list[dict[str, object]]:
    book = load_workbook(path, read_only=True)
    assert book.sheetnames[0] == "figures 指标" and "business type" in book.sheetnames
    rows = list(book["cases 案件"].iter_rows(values_only=True))
    assert rows[0] == COLUMNS
    # Empty cells are not written, so a row ends at its last value.
    return [
        dict(zip(COLUMNS, row + (None,) * (len(COLUMNS) - len(row)), strict=True))
        for row in rows[1:]
    ]


def _csv_cases(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert tuple(rows[0]) == COLUMNS
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]]


async def _reveals(engine: AsyncEngine) -> list[CaseEventRow]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(CaseEventRow).where(col(CaseEventRow.action) == "revealed_contact")
        )
        return [CaseEventRow.model_validate(r._mapping) for r in rows]


async def test_the_files_hold_every_case_of_the_period_masked(
    tmp_path: Path, engine: AsyncEngine
) -> None:
    key = generate_key("k1")
    use_keys(engine, DataKeys.parse(key))  # contact data encrypted at rest
    await _cases_around_the_quarter(engine)
    env = {"DATABASE_URL": database_url(tmp_path), "INTAKE_DATA_KEYS": key}
    out = tmp_path / "out" / "q4"
    code, stdout, err = await run_intake(
        "report", "--quarter", "2026Q4", "--out", str(out), cwd=tmp_path, env=env
    )
    assert code == 0, err
    lines = stdout.splitlines()
    assert lines[0].startswith("figures for 2026Q4")
    assert lines[-3:] == [
        f"written: {out / 'report-2026Q4.html'}",
        f"written: {out / 'report-2026Q4.xlsx'}",
        f"written: {out / 'cases-2026Q4.csv'}",
    ]
    assert err == ""  # no terminal: no progress

    for cases in (
        _workbook_cases(out / "report-2026Q4.xlsx"),
        _csv_cases(out / "cases-2026Q4.csv"),
    ):
        assert [c["编号 number"] for c in cases] == list(INSIDE)
        first, second = cases
        assert (first["姓名 name"], first["电话 phone"]) == ("张*", "138****8000")
        assert (second["姓名 name"], second["电话 phone"]) == ("李*", "139****1111")
        assert first["描述 description"] == "自动取款机吞卡了，请回电138****8000，我是张*。"
        assert second["描述 description"] == "建议网点周末也营业"
        assert second["客户账号 customer_id"] == "oBo****enid"
        assert str(first["受理时间 received_at"]).startswith("2026-10-01 00:10")
    html = (out / "report-2026Q4.html").read_text(encoding="utf-8")
    assert "客户意见分析报告" in html and "13812348000" not in html
    assert await _reveals(engine) == []


async def test_reveal_writes_the_data_unmasked_and_audits_every_case(
    tmp_path: Path, engine: AsyncEngine
) -> None:
    await _cases_around_the_quarter(engine)
    env = {"DATABASE_URL": database_url(tmp_path)}
    code, _, err = await run_intake(
        "report", "--quarter", "2026Q4", "--reveal", cwd=tmp_path, env=env
    )
    assert code == 0, err
    out = tmp_path / "reports"  # the default
    for cases in (
        _workbook_cases(out / "report-2026Q4.xlsx"),
        _csv_cases(out / "cases-2026Q4.csv"),
    ):
        first, second = cases
        assert (first["姓名 name"], first["电话 phone"]) == ("张三", "13812348000")
        assert first["描述 description"] == WORDS
        assert (second["姓名 name"], second["客户账号 customer_id"]) == ("李四", "oBob-openid")

    reveals = await _reveals(engine)
    assert sorted(e.case_number for e in reveals) == sorted(INSIDE)
    for event in reveals:
        assert event.actor == "admin:cli"
        assert event.note is not None
        assert f"OS user {getpass.getuser()}" in event.note
        assert "report-2026Q4.xlsx" in event.note and "cases-2026Q4.csv" in event.note


async def test_a_period_without_cases_still_gets_its_files(
    tmp_path: Path, engine: AsyncEngine
) -> None:
    env = {"DATABASE_URL": database_url(tmp_path)}
    code, _, err = await run_intake("report", "--month", "2026-11", cwd=tmp_path, env=env)
    assert code == 0, err
    assert _workbook_cases(tmp_path / "reports" / "report-2026-11.xlsx") == []
    assert _csv_cases(tmp_path / "reports" / "cases-2026-11.csv") == []
    html = (tmp_path / "reports" / "report-2026-11.html").read_text(encoding="utf-8")
    assert "none found" in html  # no common problems


def test_cases_beyond_a_sheet_go_on_in_the_next_one(tmp_path: Path) -> None:
    """Excel stops a sheet at 1,048,576 rows; the cases continue rather than being cut
    (here with sheets of three rows: the header and two cases)."""
    path = tmp_path / "book.xlsx"
    book = ReportWorkbook(path, sheet_rows=3)
    pasted = "<b>&\x07 客户原话"  # markup and a control character XML cannot hold
    for i in range(5):
        book.add([f"CP-{i}", pasted, i, *([None] * (len(COLUMNS) - 3))])
    book.save()
    sheets = load_workbook(path, read_only=True)
    assert sheets.sheetnames == ["cases 案件", "cases 案件 2", "cases 案件 3"]
    rows = [
        row[:3]
        for name in sheets.sheetnames
        for row in sheets[name].iter_rows(min_row=2, values_only=True)
    ]
    assert rows == [(f"CP-{i}", "<b>& 客户原话", i) for i in range(5)]


async def test_progress_shows_on_a_terminal(tmp_path: Path, engine: AsyncEngine) -> None:
    await _cases_around_the_quarter(engine)
    env = {"DATABASE_URL": database_url(tmp_path)}
    reader, terminal = pty.openpty()
    try:
        process = await start_intake(
            "report", "--quarter", "2026Q4", cwd=tmp_path, env=env, stderr=terminal
        )
        os.close(terminal)
        assert await asyncio.wait_for(process.wait(), 60) == 0
        shown = b""
        while select_fds([reader], [], [], 0)[0]:
            try:
                chunk = os.read(reader, 4096)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(reader)
    assert b"cases read and rows written: 2" in shown
    assert b"saving the workbook" in shown

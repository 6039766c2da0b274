"""The texts of the complaints and suggestions received in a window, streamed for the
analysis of common problems (`core.problems`).

The rows come from a server-side cursor (`AsyncConnection.stream`, fetched in batches),
the same code on SQLite and PostgreSQL, so a quarter of a million cases never sits in
memory. Merged cases are left out (their matter is the earlier case's, counted once),
and so are the cases of customers who asked to be forgotten (their text is erased).
The columns are read through the table's types, which decrypt whatever is stored
encrypted; descriptions are stored as written.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from sqlalchemy import Table, and_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from core.analytics.periods import Window
from core.cases.values import CaseType
from core.problems.grouping import ProblemText
from storage.tables import CaseRow

_CASES: Table = CaseRow.__table__  # type: ignore[attr-defined]
_ANALYSED = (CaseType.COMPLAINT.value, CaseType.SUGGESTION.value)
BATCH = 1000  # rows per fetch from the cursor


async def problem_texts(
    engine: AsyncEngine, window: Window, *, department: str | None = None
) -> AsyncIterator[ProblemText]:
    """The texts received in [window.start, window.end), of one department's cases or
    (None) of all, in the order received."""
    c = _CASES.c
    stmt = (
        select(c.number, c.type, c.business_type, c.description)
        .where(
            and_(c.received_at >= window.start, c.received_at < window.end),
            c.type.in_(_ANALYSED),
            c.merged_into.is_(None),
            c.forgotten_at.is_(None),
        )
        .order_by(c.received_at, c.number)
        .execution_options(yield_per=BATCH)
    )
    if department is not None:
        stmt = stmt.where(c.department == department)
    async with engine.connect() as conn:
        result = await conn.stream(stmt)
        async for number, kind, business_type, text in result:
            yield ProblemText(number, CaseType(kind), business_type, text)

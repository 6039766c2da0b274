"""Deadline alerts already raised: a claim is an insert that succeeds once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import upsert
from storage.tables import CaseAlertRow


class SqlCaseAlerts:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim(
        self, alerts: list[tuple[str, str, datetime]], now: datetime
    ) -> set[tuple[str, str]]:
        """Record (case number, kind, deadline) alerts; returns the (number, kind) pairs
        recorded now — the ones no transaction recorded before."""
        if not alerts:
            return set()
        # Rows as parameters (one cached statement, sent in batches), not inlined values.
        result = await self._session.execute(
            upsert(self._session, CaseAlertRow)
            .on_conflict_do_nothing(index_elements=["case_number", "kind", "deadline"])
            .returning(CaseAlertRow.case_number, CaseAlertRow.kind),
            [{"case_number": n, "kind": k, "deadline": d, "sent_at": now} for n, k, d in alerts],
        )
        return {(n, k) for n, k in result}

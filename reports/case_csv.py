"""The CSV of a period's cases: UTF-8 with a byte-order mark, which is what makes Excel
read Chinese correctly, written a row at a time."""

from __future__ import annotations

import csv
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from reports.case_rows import COLUMNS


class CaseCsv:
    """Open it with `with`; `add` one case's values at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = path.open("w", encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._file)
        self._writer.writerow(COLUMNS)

    def add(self, values: list[Any]) -> None:
        self._writer.writerow(["" if v is None else v for v in values])

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._file.close()

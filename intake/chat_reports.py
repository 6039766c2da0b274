"""The reports staff get in chat (`/report`, and the supervisors' monthly and quarterly
ones): made when the outbox sends them, and their files served by link.

Each report is written into a folder of its own under `INTAKE_REPORTS_DIR/chat/`, named
by a random token: the link to a file is `INTAKE_PUBLIC_URL/reports/TOKEN/FILE`, which
only its recipient was told. A link works for `INTAKE_REPORT_LINK_HOURS` by the
service's clock (written beside the files); expired folders are removed whenever a
report is made. The files are masked (`--reveal` exists only on
the command line, where it is audited).
"""

from __future__ import annotations

import re
import secrets
import shutil
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from core.analytics.views import targets_text
from core.channel.outbox import MadeReport, ReportOrder
from core.messages import t
from intake.config import Settings
from intake.reporting import write_report

ROUTE = "/reports/{token}/{name}"
# The audit trail's name for reports made for a chat (they reveal nothing).
ACTOR = "system:chat-report"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")
_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}")  # never a hidden file
# Beside a report's files: until when its links work, by the service's clock.
_EXPIRES = ".expires"


_GONE = (
    "This report link does not exist or has expired: ask for the report again with"
    " /report in the chat.\n本报告链接不存在或已过期，请在聊天中发送 /report 重新获取。\n"
)


class ChatReports:
    """`ChannelDelivery.reports`: makes an ordered report; serves its files by link."""

    def __init__(
        self, engine: AsyncEngine, settings: Settings, clock: Callable[[], datetime]
    ) -> None:
        self._engine = engine
        self._settings = settings
        self._clock = clock
        self._root = settings.intake_reports_dir / "chat"
        self._valid = timedelta(hours=settings.intake_report_link_hours)

    async def __call__(self, order: ReportOrder) -> MadeReport:
        now = self._clock()
        self._remove_expired(now)
        token = secrets.token_urlsafe(24)
        folder = self._root / token
        made = await write_report(
            self._engine,
            self._settings,
            order.period,
            now=now,
            out_dir=folder,
            reveal=False,
            actor=ACTOR,
            progress=None,
            department=order.department,
        )
        (folder / _EXPIRES).write_text((now + self._valid).isoformat(), encoding="utf-8")
        files = (made.html, made.xlsx)
        summary = targets_text(order.language, made.figures)
        return MadeReport(summary, files, self._where(order.language, token, files))

    def _where(self, language: str, token: str, files: tuple[Path, ...]) -> str:
        base = self._settings.intake_public_url
        if base is None:
            return t(
                language,
                "report.files.where",
                dir=str(self._root / token),
                files=", ".join(f.name for f in files),
            )
        links = "\n".join(f"{base.rstrip('/')}/reports/{token}/{f.name}" for f in files)
        return t(
            language, "report.files.links", hours=self._valid // timedelta(hours=1), links=links
        )

    def _remove_expired(self, now: datetime) -> None:
        if not self._root.is_dir():
            return
        for folder in self._root.iterdir():
            if folder.is_dir() and self._expired(folder, now):
                shutil.rmtree(folder, ignore_errors=True)

    @staticmethod
    def _expired(folder: Path, now: datetime) -> bool:
        """Past its links' time; a folder without one is being written (or is not ours)."""
        try:
            expires = datetime.fromisoformat((folder / _EXPIRES).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return now >= expires

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(ROUTE, self._serve)

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        token, name = request.match_info["token"], request.match_info["name"]
        if _TOKEN.fullmatch(token) and _NAME.fullmatch(name):
            folder = self._root / token
            path = folder / name
            if (
                path.is_file()
                and (folder / _EXPIRES).is_file()
                and not self._expired(folder, self._clock())
            ):
                return web.FileResponse(
                    path, headers={"Content-Disposition": f'attachment; filename="{name}"'}
                )
        raise web.HTTPNotFound(text=_GONE)

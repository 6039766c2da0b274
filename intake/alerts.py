"""Problems only an administrator can fix: logged, and queued to every active admin.

An alert is logged at ERROR (with `admin_alert: true`, for monitoring) and sent to the
chats of staff with the admin role through the outbox, once per problem and day. An
alert that itself cannot be delivered is only logged, so failures never feed on
themselves.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime

from core.channel.io import Reply
from core.channel.outbox import OutboundMessage
from core.desk.staff import Role
from core.ports import UnitOfWork
from storage.unit_of_work import SqlUnitOfWork

log = logging.getLogger("intake.alerts")

KEY_PREFIX = "admin-alert:"


class AdminAlerts:
    def __init__(
        self,
        unit_of_work: Callable[[], SqlUnitOfWork],
        clock: Callable[[], datetime],
        after_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self._unit_of_work = unit_of_work
        self._clock = clock
        self.after_commit = after_commit  # set once the dispatcher exists

    async def alert_admins(self, problem: str, within: UnitOfWork | None = None) -> None:
        log.error(problem, extra={"admin_alert": True})
        if within is not None:
            await self._queue(within, problem)
            return  # the caller commits, and wakes the dispatcher then
        async with self._unit_of_work() as uow:
            queued = await self._queue(uow, problem)
            await uow.commit()
        if queued:
            self.after_commit()

    async def _queue(self, uow: UnitOfWork, problem: str) -> bool:
        now = self._clock()
        digest = hashlib.sha256(problem.encode()).hexdigest()[:16]
        admins = await uow.staff.members(None, Role.ADMIN)
        messages = [
            OutboundMessage(address, Reply(f"⚠️ {problem}"))
            for admin in admins
            for address in await uow.staff.addresses(admin.id)
        ]
        key = f"{KEY_PREFIX}{now.date().isoformat()}:{digest}"
        await uow.outbox.add(messages, now=now, key=key)
        return bool(messages)

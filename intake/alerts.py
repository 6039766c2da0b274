"""Problems only an administrator can fix, written to the log at ERROR level."""

from __future__ import annotations

import logging

log = logging.getLogger("intake.alerts")


class LogAlerts:
    async def alert_admins(self, problem: str) -> None:
        log.error(problem, extra={"admin_alert": True})

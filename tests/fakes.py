"""Fakes of the core's ports, for tests that are not about them."""

from __future__ import annotations


class RecordingAlerts:
    """Keeps what the administrators would have been told."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    async def alert_admins(self, problem: str, within: object = None) -> None:
        self.problems.append(problem)

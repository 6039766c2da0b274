"""Running the `intake` command as an operator would: in a process of its own."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

QUIET = asyncio.subprocess.DEVNULL
PIPE = asyncio.subprocess.PIPE


async def start_intake(
    *args: str, cwd: Path, env: dict[str, str], stdout: int = QUIET, stderr: int = QUIET
) -> asyncio.subprocess.Process:
    """`intake ARGS...` with these environment variables on top of this process's."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "intake.cli",
        *args,
        cwd=cwd,
        env={**os.environ, **env},
        stdin=asyncio.subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
    )


async def run_intake(*args: str, cwd: Path, env: dict[str, str]) -> tuple[int, str, str]:
    """Run `intake ARGS...` to the end: exit code, standard output, standard error."""
    process = await start_intake(*args, cwd=cwd, env=env, stdout=PIPE, stderr=PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def read_log_until(stream: asyncio.StreamReader | None, message: str) -> dict[str, Any]:
    """Read the JSON log lines until one says `message`; that line."""
    assert stream is not None
    while True:
        line = await stream.readline()
        if not line:
            raise AssertionError(f"the process exited before logging {message!r}")
        entry: dict[str, Any] = json.loads(line)
        if entry["msg"] == message:
            return entry


class LogWatch:
    """Reads a process's JSON log lines as they come, so its pipe never fills while the
    test waits for something else, and lets the test wait for a line that matches."""

    def __init__(self, stream: asyncio.StreamReader | None) -> None:
        assert stream is not None
        self.entries: list[dict[str, Any]] = []
        self._cursor = 0
        self._ended = False
        self._changed = asyncio.Condition()
        self._reader = asyncio.create_task(self._read(stream))

    async def wait_for(
        self,
        matches: Callable[[dict[str, Any]], bool],
        timeout: float = 20,  # noqa: ASYNC109
    ) -> dict[str, Any]:
        """The first line after the one an earlier call returned that `matches`."""
        async with asyncio.timeout(timeout), self._changed:
            while True:
                while self._cursor < len(self.entries):
                    entry = self.entries[self._cursor]
                    self._cursor += 1
                    if matches(entry):
                        return entry
                if self._ended:
                    raise AssertionError("the process exited before logging what was awaited")
                await self._changed.wait()

    async def close(self) -> None:
        self._reader.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)

    async def _read(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            try:
                entry: dict[str, Any] = json.loads(line)
            except ValueError:  # not from the logger (a crash before it was set up)
                entry = {"msg": line.decode(errors="replace").rstrip()}
            async with self._changed:
                self.entries.append(entry)
                self._changed.notify_all()
        async with self._changed:
            self._ended = True
            self._changed.notify_all()

"""Running the `intake` command as an operator would: in a process of its own."""

from __future__ import annotations

import asyncio
import json
import os
import sys
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

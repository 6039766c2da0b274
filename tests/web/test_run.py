"""`make run` (`intake serve`) with no chat platform configured: the first line on
standard output is the page's address, the page and the API answer there, and the token
key it generated is in the data folder and nowhere in the logs."""

from __future__ import annotations

import asyncio
import re
import signal
from pathlib import Path

import aiohttp

from bots.web.key import KEY_FILE
from tests.conftest import database_url, fresh_engine
from tests.processes import PIPE, start_intake


async def test_serve_prints_where_to_open_the_page(tmp_path: Path) -> None:
    url = database_url(tmp_path)
    if url.startswith("postgresql"):
        await (await fresh_engine(url)).dispose()
    env = {"DATABASE_URL": url, "INTAKE_HTTP_PORT": "0", "INTAKE_WEB_TOKEN_KEY": ""}
    process = await start_intake("serve", cwd=tmp_path, env=env, stdout=PIPE, stderr=PIPE)
    assert process.stdout is not None and process.stderr is not None
    try:
        first = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
        match = re.fullmatch(
            r"Open (http://127\.0\.0\.1:(\d+)/) in a browser to try the chat\.\n", first
        )
        assert match is not None, first
        async with aiohttp.ClientSession() as http:
            async with http.get(match.group(1)) as page:
                assert page.status == 200 and page.content_type == "text/html"
            async with http.post(match.group(1) + "api/v1/sessions", json={}) as session:
                assert session.status == 201
                assert (await session.json())["replies"]
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 20) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    logs = (await process.stderr.read()).decode()
    data = (
        Path(url.removeprefix("sqlite+aiosqlite:///")).parent
        if url.startswith("sqlite")
        else tmp_path / "data"
    )
    key = (data / KEY_FILE).read_text()
    assert "INTAKE_WEB_TOKEN_KEY is not set" in logs and key not in logs

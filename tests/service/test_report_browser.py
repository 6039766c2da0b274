"""The HTML report opened in headless Chromium, as a reader's browser shows it: the
screenshot is a page of the right size with text, colour and charts on it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from PIL import Image
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.chromium import ARGS, chromium
from tests.conftest import database_url
from tests.processes import run_intake
from tests.service.test_report_command import _one_answered_complaint

WIDTH, HEIGHT = 1200, 2000


async def _screenshot(page: Path, shot: Path, profile: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        chromium(),
        "--headless",
        *ARGS,
        f"--user-data-dir={profile}",
        f"--screenshot={shot}",
        f"--window-size={WIDTH},{HEIGHT}",
        page.as_uri(),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, err.decode(errors="replace")[-2000:]


async def test_the_report_page_renders_in_a_browser(tmp_path: Path, engine: AsyncEngine) -> None:
    await _one_answered_complaint(engine)  # on time met; received and satisfied not
    env = {"DATABASE_URL": database_url(tmp_path)}
    code, _, err = await run_intake("report", "--quarter", "2026Q4", cwd=tmp_path, env=env)
    assert code == 0, err
    shot = tmp_path / "report.png"
    await _screenshot(tmp_path / "reports" / "report-2026Q4.html", shot, tmp_path / "profile")

    image = Image.open(shot)
    assert image.format == "PNG" and image.size == (WIDTH, HEIGHT)
    pixels = list(image.convert("RGB").get_flattened_data())
    inked = sum(1 for p in pixels if p != (255, 255, 255))
    assert inked > 0.05 * len(pixels), "the page is (nearly) blank"
    # Text antialiasing, the green and red target cards, the charts' bars and lines.
    assert len(set(pixels)) > 200
    top = image.convert("RGB").crop((0, 0, WIDTH, 400))
    colours = set(top.get_flattened_data())
    assert (46, 139, 87) in colours, "no green card: a target met"
    assert (192, 57, 43) in colours, "no red card: a target not met"

"""Debian's Chromium for the tests that open pages in a real browser (the report, the
chat page): where it is, and the flags that keep it off the network and the GPU."""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# Headless on this machine: no sandbox (the tests may run as root), no GPU, and none of
# the background connections a closed network refuses.
ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def chromium() -> Path:
    """The browser, or a failed test that says how to install it."""
    if not CHROMIUM.exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: `make fonts` installs it and the CJK fonts")
    return CHROMIUM

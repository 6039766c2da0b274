"""The key that signs the web channel's tokens: configured, or generated once into the
data folder so that a first `make run` works (several processes must share one key)."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

log = logging.getLogger("bots.web")

KEY_FILE = "web_token.key"


class KeyFileRefused(RuntimeError):
    """No key is configured and none can be kept in the data folder."""


def token_key(configured: str | None, folder: Path) -> str:
    """The configured key, else the one in `folder`, generated there if missing."""
    if configured:
        return configured
    try:
        return _kept(folder / KEY_FILE)
    except OSError as exc:
        raise KeyFileRefused(
            f"cannot keep the web channel's token key in {folder} ({exc.strerror or exc}); "
            "set INTAKE_WEB_TOKEN_KEY"
        ) from None


def _kept(path: Path) -> str:
    folder = path.parent
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use that one
            return path.read_text(encoding="ascii").strip()
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write(secrets.token_urlsafe(32))
        log.warning(
            "INTAKE_WEB_TOKEN_KEY is not set: generated a key for the web channel's tokens",
            extra={"file": str(path)},
        )
    return path.read_text(encoding="ascii").strip()

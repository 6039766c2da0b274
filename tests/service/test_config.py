"""`.env.example` documents every setting the service reads, and nothing else."""

from __future__ import annotations

from typing import Any

from intake.config import Settings
from tests.conftest import ROOT


def test_env_example_lists_exactly_the_settings() -> None:
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    documented = {line.split("=", 1)[0] for line in lines if line and not line.startswith("#")}
    assert documented == {name.upper() for name in Settings.model_fields}


def test_env_example_values_are_valid_settings() -> None:
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    values = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    fields: dict[str, Any] = {k.lower(): v for k, v in values.items()}
    settings = Settings(_env_file=None, **fields)
    assert settings.intake_http_port == 8080
    assert settings.intake_calendar_file is None

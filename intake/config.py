"""All configuration, from the environment or a `.env` file (see `.env.example`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///./data/intake.sqlite3",
        description="SQLAlchemy URL; postgresql+asyncpg://user@host/db for PostgreSQL.",
    )
    intake_http_host: str = "127.0.0.1"
    intake_http_port: int = Field(default=8080, ge=0, le=65535, description="0: any free port")
    intake_log_level: str = "INFO"
    intake_timezone: str = "Asia/Shanghai"
    intake_calendar_file: Path | None = Field(
        default=None,
        description="TOML file with holidays and make-up days for years the library lacks.",
    )
    intake_complaint_days: int = Field(default=3, ge=1)
    intake_suggestion_days: int = Field(default=5, ge=1)
    intake_praise_days: int = Field(default=5, ge=1)

    @field_validator("intake_calendar_file", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if value == "" else value

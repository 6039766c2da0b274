"""All configuration, from the environment or a `.env` file (see `.env.example`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from core.analytics.definitions import DEFAULT_SATISFIED_FROM, SatisfactionDefinition
from core.cases.values import SATISFACTION_MAX, SATISFACTION_MIN
from core.chasing.rules import BusinessHours
from core.rewards.ledger import RewardPolicy
from storage.crypto import DataKeyError, DataKeys

# What Telegram accepts as a webhook secret_token.
_SECRET_CHARS = re.compile(r"[A-Za-z0-9_-]{1,256}")
# The database drivers the service ships with, by backend.
_DRIVERS = {"sqlite": "aiosqlite", "postgresql": "asyncpg"}
_DATABASE_URL_FORMS = "sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER@HOST:5432/DB"
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class Settings(BaseSettings):
    # Errors never repeat the input: it may be a token or a key.
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", hide_input_in_errors=True
    )

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
    intake_branches: str = Field(
        default="", description="Branches offered in the dialogue, separated by '|'."
    )
    intake_dialogue_timeout_minutes: int = Field(default=30, ge=1)
    intake_points_praise_filed: int = Field(default=10, ge=0)
    intake_points_suggestion_filed: int = Field(default=10, ge=0)
    intake_points_suggestion_adopted: int = Field(default=50, ge=0)
    intake_points_survey_answered: int = Field(default=5, ge=0)
    intake_satisfied_from: int = Field(
        default=DEFAULT_SATISFIED_FROM,
        ge=SATISFACTION_MIN,
        le=SATISFACTION_MAX,
        description="Ratings from this one up count as satisfied in the figures.",
    )
    intake_bank_words_file: Path | None = Field(
        default=None,
        description="The bank's own words for the analysis of texts, in jieba's user-dict format.",
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_chat_interval_seconds: float = Field(default=1.0, ge=0)
    telegram_timeout_seconds: float = Field(default=10.0, gt=0)
    intake_scheduler: Literal["embedded", "off"] = "embedded"
    intake_business_hours: str = "09:00-18:00"
    intake_outbox_lease_seconds: float = Field(default=30, gt=0)
    intake_outbox_backoff_seconds: float = Field(default=2, gt=0)
    intake_outbox_retention_days: int = Field(
        default=3, ge=1, description="Delivered messages are redacted after this many days."
    )
    intake_data_keys: SecretStr | None = Field(
        default=None,
        description="id:base64-32-bytes,...: the first encrypts contact data, all decrypt.",
    )
    intake_reports_dir: Path = Field(
        default=Path("reports"),
        description="Where report files are written (`intake report`, and those sent in chat).",
    )
    intake_public_url: str | None = Field(
        default=None,
        description="The service's address as people reach it: the page, links to files.",
    )
    intake_report_link_hours: int = Field(
        default=72, ge=1, description="How long a report file sent by link can be fetched."
    )
    intake_channel_retry_seconds: float = Field(
        default=1.0, gt=0, description="First pause before a channel reconnects; doubles to 60 s."
    )

    intake_web_token_key: SecretStr | None = Field(
        default=None,
        description="Signs the web channel's tokens; empty: a key generated into the data folder.",
    )
    intake_web_origins: str = Field(
        default="", description="Other sites that may call the web API, comma-separated."
    )
    intake_web_session_hours: int = Field(default=12, ge=1)
    intake_web_resume_days: int = Field(default=180, ge=1)
    intake_web_rate_per_token: int = Field(default=30, ge=1, description="requests a minute")
    intake_web_rate_per_ip: int = Field(default=120, ge=1, description="requests a minute")
    intake_web_upload_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    intake_smtp_host: str | None = None
    intake_smtp_port: int = Field(default=587, ge=1, le=65535)
    intake_smtp_user: str | None = None
    intake_smtp_password: SecretStr | None = None
    intake_smtp_from: str = "feedback@bank.example"
    intake_smtp_starttls: bool = True

    wechat_token: SecretStr | None = None
    wechat_app_id: str | None = None
    wechat_app_secret: SecretStr | None = None
    wechat_aes_key: SecretStr | None = None
    wechat_api_base_url: str = "https://api.weixin.qq.com"
    wechat_replay_window_seconds: int = Field(default=300, ge=1)
    wechat_template_case_update: str | None = None
    redis_url: str | None = None

    @field_validator(
        "intake_calendar_file",
        "intake_bank_words_file",
        "telegram_bot_token",
        "telegram_webhook_url",
        "telegram_webhook_secret",
        "wechat_token",
        "wechat_app_id",
        "wechat_app_secret",
        "wechat_aes_key",
        "wechat_template_case_update",
        "redis_url",
        "intake_data_keys",
        "intake_public_url",
        "intake_web_token_key",
        "intake_smtp_host",
        "intake_smtp_user",
        "intake_smtp_password",
        mode="before",
    )
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @model_validator(mode="after")
    def _webhook_needs_a_secret(self) -> Settings:
        if self.telegram_webhook_url and not self.telegram_webhook_secret:
            raise ValueError("TELEGRAM_WEBHOOK_URL needs TELEGRAM_WEBHOOK_SECRET")
        secret = self.telegram_webhook_secret
        if secret is not None and not _SECRET_CHARS.fullmatch(secret.get_secret_value()):
            raise ValueError("TELEGRAM_WEBHOOK_SECRET: 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return self

    @model_validator(mode="after")
    def _wechat_is_all_or_nothing(self) -> Settings:
        parts = (self.wechat_token, self.wechat_app_id, self.wechat_app_secret)
        if any(parts) and not all(parts):
            raise ValueError("WeChat needs WECHAT_TOKEN, WECHAT_APP_ID and WECHAT_APP_SECRET")
        key = self.wechat_aes_key
        if key is not None and len(key.get_secret_value()) != 43:
            raise ValueError("WECHAT_AES_KEY (EncodingAESKey) has 43 characters")
        return self

    @field_validator("intake_data_keys")
    @classmethod
    def _keys_parse(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            try:
                DataKeys.parse(value.get_secret_value())
            except DataKeyError as refusal:  # its message names the entry, never the key
                raise ValueError(str(refusal)) from None
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url_is_supported(cls, value: str) -> str:
        # Checked here, not when the engine is made: a wrong URL is a configuration
        # mistake to name, and its password must not end up in an error message.
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(f"not a database URL; use {_DATABASE_URL_FORMS}") from None
        # From the name alone: asking SQLAlchemy for the driver would import it.
        backend, _, driver = url.drivername.partition("+")
        if _DRIVERS.get(backend) != driver:
            raise ValueError(f"unsupported database {url.drivername!r}; use {_DATABASE_URL_FORMS}")
        return value

    @field_validator("intake_bank_words_file")
    @classmethod
    def _bank_words_file_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no such file: {value}; give the path of the bank's word list")
        return value

    @field_validator("intake_timezone")
    @classmethod
    def _timezone_exists(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name such as Asia/Shanghai"
            ) from None
        return value

    @field_validator("intake_log_level")
    @classmethod
    def _log_level_exists(cls, value: str) -> str:
        if value.upper() not in _LOG_LEVELS:
            raise ValueError(f"unknown log level {value!r}; use one of {', '.join(_LOG_LEVELS)}")
        return value.upper()

    @field_validator("redis_url")
    @classmethod
    def _redis_url_is_redis(cls, value: str | None) -> str | None:
        if value is not None and urlsplit(value).scheme not in ("redis", "rediss", "unix"):
            raise ValueError("not a Redis URL; use redis://HOST:6379/0 (or rediss://, unix://)")
        return value

    @field_validator("intake_business_hours")
    @classmethod
    def _hours_parse(cls, value: str) -> str:
        try:
            BusinessHours.parse(value)
        except ValueError as exc:
            raise ValueError(f"{exc}; write them as HH:MM-HH:MM, e.g. 09:00-18:00") from None
        return value

    def secret_values(self) -> list[str]:
        """Every configured secret, for the logs to leave out (intake/redaction.py)."""
        values = [
            secret.get_secret_value()
            for secret in (
                self.telegram_webhook_secret,
                self.wechat_token,
                self.wechat_app_secret,
                self.wechat_aes_key,
                self.intake_web_token_key,
                self.intake_smtp_password,
            )
            if secret is not None
        ]
        if self.telegram_bot_token is not None:
            # The part before the colon is the bot's public user id, worth keeping.
            values.append(self.telegram_bot_token.get_secret_value().rpartition(":")[2])
        for url in (self.database_url, self.redis_url):
            password = urlsplit(url).password if url else None
            if password:
                values += [password, unquote(password)]
        return values

    @property
    def web_origins(self) -> frozenset[str]:
        return frozenset(
            o.strip().rstrip("/") for o in self.intake_web_origins.split(",") if o.strip()
        )

    @property
    def page_url(self) -> str:
        """Where customers open the web page (links in e-mails and resume links)."""
        if self.intake_public_url:
            return self.intake_public_url.rstrip("/") + "/"
        return f"http://{self.intake_http_host}:{self.intake_http_port}/"

    @property
    def data_folder(self) -> Path:
        """Where the service keeps files of its own: beside a SQLite database, else ./data."""
        url = make_url(self.database_url)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            return Path(url.database or "").parent
        return Path("data")

    @property
    def branches(self) -> tuple[str, ...]:
        return tuple(b.strip() for b in self.intake_branches.split("|") if b.strip())

    @property
    def data_keys(self) -> DataKeys | None:
        """The keys contact data is encrypted with; None: stored in clear."""
        keys = self.intake_data_keys
        return DataKeys.parse(keys.get_secret_value()) if keys is not None else None

    @property
    def rewards(self) -> RewardPolicy:
        return RewardPolicy(
            praise_filed=self.intake_points_praise_filed,
            suggestion_filed=self.intake_points_suggestion_filed,
            suggestion_adopted=self.intake_points_suggestion_adopted,
            survey_answered=self.intake_points_survey_answered,
        )

    @property
    def satisfaction(self) -> SatisfactionDefinition:
        """Which ratings the figures count as satisfied."""
        return SatisfactionDefinition(self.intake_satisfied_from)

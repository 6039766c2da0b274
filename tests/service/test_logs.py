"""Logs are JSON lines, and personal data and secrets that slip into them are masked."""

from __future__ import annotations

import json
import logging
import sys

from intake.config import Settings
from intake.logs import JsonFormatter, configure_logging, redact
from intake.redaction import Redactor
from telemetry.handling import accepted_request_id, handling


def format_record(message: str, *args: object, **extra: object) -> dict[str, object]:
    record = logging.makeLogRecord(
        {"name": "intake.test", "levelname": "INFO", "msg": message, "args": args, **extra}
    )
    return json.loads(JsonFormatter().format(record))


def test_a_record_is_one_json_object_with_its_extra_fields() -> None:
    entry = format_record("case %s filed", "CP-20261102-0001", case="CP-20261102-0001")
    assert entry["msg"] == "case CP-20261102-0001 filed"
    assert entry["case"] == "CP-20261102-0001"
    assert entry["level"] == "info" and entry["logger"] == "intake.test"


def test_phone_numbers_and_emails_are_masked_everywhere() -> None:
    entry = format_record(
        "call %s or %s", "13812348000", "zhang.san@example.com", contact="+86 13912345678"
    )
    assert entry["msg"] == "call 138****8000 or z***@example.com"
    assert entry["contact"] == "+86 139****5678"
    assert "13812348000" not in json.dumps(entry)


def test_case_numbers_and_ids_are_left_alone() -> None:
    assert redact("CP-20261102-0001 user 5123456789") == "CP-20261102-0001 user 5123456789"


BOT_TOKEN = "7351946208:AAF3kQ9vXw2LmZr8TbYc5NpD4sHjU6eGi1o"


def scrubbed(text: str, *secrets: str) -> str:
    return Redactor(secrets)(text)


def test_bot_api_tokens_are_masked_in_urls_and_on_their_own() -> None:
    line = f'HTTP Request: POST https://api.telegram.org/bot{BOT_TOKEN}/sendMessage "200 OK"'
    assert scrubbed(line) == (
        'HTTP Request: POST https://api.telegram.org/bot7351946208:***/sendMessage "200 OK"'
    )
    assert scrubbed(f"token {BOT_TOKEN} refused") == "token 7351946208:*** refused"
    assert scrubbed("/file/bot42:short-one/photos/1.jpg") == "/file/bot42:***/photos/1.jpg"


def test_credential_parameters_are_masked() -> None:
    url = "/cgi-bin/token?grant_type=client_credential&appid=wx5e8a&secret=9c4e1f7a2b8d3e6f"
    assert scrubbed(url) == "/cgi-bin/token?grant_type=client_credential&appid=wx5e8a&secret=***"
    send = '"POST /cgi-bin/message/custom/send?access_token=86_AbC-dEf HTTP/1.1" 200'
    assert scrubbed(send) == '"POST /cgi-bin/message/custom/send?access_token=*** HTTP/1.1" 200'
    assert scrubbed("appsecret=x1&APP_SECRET=y2") == "appsecret=***&APP_SECRET=***"
    printed = "parameters `{'url': 'https://h/telegram', 'secret_token': 'tg-Wh_9fK2'}`"
    assert scrubbed(printed) == "parameters `{'url': 'https://h/telegram', 'secret_token': '***'}`"
    assert scrubbed('{"access_token": "86_AbC", "expires_in": 7200}') == (
        '{"access_token": "***", "expires_in": 7200}'
    )


def test_the_token_of_a_link_to_report_files_is_masked() -> None:
    line = '"GET /reports/q3Vx-9LmT2bKpR7sWcY_4dNh8JfA6eGu/report-2026Q4.html HTTP/1.1" 200'
    assert scrubbed(line) == '"GET /reports/***/report-2026Q4.html HTTP/1.1" 200'
    # `intake report` writes into ./reports/: its own paths are no secret.
    assert scrubbed("wrote reports/report-2026Q4.html") == "wrote reports/report-2026Q4.html"


def test_passwords_in_urls_are_masked_and_the_rest_is_kept() -> None:
    dsn = "postgresql+asyncpg://intake:S3cret%40Pass@db.bank.local:5432/intake"
    assert scrubbed(f"cannot connect to {dsn}") == (
        "cannot connect to postgresql+asyncpg://intake:***@db.bank.local:5432/intake"
    )
    assert scrubbed("redis://:hunter22@127.0.0.1:6379/0") == "redis://:***@127.0.0.1:6379/0"
    # No password, or a port followed by an e-mail address further on: nothing to mask.
    for text in (
        "postgresql+asyncpg://postgres@127.0.0.1:5432/test",
        "http://127.0.0.1:8080/healthz asked by ops@bank.cn",
        "sqlite+aiosqlite:///./data/intake.sqlite3",
    ):
        assert scrubbed(text) == text


def test_configured_secrets_are_masked_wherever_they_appear() -> None:
    secrets = ("Bk7sigNt0kenQ3x9", "S3cret@Pass")
    text = "token Bk7sigNt0kenQ3x9 in a message; password S3cret%40Pass, or S3cret@Pass"
    assert scrubbed(text, *secrets) == "token *** in a message; password ***, or ***"
    # Too short to replace everywhere without blanking ordinary words.
    assert scrubbed("the key is short", "key") == "the key is short"


def test_a_record_loses_its_secrets_in_message_extra_fields_and_exception() -> None:
    formatter = JsonFormatter(Redactor(["Bk7sigNt0kenQ3x9"]))
    try:
        raise RuntimeError(f"rejected https://api.telegram.org/bot{BOT_TOKEN}/getMe")
    except RuntimeError:
        record = logging.makeLogRecord(
            {
                "name": "intake.test",
                "levelname": "ERROR",
                "msg": "wechat token %s refused",
                "args": ("Bk7sigNt0kenQ3x9",),
                "exc_info": sys.exc_info(),
                "url": "https://h/cgi-bin/menu/create?access_token=86_AbC",
                "nested": {"dsn": ["postgresql+asyncpg://u:S3cretPass@h/db"]},
            }
        )
    entry = json.loads(formatter.format(record))
    assert entry["msg"] == "wechat token *** refused"
    assert entry["url"] == "https://h/cgi-bin/menu/create?access_token=***"
    assert entry["nested"] == {"dsn": ["postgresql+asyncpg://u:***@h/db"]}
    assert "bot7351946208:***/getMe" in entry["exc"] and BOT_TOKEN not in entry["exc"]


def test_settings_name_every_secret_including_passwords_in_urls() -> None:
    settings = Settings(
        _env_file=None,
        database_url="postgresql+asyncpg://intake:S3cret%40Pass@db:5432/intake",
        redis_url="redis://:hunter22@127.0.0.1:6379/0",
        telegram_bot_token=BOT_TOKEN,
        telegram_webhook_secret="tg-Wh_9fK2mQ7xLp4RzV8nB3cJ6dT1yH5s",
        wechat_token="Bk7sigNt0kenQ3x9",
        wechat_app_id="wx5e8a3b1c2d4f6a7b",
        wechat_app_secret="9c4e1f7a2b8d3e6f0a5c7b9d1e3f5a7c",
        wechat_aes_key="a" * 43,
    )
    assert set(settings.secret_values()) == {
        "tg-Wh_9fK2mQ7xLp4RzV8nB3cJ6dT1yH5s",
        "Bk7sigNt0kenQ3x9",
        "9c4e1f7a2b8d3e6f0a5c7b9d1e3f5a7c",
        "a" * 43,
        BOT_TOKEN.split(":")[1],  # the bot's id before the colon is public
        "S3cret%40Pass",
        "S3cret@Pass",
        "hunter22",
    }


def test_per_request_library_logs_are_quiet_unless_debugging() -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    names = ("httpx", "httpcore", "urllib3", "aiosqlite", "aiohttp.access")
    levels = {name: logging.getLogger(name).level for name in names}
    try:
        configure_logging("INFO")
        assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
        assert logging.getLogger("urllib3.connectionpool").getEffectiveLevel() == logging.WARNING
        configure_logging("DEBUG")
        assert logging.getLogger("httpx").getEffectiveLevel() == logging.DEBUG
        assert logging.getLogger("aiosqlite").getEffectiveLevel() == logging.INFO
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        for name, former in levels.items():
            logging.getLogger(name).setLevel(former)


def test_a_record_logged_while_handling_a_request_carries_its_id() -> None:
    with handling("edge-0001"):
        assert format_record("case filed")["request_id"] == "edge-0001"
        with handling():  # a job run or a delivery inside it: an id of its own
            inner = str(format_record("alert queued")["request_id"])
    assert inner != "edge-0001" and len(inner) == 32
    assert "request_id" not in format_record("outside any request")


def test_only_a_well_formed_request_id_is_taken_over() -> None:
    for good in ("0a1b2c3d4e5f60718293a4b5c6d7e8f9", "lb-7:req.42_a", "x" * 128):
        assert accepted_request_id(good) == good
    for bad in ("", "has space", "x" * 129, "-leading", 'quote"', "中文", None):
        made = accepted_request_id(bad)
        assert made != bad and len(made) == 32

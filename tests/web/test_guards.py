"""What the web API refuses, and how: bad tokens, too many requests, wrong or oversized
uploads, malformed requests, other sites; every answer a JSON error with the security
headers, never a traceback."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from PIL import Image

from bots.web.key import KEY_FILE, KeyFileRefused, token_key
from bots.web.tokens import Kind, Signer, Token, TokenRefused
from core.cases.classification import IntakeChannel
from core.identity import CustomerId, Platform
from intake.logs import SECRETS
from intake.wiring import build
from tests.web.conftest import Clock, Start, WebClient, web_settings
from tests.web.steps import walk


def png(size: tuple[int, int] = (8, 8)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def form(content: bytes, content_type: str, caption: str | None = None) -> aiohttp.FormData:
    data = aiohttp.FormData()
    data.add_field("file", content, filename="upload.bin", content_type=content_type)
    if caption is not None:
        data.add_field("caption", caption)
    return data


async def test_requests_without_a_valid_session_token_are_refused(
    client: WebClient, clock: Clock
) -> None:
    session = await client.start()
    token = session["token"]
    conversation = token.split(".")[1]

    status, answer, response = await client.request("GET", "/api/v1/messages")
    assert status == 401 and answer["error"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"] == "Bearer"

    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    elsewhere = Signer(b"another deployment's key").issue(
        Token(Kind.SESSION, conversation, IntakeChannel.WEB, clock() + timedelta(hours=1))
    )
    unknown = Signer(b"test-web-token-key-0123456789abcdefghij").issue(
        Token(Kind.SESSION, "no-such-conversation", IntakeChannel.WEB, clock() + timedelta(hours=1))
    )
    for bad, says in (
        (forged, "not signed by this service"),
        (elsewhere, "not signed by this service"),
        ("garbage", "not signed by this service"),
        (unknown, "does not exist here"),
    ):
        status, answer, _ = await client.request("GET", "/api/v1/messages", bad)
        assert status == 401 and answer["error"]["code"] == "invalid_token", bad
        assert says in answer["error"]["message"]

    # Another session's token reads that session's messages only.
    other = await client.start(language="en")
    mine = await client.messages(token)
    theirs = await client.messages(other["token"])
    assert {m["id"] for m in mine}.isdisjoint(m["id"] for m in theirs)

    # Ended (a kiosk clearing itself): refused from then on.
    status, _, _ = await client.request("DELETE", "/api/v1/sessions", other["token"])
    assert status == 204
    status, answer, _ = await client.request("GET", "/api/v1/messages", other["token"])
    assert status == 401 and "ended" in answer["error"]["message"]

    clock.skip(timedelta(hours=13))
    status, answer, _ = await client.request("GET", "/api/v1/messages", token)
    assert status == 401 and "expired" in answer["error"]["message"]


async def test_too_many_requests_per_session_get_429_with_retry_after(start_web: Start) -> None:
    client = await start_web(intake_web_rate_per_token=3)
    token = (await client.start())["token"]
    for _ in range(3):
        await client.messages(token)
    status, answer, response = await client.request("GET", "/api/v1/messages", token)
    assert status == 429 and answer["error"]["code"] == "too_many_requests"
    assert 1 <= int(response.headers["Retry-After"]) <= 20
    # Another conversation is not held up by this one.
    assert await client.messages((await client.start())["token"])


async def test_too_many_requests_per_address_get_429_with_retry_after(start_web: Start) -> None:
    client = await start_web(intake_web_rate_per_ip=4)
    for _ in range(4):
        await client.request("GET", "/api/v1/openapi.json")
    status, answer, response = await client.request("POST", "/api/v1/sessions", json={})
    assert status == 429 and answer["error"]["code"] == "too_many_requests"
    assert int(response.headers["Retry-After"]) >= 1
    # Only the web routes are limited: the health check answers still.
    async with client.http.get(client.base + "/healthz") as health:
        assert health.status == 200


async def test_uploads_are_checked_for_size_and_type(start_web: Start) -> None:
    client = await start_web(intake_web_upload_max_bytes=4096)
    session = await client.start(language="zh")
    token = session["token"]
    steps = ["t:complaint", "b:debit_card", "r:0", ">柜员态度很差，办理业务时一直在看手机。"]
    await walk(client, token, session["replies"], steps)

    status, answer, _ = await client.request(
        "POST", "/api/v1/attachments", token, data=form(b"x" * 5000, "image/png")
    )
    assert status == 413 and answer["error"]["code"] == "too_large"
    status, answer, _ = await client.request(
        "POST", "/api/v1/attachments", token, data=form(b"hello", "text/plain")
    )
    assert status == 415 and answer["error"]["code"] == "unsupported_media_type"
    status, answer, _ = await client.request(
        "POST", "/api/v1/attachments", token, data=form(b"\x89PNG\r\n\x1a\nnot really", "image/png")
    )
    assert status == 415 and answer["error"]["code"] == "not_an_image"
    status, answer, _ = await client.request(
        "POST", "/api/v1/attachments", token, json={"file": "x"}
    )
    assert status == 415

    photo = png()
    status, answer, _ = await client.request(
        "POST", "/api/v1/attachments", token, data=form(photo, "image/png", "回单")
    )
    assert status == 200, answer
    assert answer["replies"][-1]["options"] == [{"key": "d:next", "label": "继续"}]
    async with client.wiring.unit_of_work() as uow:
        locked = await uow.dialogues.lock(_customer(token), client.wiring.clock())
    assert locked.dialogue is not None
    [attachment] = locked.dialogue.attachments
    assert attachment.kind == "photo" and attachment.caption == "回单"
    stored = await client.wiring.web.channel.store.file(attachment.ref.removeprefix("web:"))
    assert stored is not None and stored.content == photo and stored.content_type == "image/png"


def _customer(token: str) -> CustomerId:
    return CustomerId(Platform.WEB, token.split(".")[1])


async def test_malformed_requests_get_clear_json_errors(client: WebClient) -> None:
    token = (await client.start())["token"]
    cases: list[tuple[str, str, dict[str, Any], int, str]] = [
        (
            "POST",
            "/api/v1/messages",
            {"data": b"{not json", "headers": {"Content-Type": "application/json"}},
            400,
            "invalid_json",
        ),
        (
            "POST",
            "/api/v1/messages",
            {"json": {"text": "a", "option": "b"}},
            400,
            "invalid_request",
        ),
        ("POST", "/api/v1/messages", {"json": {"text": ""}}, 400, "invalid_request"),
        ("POST", "/api/v1/messages", {"json": {"texts": "hello"}}, 400, "invalid_request"),
        ("POST", "/api/v1/messages", {"json": {"text": "x" * 20000}}, 413, "too_large"),
        (
            "POST",
            "/api/v1/messages",
            {"data": b"text=hi", "headers": {"Content-Type": "text/plain"}},
            415,
            "unsupported_media_type",
        ),
        ("GET", "/api/v1/messages?after=-1", {}, 400, "invalid_request"),
        ("POST", "/api/v1/sessions", {"json": {"origin": "fax"}}, 400, "invalid_request"),
        ("PUT", "/api/v1/email", {"json": {"email": "not an address"}}, 400, "invalid_email"),
        (
            "POST",
            "/api/v1/attachments",
            {
                "data": b'--b\r\nContent-Disposition: form-data; name="\x17"\r\n\r\nx\r\n--b--\r\n',
                "headers": {"Content-Type": "multipart/form-data; boundary=b"},
            },
            400,
            "invalid_request",
        ),
        ("GET", "/api/v1/nothing-here", {}, 404, "not_found"),
        ("PATCH", "/api/v1/messages", {}, 405, "method_not_allowed"),
    ]
    for method, path, kwargs, expected, code in cases:
        status, answer, response = await client.request(method, path, token, **kwargs)
        assert (status, answer["error"]["code"]) == (expected, code), (method, path, answer)
        assert "Content-Security-Policy" in response.headers


async def test_every_web_response_carries_the_security_headers(client: WebClient) -> None:
    for path in ("/", "/api/v1/openapi.json", "/api/v1/messages"):
        async with client.http.get(client.base + path) as response:
            csp = response.headers["Content-Security-Policy"]
            assert "default-src 'none'" in csp and "script-src 'self'" in csp
            assert "frame-ancestors 'self'" in csp
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert response.headers["Referrer-Policy"] == "no-referrer"


async def test_other_sites_are_refused_unless_configured(start_web: Start) -> None:
    client = await start_web(intake_web_origins="https://www.bank.example")
    status, answer, _ = await client.request(
        "POST", "/api/v1/sessions", json={}, headers={"Origin": "https://evil.example"}
    )
    assert status == 403 and answer["error"]["code"] == "origin_not_allowed"
    status, _, response = await client.request(
        "POST", "/api/v1/sessions", json={}, headers={"Origin": "https://www.bank.example"}
    )
    assert status == 201
    assert response.headers["Access-Control-Allow-Origin"] == "https://www.bank.example"
    status, _, response = await client.request(
        "OPTIONS",
        "/api/v1/messages",
        headers={
            "Origin": "https://www.bank.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert status == 204 and "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]
    # The service's own page is same-origin.
    status, _, _ = await client.request(
        "POST", "/api/v1/sessions", json={}, headers={"Origin": client.base}
    )
    assert status == 201


def test_a_token_is_checked_before_it_is_read() -> None:
    signer = Signer(b"k" * 32)
    expires = datetime(2030, 1, 1, tzinfo=UTC)
    good = signer.issue(Token(Kind.SESSION, "abc", IntakeChannel.APP, expires))
    now = datetime(2029, 1, 1, tzinfo=UTC)
    assert signer.verify(good, Kind.SESSION, now).origin is IntakeChannel.APP
    for bad in ("", ".", "s.abc.app.1893456000.", good.replace("app", "web"), "s.ä.web.1.x"):
        with pytest.raises(TokenRefused, match="not signed by this service"):
            signer.verify(bad, Kind.SESSION, now)
    with pytest.raises(TokenRefused, match="not a resume token"):
        signer.verify(good, Kind.RESUME, now)
    with pytest.raises(TokenRefused, match="expired"):
        signer.verify(good, Kind.SESSION, expires)


def test_an_unset_key_is_generated_once_and_never_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bots.web"):
        key = token_key(None, tmp_path / "data")
    assert len(key) >= 40 and (tmp_path / "data" / KEY_FILE).read_text() == key
    assert token_key(None, tmp_path / "data") == key  # kept, not made again
    assert token_key("configured-key-value", tmp_path / "data") == "configured-key-value"
    [warning] = caplog.records
    assert "INTAKE_WEB_TOKEN_KEY" in warning.getMessage() and key not in warning.getMessage()
    (tmp_path / "not-a-folder").write_text("")
    with pytest.raises(KeyFileRefused, match="set INTAKE_WEB_TOKEN_KEY"):
        token_key(None, tmp_path / "not-a-folder")


async def test_the_generated_key_is_masked_in_logs(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/intake.sqlite3"
    wiring = build(web_settings(url, intake_web_token_key=""), clock=lambda: datetime.now(UTC))
    await wiring.close()
    key = (tmp_path / KEY_FILE).read_text()
    assert SECRETS(f"key is {key}") == "key is ***"

"""Tests of the WeChat platform double itself.

The double is only worth something if it speaks the platform's protocol and not merely its own
dialect, so the bank's side in these tests is a separate, deliberately minimal implementation
(signature, AES, reply envelope) written here from the specification, and the double's crypto
is pinned to the vectors published with the platform's sample code.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import re
import struct
import time
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import ClientSession, web
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from tests.doubles.wechat_platform import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_APP_ID,
    DEFAULT_APP_SECRET,
    FAKE_AMR,
    FAKE_JPEG,
    CryptoError,
    FakeClock,
    Mode,
    ReplyError,
    WeChatApiServer,
    WeChatPlatform,
    decrypt_message,
    encrypt_message,
    new_encoding_aes_key,
    new_openid,
    parse_xml,
    pkcs7_pad,
    pkcs7_unpad,
    sha1_signature,
)

START = 1_800_000_000.0  # 2027-01-15, a fixed instant so that nothing depends on the wall clock
TOKEN = "BankDeskToken2027"
KEY = new_encoding_aes_key()
FOREIGN_APP_ID = "wx1111111111111111"

# Published with the platform's message-encryption sample code.
SAMPLE_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
SAMPLE_ENCRYPT = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGH"
    "QHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6t"
    "EDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3y"
    "ZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+"
    "q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
)

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    ' <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n'
    ' <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">\n]>\n'
    "<xml><ToUserName>gh_x</ToUserName><FromUserName>o1</FromUserName>"
    "<MsgType>text</MsgType><Content>&lol3;</Content></xml>"
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?>\n<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    "<xml><MsgType>text</MsgType><Content>&xxe;</Content></xml>"
)


# ==================================================================== the bank's side, minimal


def bank_signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()  # noqa: S324


def _aes(encoding_aes_key: str) -> Cipher[Any]:
    key = base64.b64decode(encoding_aes_key + "=")
    return Cipher(algorithms.AES(key), modes.CBC(key[:16]))


def bank_encrypt(encoding_aes_key: str, message: bytes, app_id: str, prefix: bytes) -> str:
    plain = prefix + struct.pack(">I", len(message)) + message + app_id.encode()
    pad = 32 - len(plain) % 32
    encryptor = _aes(encoding_aes_key).encryptor()
    ciphertext = encryptor.update(plain + bytes([pad]) * pad) + encryptor.finalize()
    return base64.b64encode(ciphertext).decode()


def bank_decrypt(encoding_aes_key: str, encrypted: str) -> tuple[bytes, str]:
    decryptor = _aes(encoding_aes_key).decryptor()
    plain = decryptor.update(base64.b64decode(encrypted)) + decryptor.finalize()
    plain = plain[: -plain[-1]]
    (length,) = struct.unpack(">I", plain[16:20])
    return plain[20 : 20 + length], plain[20 + length :].decode()


def bank_parse(data: bytes) -> dict[str, str]:
    if re.search(rb"<!DOCTYPE|<!ENTITY", data, re.IGNORECASE):
        raise ValueError("DTDs are refused")
    root = ET.fromstring(data)  # noqa: S314 - DTDs were refused above
    return {child.tag: child.text or "" for child in root}


def cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


@dataclass
class Received:
    query: dict[str, str]
    body: bytes
    fields: dict[str, str] | None = None


@dataclass
class BankWebhook:
    """A tiny webhook that checks pushes as the spec says and answers per ``behaviour``."""

    token: str
    app_id: str
    encoding_aes_key: str | None
    now: Callable[[], float]
    api: WeChatApiServer
    behaviour: str = "echo"
    received: list[Received] = field(default_factory=list)
    accepted: list[dict[str, str]] = field(default_factory=list)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def get(self, request: web.Request) -> web.Response:
        q = request.query
        expected = bank_signature(self.token, q.get("timestamp", ""), q.get("nonce", ""))
        if q.get("signature") != expected:
            return web.Response(status=403)
        return web.Response(text=q["echostr"])

    async def post(self, request: web.Request) -> web.Response:
        q = request.query
        body = await request.read()
        seen = Received(dict(q), body)
        self.received.append(seen)
        if self.behaviour == "hang":
            await asyncio.Event().wait()  # until the platform hangs up and this is cancelled
        ts, nonce = q.get("timestamp", ""), q.get("nonce", "")
        if not ts.isdigit() or q.get("signature") != bank_signature(self.token, ts, nonce):
            return web.Response(status=403)
        if abs(self.now() - int(ts)) > 300:
            return web.Response(status=403)  # stale: perhaps a replay
        encrypted = q.get("encrypt_type") == "aes"
        try:
            outer = bank_parse(body)
            if encrypted:
                assert self.encoding_aes_key is not None
                payload = outer.get("Encrypt", "")
                if q.get("msg_signature") != bank_signature(self.token, ts, nonce, payload):
                    return web.Response(status=403)
                message, app_id = bank_decrypt(self.encoding_aes_key, payload)
                if app_id != self.app_id:
                    return web.Response(status=403)
            else:
                message = body
            fields = bank_parse(message)
        except (ValueError, ET.ParseError, struct.error, UnicodeDecodeError):
            return web.Response(status=400)
        seen.fields = fields
        self.accepted.append(fields)
        return self.answer(fields, encrypted)

    def answer(self, fields: dict[str, str], encrypted: bool) -> web.Response:
        behaviour = self.behaviour
        if behaviour in ("success", "empty"):
            return web.Response(text="success" if behaviour == "success" else "")
        if behaviour == "garbage":
            return web.Response(text="OK")
        if behaviour == "custom_send":
            task = asyncio.create_task(self.answer_later(fields))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
            return web.Response(text="success")
        said = fields.get("Content") or fields.get("EventKey") or fields.get("Event", "")
        to_user = "oSomebodyElse" if behaviour == "wrong_recipient" else fields["FromUserName"]
        reply = (
            f"<xml><ToUserName>{cdata(to_user)}</ToUserName>"
            f"<FromUserName>{cdata(fields['ToUserName'])}</FromUserName>"
            f"<CreateTime>{int(self.now())}</CreateTime><MsgType>{cdata('text')}</MsgType>"
            f"<Content>{cdata('echo: ' + said)}</Content></xml>"
        )
        if not encrypted or behaviour == "plain_reply":
            return web.Response(text=reply, content_type="text/xml")
        assert self.encoding_aes_key is not None
        app_id = FOREIGN_APP_ID if behaviour == "foreign_app_id" else self.app_id
        sealed = bank_encrypt(self.encoding_aes_key, reply.encode(), app_id, os.urandom(16))
        ts, nonce = str(int(self.now())), "4242424242"
        signature = bank_signature(self.token, ts, nonce, sealed)
        if behaviour == "bad_signature":
            signature = "0" * 40
        envelope = (
            f"<xml><Encrypt>{cdata(sealed)}</Encrypt><MsgSignature>{cdata(signature)}"
            f"</MsgSignature><TimeStamp>{ts}</TimeStamp><Nonce>{cdata(nonce)}</Nonce></xml>"
        )
        return web.Response(text=envelope, content_type="text/xml")

    async def answer_later(self, fields: dict[str, str]) -> None:
        # As a bank answers slow questions: "success" now, a customer-service message later.
        async with bank_client(self.api) as client:
            said = "received: " + fields.get("Content", "")
            await client.say(await client.token(), fields["FromUserName"], said)


@dataclass
class Rig:
    wx: WeChatPlatform
    bank: BankWebhook
    clock: FakeClock


@asynccontextmanager
async def harness(mode: Mode = "safe", behaviour: str = "echo") -> AsyncIterator[Rig]:
    """The platform double pushing to a :class:`BankWebhook`, all on one fake clock."""
    clock = FakeClock(START)
    key = None if mode == "plain" else KEY
    wx = WeChatPlatform(token=TOKEN, encoding_aes_key=key, mode=mode, now=clock)
    bank = BankWebhook(TOKEN, DEFAULT_APP_ID, key, clock, wx.api, behaviour)
    app = web.Application()
    app.router.add_get("/wechat", bank.get)
    app.router.add_post("/wechat", bank.post)
    runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with wx:
            wx.webhook_url = f"http://127.0.0.1:{port}/wechat"
            yield Rig(wx, bank, clock)
    finally:
        await runner.cleanup()


# ==================================================================== API helpers


SEND = "/cgi-bin/message/custom/send"


@dataclass
class Client:
    """The bank's calls to the API server, as plain HTTP."""

    api: WeChatApiServer
    session: ClientSession

    async def get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        async with self.session.get(self.api.base_url + path, params=params) as response:
            assert response.status == 200
            return dict(await response.json())

    async def post(self, path: str, token: str, payload: Any) -> dict[str, Any]:
        body = json.dumps(payload, ensure_ascii=False).encode()
        url = self.api.base_url + path
        async with self.session.post(url, params={"access_token": token}, data=body) as response:
            assert response.status == 200
            return dict(await response.json())

    async def fetch_token(
        self, appid: str = DEFAULT_APP_ID, secret: str = DEFAULT_APP_SECRET
    ) -> dict[str, Any]:
        params = {"grant_type": "client_credential", "appid": appid, "secret": secret}
        return await self.get("/cgi-bin/token", params)

    async def token(self) -> str:
        answer = await self.fetch_token()
        assert "access_token" in answer, answer
        return str(answer["access_token"])

    async def errcode(self, path: str, token: str, payload: Any) -> int:
        return int((await self.post(path, token, payload))["errcode"])

    async def say(self, token: str, openid: str, content: str = "hi") -> int:
        """A customer-service text; returns the errcode."""
        return await self.errcode(SEND, token, text_message(openid, content))


def text_message(openid: str, content: str) -> dict[str, Any]:
    return {"touser": openid, "msgtype": "text", "text": {"content": content}}


@asynccontextmanager
async def bank_client(api: WeChatApiServer) -> AsyncIterator[Client]:
    async with ClientSession() as session:
        yield Client(api, session)


@asynccontextmanager
async def api_client(clock: FakeClock | None = None) -> AsyncIterator[Client]:
    """A bare API server, without the push side."""
    async with WeChatApiServer(now=clock or FakeClock(START)) as api, bank_client(api) as client:
        yield client


# ==================================================================== crypto, pinned


def test_signature_is_sha1_of_the_sorted_concatenation() -> None:
    # The worked example in the platform's message-push documentation.
    assert sha1_signature("AAAAA", "1714036504", "1514711492") == (
        "f464b24fc39322e44b38aa78f5edd27bd1441696"
    )
    expected = hashlib.sha1(b"1514711492" + b"1714036504" + b"AAAAA").hexdigest()  # noqa: S324
    assert sha1_signature("1514711492", "AAAAA", "1714036504") == expected


def test_the_documentation_sample_push_verifies_and_decrypts() -> None:
    token, timestamp, nonce = "spamtest", "1409735669", "1320562132"
    signature = sha1_signature(token, timestamp, nonce, SAMPLE_ENCRYPT)
    assert signature == "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
    message, app_id = decrypt_message(SAMPLE_ENCRYPT, SAMPLE_KEY)
    assert app_id == "wx2c2769f8efd9abc2"
    fields = parse_xml(message)
    assert fields["Content"] == "abcdteT"
    assert fields["MsgId"] == "6054768590064713728"
    assert fields["ToUserName"] == "gh_10f6c3c3ac5a"


def test_encryption_matches_the_published_vector_step_by_step() -> None:
    prefix, app_id = b"aaaabbbbccccdddd", "wxb11529c136998cb6"
    message = "我是中文abcd123".encode()
    published = (
        "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
    )
    # AESKey = Base64-decode(EncodingAESKey + "="); IV = its first 16 bytes.
    key = base64.b64decode(SAMPLE_KEY + "=")
    assert len(key) == 32
    # 16 random bytes + 4-byte big-endian length + message (19 bytes) + app id (18 bytes) = 57.
    plain = prefix + b"\x00\x00\x00\x13" + message + app_id.encode()
    assert len(message) == 19 and len(plain) == 57
    # PKCS#7 to 32-byte blocks: 7 bytes of value 7 make 64.
    padded = plain + b"\x07" * 7
    assert pkcs7_pad(plain) == padded
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    by_hand = base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode()
    assert by_hand == published
    assert encrypt_message(message, SAMPLE_KEY, app_id, random_prefix=prefix) == published
    assert decrypt_message(published, SAMPLE_KEY) == (message, app_id)


def test_padding_is_to_32_byte_blocks_and_strict() -> None:
    assert pkcs7_pad(b"x" * 32) == b"x" * 32 + bytes([32]) * 32
    assert pkcs7_pad(b"x" * 31) == b"x" * 31 + b"\x01"
    assert pkcs7_unpad(pkcs7_pad(b"abc")) == b"abc"
    with pytest.raises(CryptoError):
        pkcs7_unpad(b"x" * 32 + bytes([16]) * 16)  # padded to AES's 16 bytes, not 32
    with pytest.raises(CryptoError):
        pkcs7_unpad(b"x" * 31 + b"\x21")
    with pytest.raises(CryptoError):
        pkcs7_unpad(b"x" * 29 + b"\x02\x03\x03")


@pytest.mark.parametrize("size", [0, 1, 11, 12, 13, 31, 32, 33, 1000])
def test_aes_round_trips_against_the_minimal_implementation(size: int) -> None:
    message = ("投诉建议" * 300).encode()[:size]
    sealed = encrypt_message(message, KEY, DEFAULT_APP_ID)
    assert bank_decrypt(KEY, sealed) == (message, DEFAULT_APP_ID)
    theirs = bank_encrypt(KEY, message, DEFAULT_APP_ID, os.urandom(16))
    assert decrypt_message(theirs, KEY) == (message, DEFAULT_APP_ID)


def test_broken_ciphertexts_are_refused() -> None:
    with pytest.raises(CryptoError):
        decrypt_message("not base64!", KEY)
    with pytest.raises(CryptoError):
        decrypt_message(base64.b64encode(b"x" * 20).decode(), KEY)
    with pytest.raises(ValueError, match="43"):
        encrypt_message(b"hi", KEY[:42], DEFAULT_APP_ID)


# ==================================================================== pushes to the webhook


async def test_plain_text_push_is_signed_and_its_reply_read() -> None:
    async with harness("plain") as rig:
        openid = new_openid()
        result = await rig.wx.send_text(openid, "hello")
    assert result.status == 200
    (seen,) = rig.bank.received
    assert set(seen.query) == {"signature", "timestamp", "nonce", "openid"}
    assert seen.query["timestamp"] == str(int(START))
    assert seen.query["openid"] == openid
    fields = seen.fields
    assert fields is not None
    assert fields["ToUserName"] == DEFAULT_ACCOUNT_ID
    assert fields["FromUserName"] == openid
    assert fields["CreateTime"] == str(int(START))
    assert fields["MsgType"] == "text"
    assert fields["Content"] == "hello"
    assert fields["MsgId"].isdigit()
    reply = result.reply
    assert reply is not None and not reply.encrypted
    assert reply.msg_type == "text" and reply["MsgType"] == "text"
    assert reply.content == "echo: hello"
    assert (reply.to_user, reply.from_user) == (openid, DEFAULT_ACCOUNT_ID)


async def test_safe_mode_push_carries_only_the_ciphertext() -> None:
    async with harness("safe") as rig:
        openid = new_openid()
        result = await rig.wx.send_text(openid, "我要投诉")
    (seen,) = rig.bank.received
    assert seen.query["encrypt_type"] == "aes"
    outer = bank_parse(seen.body)
    assert set(outer) == {"ToUserName", "Encrypt"}
    assert "我要投诉".encode() not in seen.body
    assert seen.fields is not None and seen.fields["Content"] == "我要投诉"
    reply = result.reply
    assert reply is not None and reply.encrypted
    assert reply.content == "echo: 我要投诉"


async def test_compatible_mode_push_carries_plaintext_and_ciphertext() -> None:
    async with harness("compat") as rig:
        result = await rig.wx.send_text(new_openid(), "both")
    (seen,) = rig.bank.received
    outer = bank_parse(seen.body)
    assert outer["Content"] == "both" and outer["Encrypt"]
    assert seen.fields is not None
    assert {k: v for k, v in outer.items() if k != "Encrypt"} == seen.fields
    assert result.reply is not None and result.reply.content == "echo: both"


async def test_text_with_a_cdata_terminator_survives() -> None:
    async with harness("safe") as rig:
        result = await rig.wx.send_text(new_openid(), "a]]>b<c>&d")
    assert rig.bank.accepted[0]["Content"] == "a]]>b<c>&d"
    assert result.reply is not None and result.reply.content == "echo: a]]>b<c>&d"


async def test_image_voice_and_event_pushes() -> None:
    async with harness("safe") as rig, bank_client(rig.wx.api) as client:
        openid = new_openid()
        await rig.wx.subscribe(openid)
        image = await rig.wx.send_image(openid)
        await rig.wx.send_voice(openid, recognition="你好")
        await rig.wx.click(openid, "COMPLAIN")
        await rig.wx.unsubscribe(openid)
        subscribe, picture, voice, click, unsubscribe = rig.bank.accepted
        async with client.session.get(picture["PicUrl"]) as response:
            assert await response.read() == FAKE_JPEG
        media_url = rig.wx.api.base_url + "/cgi-bin/media/get"
        query = {"access_token": await client.token(), "media_id": voice["MediaId"]}
        async with client.session.get(media_url, params=query) as response:
            assert response.content_type == "audio/amr"
            assert await response.read() == FAKE_AMR
    assert subscribe["MsgType"] == "event" and subscribe["Event"] == "subscribe"
    assert "MsgId" not in subscribe
    assert picture["MsgType"] == "image" and picture["MediaId"] and picture["MsgId"]
    assert voice["MsgType"] == "voice" and voice["Format"] == "amr"
    assert voice["Recognition"] == "你好"
    assert click["Event"] == "CLICK" and click["EventKey"] == "COMPLAIN"
    assert unsubscribe["Event"] == "unsubscribe"
    assert image.reply is not None and image.reply.content == "echo: "
    assert not rig.wx.api.is_subscribed(openid)


@pytest.mark.parametrize(
    ("mode", "forgery"),
    [
        ("plain", {"tamper": "signature"}),
        ("plain", {"tamper": "no_signature"}),
        ("plain", {"tamper": "no_timestamp"}),
        ("plain", {"timestamp": int(START) - 3600}),
        ("safe", {"tamper": "msg_signature"}),
        ("safe", {"tamper": "no_msg_signature"}),
        ("safe", {"tamper": "app_id"}),
        ("safe", {"tamper": "ciphertext"}),
        ("compat", {"tamper": "ciphertext"}),
    ],
)
async def test_forged_pushes_are_refused_and_open_no_window(
    mode: Mode, forgery: dict[str, Any]
) -> None:
    async with harness(mode) as rig:
        openid = new_openid()
        result = await rig.wx.send_text(openid, "forged", **forgery)
        assert result.status in (400, 403)
        assert result.reply is None
        assert rig.bank.accepted == []
        assert rig.wx.api.window(openid) is None


@pytest.mark.parametrize(
    "behaviour",
    ["bad_signature", "foreign_app_id", "plain_reply", "wrong_recipient", "garbage"],
)
async def test_unacceptable_replies_raise(behaviour: str) -> None:
    async with harness("safe", behaviour) as rig:
        with pytest.raises(ReplyError):
            await rig.wx.send_text(new_openid(), "hello")


@pytest.mark.parametrize("behaviour", ["success", "empty"])
async def test_success_or_nothing_means_no_reply(behaviour: str) -> None:
    async with harness("safe", behaviour) as rig:
        result = await rig.wx.send_text(new_openid(), "hello")
    assert result.ok and result.reply is None


async def test_redelivery_is_byte_for_byte_and_resigning_keeps_the_msg_id() -> None:
    async with harness("safe") as rig:
        openid = new_openid()
        prepared = rig.wx.build_text(openid, "once")
        results = await rig.wx.deliver_concurrently(prepared, 3)
        again = rig.wx.resign(prepared)
        await rig.wx.deliver(again)
        window = rig.wx.api.window(openid)
    assert [r.status for r in results] == [200, 200, 200]
    first, second, third, resigned = rig.bank.received
    assert first.body == second.body == third.body
    assert first.query == second.query == third.query
    assert resigned.body != first.body and resigned.query["nonce"] != first.query["nonce"]
    msg_ids = {seen.fields["MsgId"] for seen in rig.bank.received if seen.fields}
    assert msg_ids == {str(prepared.msg_id)}
    assert window is not None and window.remaining == 5


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL_ENTITY])
@pytest.mark.parametrize("encrypt", [False, True])
async def test_hostile_bodies_arrive_validly_signed(body: str, encrypt: bool) -> None:
    async with harness("safe" if encrypt else "plain") as rig:
        result = await rig.wx.send_raw(body)
    assert result.status == 400  # past the signature checks, refused by the parser
    (seen,) = rig.bank.received
    if encrypt:
        payload = bank_parse(seen.body)["Encrypt"]
        assert bank_decrypt(KEY, payload) == (body.encode(), DEFAULT_APP_ID)
    else:
        assert seen.body == body.encode()


async def test_url_verification() -> None:
    async with harness("safe") as rig:
        good = await rig.wx.verify_url()
        bad = await rig.wx.verify_url(tamper="signature")
    assert good.ok and good.body == good.echostr.encode()
    assert set(good.query) == {"signature", "timestamp", "nonce", "echostr"}
    assert not bad.ok and bad.status == 403


async def test_a_silent_webhook_gets_the_same_push_again() -> None:
    async with harness("safe", "hang") as rig:
        prepared = rig.wx.build_text(new_openid(), "anyone there?")
        started = time.monotonic()
        results = await rig.wx.deliver_with_retries(prepared, attempts=2, timeout=0.2)
    assert time.monotonic() - started < 2
    assert [r.timed_out for r in results] == [True, True]
    assert rig.bank.received[0].body == rig.bank.received[1].body
    assert rig.bank.received[0].query == rig.bank.received[1].query


async def test_a_push_opens_the_window_the_webhook_answers_through() -> None:
    async with harness("safe", "custom_send") as rig:
        openid = new_openid()
        result = await rig.wx.send_text(openid, "my card was swallowed")
        message = await rig.wx.api.wait_for_custom_message(openid)
    assert result.reply is None
    assert message.text == "received: my card was swallowed"


def test_the_webhook_must_be_on_this_machine() -> None:
    with pytest.raises(ValueError, match="loopback"):
        WeChatPlatform("https://bank.example.com/wechat")
    WeChatPlatform("http://localhost:8080/wechat")
    WeChatPlatform("http://[::1]:8080/wechat")


# ==================================================================== the API server


async def test_tokens_are_counted_checked_and_can_be_killed() -> None:
    clock = FakeClock(START)
    async with api_client(clock) as client:
        api = client.api
        assert (await client.fetch_token(appid="wx0123"))["errcode"] == 40013
        assert (await client.fetch_token(secret="nope"))["errcode"] == 40125
        first, second = await client.token(), await client.token()
        assert api.token_fetches == 2 and first != second
        api.set_last_interaction("o1")
        # The earlier token stays usable until it is killed.
        assert [await client.say(first, "o1"), await client.say(second, "o1")] == [0, 0]
        api.invalidate_tokens()
        answer = await client.post(SEND, first, text_message("o1", "x"))
        assert answer["errcode"] == 40001 and "invalid credential" in answer["errmsg"]
        assert await client.say(second, "o1") == 40001
        third = await client.token()
        api.expire_tokens()
        assert await client.say(third, "o1") == 42001
        fourth = await client.token()
        clock.advance(hours=2)
        assert await client.say(fourth, "o1") == 42001
        assert await client.say("", "o1") == 41001
        assert api.token_fetches == 4


async def test_the_48_hour_window_follows_the_fake_clock() -> None:
    async with harness("safe", "success") as rig, bank_client(rig.wx.api) as client:
        openid = new_openid()

        async def customer_service() -> int:
            # A fresh token each time: the clock outruns a token's two hours.
            return await client.say(await client.token(), openid)

        assert await customer_service() == 40003  # never seen
        await rig.wx.send_text(openid, "hello")
        rig.clock.advance(hours=47, minutes=59)
        assert await customer_service() == 0
        rig.clock.advance(minutes=1)
        assert await customer_service() == 45015
        await rig.wx.send_text(openid, "hello again")
        assert await customer_service() == 0
        rig.wx.api.set_last_interaction(openid, rig.clock() - 49 * 3600)
        assert await customer_service() == 45015
        await rig.wx.unsubscribe(openid)
        assert await customer_service() == 43004


async def test_five_messages_per_user_message() -> None:
    async with harness("plain", "success") as rig, bank_client(rig.wx.api) as client:
        openid, token = new_openid(), await client.token()
        await rig.wx.send_text(openid, "hello")
        assert [await client.say(token, openid, f"#{n}") for n in range(6)] == [0] * 5 + [45047]
        await rig.wx.send_text(openid, "still there?")
        assert await client.say(token, openid, "yes") == 0
        texts = [m.text for m in rig.wx.api.custom_messages(openid)]
        assert texts == ["#0", "#1", "#2", "#3", "#4", "yes"]


async def test_a_menu_click_allows_three_messages_within_a_minute() -> None:
    async with harness("plain", "success") as rig, bank_client(rig.wx.api) as client:
        openid, token = new_openid(), await client.token()
        await rig.wx.click(openid, "PRAISE")
        assert [await client.say(token, openid) for _ in range(4)] == [0, 0, 0, 45047]
        await rig.wx.click(openid, "PRAISE")
        rig.clock.advance(seconds=60)
        assert await client.say(token, openid) == 45015


async def test_text_is_limited_to_2048_bytes() -> None:
    async with api_client() as client:
        client.api.set_last_interaction("o1")
        token = await client.token()
        fits = "字" * 682 + "ab"  # 2046 + 2 bytes
        assert await client.say(token, "o1", fits) == 0
        assert await client.say(token, "o1", fits + "c") == 45002
        window = client.api.window("o1")
        assert window is not None and window.remaining == 4  # a refused message costs nothing


def _menu(tops: int, subs: int, name: str = "投诉") -> dict[str, Any]:
    leaves = [{"type": "click", "name": f"子{n}", "key": f"K{n}"} for n in range(subs)]
    return {"button": [{"name": name, "sub_button": leaves} for _ in range(tops)]}


async def test_menu_limits() -> None:
    async with api_client() as client:
        api, token, create = client.api, await client.token(), "/cgi-bin/menu/create"
        assert await client.errcode(create, token, _menu(3, 5)) == 0
        assert api.menu is not None and len(api.menu) == 3
        assert await client.errcode(create, token, _menu(4, 1)) == 40016
        assert await client.errcode(create, token, _menu(1, 6)) == 40023
        too_long = _menu(1, 1, name="投诉建议表扬奖")  # 21 bytes
        assert await client.errcode(create, token, too_long) == 40018
        bad_type = {"button": [{"type": "clack", "name": "A", "key": "K"}]}
        assert await client.errcode(create, token, bad_type) == 40017
        no_url = {"button": [{"type": "view", "name": "A"}]}
        assert await client.errcode(create, token, no_url) == 40020
        assert len(api.menu_history) == 1
        answer = await client.get("/cgi-bin/menu/get", {"access_token": token})
        assert len(answer["menu"]["button"]) == 3


async def test_template_messages_are_recorded() -> None:
    async with api_client() as client:
        api, token, send = client.api, await client.token(), "/cgi-bin/message/template/send"
        payload = {
            "touser": "o1",
            "template_id": "T-case-answered",
            "url": "https://bank.example.com/case/1",
            "data": {"case": {"value": "C-2027-0001"}},
        }
        assert await client.errcode(send, token, payload) == 40003
        api.add_user("o1")
        answer = await client.post(send, token, payload)
        assert answer["errcode"] == 0 and answer["errmsg"] == "ok"
        message = await api.wait_for_template_message("o1")
        assert message.msgid == answer["msgid"]
        assert message.data == {"case": {"value": "C-2027-0001"}}
        broken = {**payload, "data": {"case": "C-2027-0001"}}
        assert await client.errcode(send, token, broken) == 47001


async def test_template_job_finish_event_spells_msg_id_its_own_way() -> None:
    async with harness("safe", "success") as rig:
        await rig.wx.deliver(rig.wx.build_template_job_finish(new_openid(), 42))
    (fields,) = rig.bank.accepted
    assert fields["Event"] == "TEMPLATESENDJOBFINISH"
    assert fields["MsgID"] == "42" and fields["Status"] == "success"


async def test_media_expire_after_three_days() -> None:
    clock = FakeClock(START)
    async with api_client(clock) as client:
        client.api.add_media("M1", b"bytes")
        query = {"access_token": await client.token(), "media_id": "M1"}
        url = client.api.base_url + "/cgi-bin/media/get"
        async with client.session.get(url, params=query) as response:
            assert await response.read() == b"bytes"
        clock.advance(days=3)
        query["access_token"] = await client.token()
        assert (await client.get("/cgi-bin/media/get", query))["errcode"] == 40007


async def test_faults_are_injected_per_path_then_recover() -> None:
    async with api_client() as client:
        api = client.api
        api.fail_next("/cgi-bin/token", 502)
        params = {"grant_type": "client_credential", "appid": DEFAULT_APP_ID}
        params["secret"] = DEFAULT_APP_SECRET
        async with client.session.get(api.base_url + "/cgi-bin/token", params=params) as response:
            assert response.status == 502
            assert "Bad Gateway" in await response.text()
        token = await client.token()
        assert api.token_fetches == 1
        api.set_last_interaction("o1")
        api.fail_next_errcode("message/custom/send", -1)
        assert [await client.say(token, "o1"), await client.say(token, "o1")] == [-1, 0]
        assert [call.errcode for call in api.calls(SEND)] == [-1, 0]

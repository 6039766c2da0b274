"""The web API's handlers, each declared with its route, request and responses: the
routes are added and the OpenAPI document is written from the same table (`ROUTES`)."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from bots.web import WEB_REF, schemas
from bots.web.channel import Session, WebChannel
from bots.web.errors import ApiError, check, parse_json
from bots.web.events import Listeners
from bots.web.openapi import document
from bots.web.ratelimit import RateLimit
from bots.web.render import as_json
from bots.web.security import secure
from bots.web.tokens import Token, TokenRefused
from bots.web.uploads import Refused
from bots.web.uploads import check as check_upload
from core.cases.classification import IntakeChannel
from core.channel.io import Choice, Media, Text
from storage.web import StoredMessage

PREFIX = "/api/v1"
JSON_MAX = 16 * 1024
HEARTBEAT_S = 20.0
# Messages one answer of `GET /messages` holds at most; ask again after the last id.
PAGE = 200
ID_MAX = 2**31 - 1  # message ids are 32-bit integers on both databases
# A deliberately loose check: the mail server has the last word on an address.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True, slots=True)
class Limits:
    per_token: RateLimit
    per_ip: RateLimit
    upload_max: int


@dataclass
class Api:
    channel: WebChannel
    listeners: Listeners
    limits: Limits
    origins: frozenset[str]  # other sites that may call the API (CORS)


API = web.AppKey("web_api", Api)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str
    handler: Handler
    summary: str
    responses: dict[int, tuple[str, schemas.Schema | None]]
    request: schemas.Schema | None = None
    request_type: str = "application/json"
    authorised: bool = True
    query: tuple[tuple[str, schemas.Schema, str], ...] = field(default_factory=tuple)
    produces: str = "application/json"


def _api(request: web.Request) -> Api:
    return request.app[API]


async def _body(request: web.Request, schema: schemas.Schema, *, optional: bool = False) -> Any:
    if request.content_length is not None and request.content_length > JSON_MAX:
        raise ApiError(413, "too_large", f"the body may have at most {JSON_MAX} bytes")
    raw = await _read(request, JSON_MAX)
    if not raw.strip() and optional:
        return {}
    if raw.strip() and request.content_type != "application/json":
        raise ApiError(415, "unsupported_media_type", "send the body as application/json")
    value = parse_json(raw)
    check(value, schema)
    return value


async def _read(request: web.Request, limit: int) -> bytes:
    chunks, size = [], 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "too_large", f"the body may have at most {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def authorise(request: web.Request) -> Token:
    """The session a request belongs to, from `Authorization: Bearer TOKEN` (or, for an
    EventSource, which cannot send headers, `?access_token=TOKEN`); and its rate."""
    header = request.headers.get("Authorization", "")
    scheme, _, bearer = header.partition(" ")
    if not header:
        bearer = request.query.get("access_token", "")
    elif scheme.lower() != "bearer":
        bearer = ""
    if not bearer.strip():
        raise ApiError(
            401,
            "unauthorized",
            "send the session token as `Authorization: Bearer TOKEN` (POST /api/v1/sessions)",
            {"WWW-Authenticate": "Bearer"},
        )
    api = _api(request)
    try:
        token = await api.channel.authorise(bearer.strip())
    except TokenRefused as refusal:
        raise ApiError(
            401, "invalid_token", str(refusal), {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        ) from None
    wait = api.limits.per_token.take(token.conversation)
    if wait is not None:
        raise ApiError(
            429,
            "too_many_requests",
            f"too many requests; try again in {wait} s",
            {"Retry-After": str(wait)},
        )
    return token


def _replies(messages: list[StoredMessage]) -> list[dict[str, Any]]:
    return [as_json(m) for m in messages]


def _session(session: Session) -> web.Response:
    return web.json_response(
        {
            "token": session.token,
            "expires_at": session.expires.astimezone(UTC).isoformat(),
            "replies": _replies(session.replies),
        },
        status=201,
    )


async def create_session(request: web.Request) -> web.StreamResponse:
    body = await _body(request, schemas.SESSION_REQUEST, optional=True)
    channel = _api(request).channel
    if "resume" in body:
        try:
            return _session(await channel.resume(body["resume"]))
        except TokenRefused as refusal:
            raise ApiError(401, "invalid_token", str(refusal)) from None
    origin = IntakeChannel(body.get("origin", IntakeChannel.WEB.value))
    return _session(await channel.open(origin, body.get("language")))


async def end_session(request: web.Request) -> web.StreamResponse:
    token = await authorise(request)
    channel = _api(request).channel
    await channel.store.end(token.conversation, channel.clock())
    return web.Response(status=204)


async def post_message(request: web.Request) -> web.StreamResponse:
    token = await authorise(request)
    body = await _body(request, schemas.MESSAGE_REQUEST)
    if ("text" in body) == ("option" in body):
        raise ApiError(400, "invalid_request", "send either 'text' or 'option'")
    message = Text(body["text"]) if "text" in body else Choice(body["option"])
    replies = await _api(request).channel.say(token, message, body.get("client_message_id"))
    return web.json_response({"replies": _replies(replies)})


async def get_messages(request: web.Request) -> web.StreamResponse:
    token = await authorise(request)
    after = _after(request.query.get("after", "0"))
    messages = await _api(request).channel.store.after(token.conversation, after, PAGE)
    return web.json_response({"replies": _replies(messages)})


def _after(value: str) -> int:
    if not value.isascii() or not value.isdecimal() or len(value) > 10 or int(value) > ID_MAX:
        raise ApiError(400, "invalid_request", f"'after' must be a message id, 0 to {ID_MAX}")
    return int(value)


async def put_email(request: web.Request) -> web.StreamResponse:
    token = await authorise(request)
    body = await _body(request, schemas.EMAIL_REQUEST)
    email = body["email"].strip() if body["email"] else None
    if email is not None and not _EMAIL.match(email):
        raise ApiError(400, "invalid_email", "that is not an e-mail address")
    await _api(request).channel.store.set_email(token.conversation, email)
    return web.json_response({"email": email})


async def upload(request: web.Request) -> web.StreamResponse:
    token = await authorise(request)
    api = _api(request)
    limit = api.limits.upload_max
    if request.content_length is not None and request.content_length > limit + JSON_MAX:
        raise ApiError(413, "too_large", f"a file may have at most {limit} bytes")
    if request.content_type != "multipart/form-data":
        raise ApiError(415, "unsupported_media_type", "send the file as multipart/form-data")
    fields, content, content_type = await _form(request, limit)
    if content is None or content_type is None:
        raise ApiError(400, "invalid_request", "the form needs a 'file' part")
    check(fields, schemas.UPLOAD_REQUEST | {"required": []}, "form")
    try:
        checked = check_upload(content_type, content)
    except Refused as refusal:
        raise ApiError(refusal.status, refusal.code, str(refusal)) from None
    file_id = uuid.uuid4().hex
    channel = api.channel
    await channel.store.save_file(
        file_id, token.conversation, checked.content_type, content, channel.clock()
    )
    media = Media(checked.kind, WEB_REF + file_id, fields.get("caption") or None)
    replies = await channel.say(token, media, fields.get("client_message_id"))
    return web.json_response({"replies": _replies(replies)})


async def _form(
    request: web.Request, limit: int
) -> tuple[dict[str, str], bytes | None, str | None]:
    try:
        reader = await request.multipart()
        fields: dict[str, str] = {}
        content, content_type = None, None
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            data = await _part(part, limit if part.name == "file" else JSON_MAX)
            if part.name == "file":
                content, content_type = data, part.headers.get("Content-Type", "")
            else:
                fields[part.name] = data.decode("utf-8")
    except (ValueError, AssertionError, HttpProcessingError):  # a malformed form
        raise ApiError(400, "invalid_request", "the body is not a well-formed form") from None
    return fields, content, content_type


async def _part(part: BodyPartReader, limit: int) -> bytes:
    chunks, size = [], 0
    while chunk := await part.read_chunk(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "too_large", f"a file may have at most {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def events(request: web.Request) -> web.StreamResponse:
    """Server-Sent Events: every message after the last one the client has (its
    `Last-Event-ID`, or `after`), then each new one as it is stored."""
    token = await authorise(request)
    api = _api(request)
    last = _after(request.headers.get("Last-Event-ID") or request.query.get("after", "0"))
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"}
    )
    secure(request, response)
    await response.prepare(request)
    store, clock = api.channel.store, api.channel.clock
    beat = asyncio.get_running_loop().time()
    try:
        with api.listeners.listen(token.conversation) as woken:
            await response.write(b"retry: 2000\n\n")
            while not api.listeners.closing.is_set():
                for message in await store.after(token.conversation, last, PAGE):
                    data = json.dumps(as_json(message), ensure_ascii=False)
                    await response.write(
                        f"id: {message.id}\nevent: reply\ndata: {data}\n\n".encode()
                    )
                    last = message.id
                if asyncio.get_running_loop().time() - beat > HEARTBEAT_S:
                    beat = asyncio.get_running_loop().time()
                    await response.write(b": still here\n\n")
                    await store.seen(token.conversation, clock())
                await api.listeners.wait(woken)
    except ConnectionResetError:
        pass  # the client went away
    return response


async def openapi(_request: web.Request) -> web.StreamResponse:
    return web.json_response(document(ROUTES))


_REPLIES = ("the replies", schemas.REPLIES)
_UNAUTHORIZED = ("no valid session token", schemas.ERROR)
_LIMITED = ("too many requests (see Retry-After)", schemas.ERROR)
_BAD = ("the request is malformed", schemas.ERROR)

ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        f"{PREFIX}/sessions",
        create_session,
        "Start a conversation (its greeting comes back), or resume one with a resume token.",
        {201: ("the session", schemas.SESSION), 400: _BAD, 401: _UNAUTHORIZED, 429: _LIMITED},
        request=schemas.SESSION_REQUEST,
        authorised=False,
    ),
    Route(
        "DELETE",
        f"{PREFIX}/sessions",
        end_session,
        "End the conversation on this device (a kiosk clears itself); its resume link still works.",
        {204: ("ended", None), 401: _UNAUTHORIZED, 429: _LIMITED},
    ),
    Route(
        "POST",
        f"{PREFIX}/messages",
        post_message,
        "Send typed text or the key of an option; the replies come back.",
        {
            200: _REPLIES,
            400: _BAD,
            401: _UNAUTHORIZED,
            413: ("too large", schemas.ERROR),
            415: ("not JSON", schemas.ERROR),
            429: _LIMITED,
        },
        request=schemas.MESSAGE_REQUEST,
    ),
    Route(
        "GET",
        f"{PREFIX}/messages",
        get_messages,
        "Everything sent to this conversation after message `after` (all without it), in order.",
        {200: _REPLIES, 400: _BAD, 401: _UNAUTHORIZED, 429: _LIMITED},
        query=(
            (
                "after",
                {"type": "integer", "minimum": 0, "maximum": ID_MAX},
                "the last message id the client has",
            ),
        ),
    ),
    Route(
        "GET",
        f"{PREFIX}/events",
        events,
        "Server-Sent Events: each message sent to this conversation (event `reply`, id: its id).",
        {
            200: ("the event stream", {"type": "string"}),
            400: _BAD,
            401: _UNAUTHORIZED,
            429: _LIMITED,
        },
        query=(
            (
                "after",
                {"type": "integer", "minimum": 0, "maximum": ID_MAX},
                "the last message id the client has",
            ),
            ("access_token", {"type": "string"}, "the session token, for EventSource clients"),
        ),
        produces="text/event-stream",
    ),
    Route(
        "POST",
        f"{PREFIX}/attachments",
        upload,
        "Upload a photo (JPEG, PNG, GIF, WebP) or a PDF as a message of the conversation.",
        {
            200: _REPLIES,
            400: _BAD,
            401: _UNAUTHORIZED,
            413: ("too large", schemas.ERROR),
            415: ("type not accepted", schemas.ERROR),
            429: _LIMITED,
        },
        request=schemas.UPLOAD_REQUEST,
        request_type="multipart/form-data",
    ),
    Route(
        "PUT",
        f"{PREFIX}/email",
        put_email,
        "The e-mail address to tell of news of the customer's cases while they are offline.",
        {200: ("the address kept", schemas.EMAIL), 400: _BAD, 401: _UNAUTHORIZED, 429: _LIMITED},
        request=schemas.EMAIL_REQUEST,
    ),
    Route(
        "GET",
        f"{PREFIX}/openapi.json",
        openapi,
        "This document.",
        {200: ("the OpenAPI 3.1 document", {"type": "object"})},
        authorised=False,
    ),
)

"""The web API's refusals: a status, a stable code and a message for the developer,
answered as `{"error": {"code", "message"}}`."""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web

from bots.web.schemas import Schema


class ApiError(Exception):
    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}

    def response(self) -> web.Response:
        return error_response(self.status, self.code, self.message, self.headers)


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response(
        {"error": {"code": code, "message": message}}, status=status, headers=headers
    )


def parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw.strip() else {}
    except (UnicodeDecodeError, ValueError):
        raise ApiError(400, "invalid_json", "the body is not valid JSON") from None


def check(value: Any, schema: Schema, where: str = "body") -> None:
    """Refuse `value` unless it has the shape `schema` declares (the subset of JSON
    Schema the API's requests use)."""
    types = schema.get("type")
    if types is not None:
        allowed = types if isinstance(types, list) else [types]
        if not any(_is(value, t) for t in allowed):
            raise ApiError(400, "invalid_request", f"{where} must be {' or '.join(allowed)}")
    if value is None:
        return
    if "enum" in schema and value not in schema["enum"]:
        raise ApiError(400, "invalid_request", f"{where} must be one of {schema['enum']}")
    if isinstance(value, str):
        if "\x00" in value or (not value.isprintable() and _unencodable(value)):
            raise ApiError(400, "invalid_request", f"{where} is not valid text")
        if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", 1 << 30):
            raise ApiError(400, "invalid_request", f"{where} has the wrong length")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            raise ApiError(400, "invalid_request", f"{where} has characters it may not have")
    if isinstance(value, dict):
        properties: dict[str, Schema] = schema.get("properties", {})
        for name in schema.get("required", ()):
            if name not in value:
                raise ApiError(400, "invalid_request", f"{where} needs {name!r}")
        if schema.get("additionalProperties") is False:
            unknown = sorted(set(value) - set(properties))
            if unknown:
                raise ApiError(400, "invalid_request", f"{where} has unknown fields {unknown}")
        if len(value) < schema.get("minProperties", 0):
            raise ApiError(400, "invalid_request", f"{where} is empty")
        for name, item in value.items():
            if name in properties:
                check(item, properties[name], f"{where}.{name}")


def _unencodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, which JSON can carry
        return True
    return False


def _is(value: Any, json_type: str) -> bool:
    match json_type:
        case "object":
            return isinstance(value, dict)
        case "string":
            return isinstance(value, str)
        case "null":
            return value is None
        case "integer":
            return isinstance(value, int) and not isinstance(value, bool)
        case _:
            return False

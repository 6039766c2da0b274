"""The JSON shapes of the web API, declared once: the handlers check requests against
them and the OpenAPI document is written from them."""

from __future__ import annotations

from typing import Any

from bots.web.tokens import ORIGINS
from core.messages import LANGUAGES

Schema = dict[str, Any]

CLIENT_MESSAGE_ID = r"^[A-Za-z0-9_.:-]{1,100}$"
TEXT_MAX = 4000
EMAIL_MAX = 254

OPTION: Schema = {
    "type": "object",
    "required": ["key", "label"],
    "properties": {"key": {"type": "string"}, "label": {"type": "string"}},
}
REPLY: Schema = {
    "type": "object",
    "required": ["id", "text", "options"],
    "properties": {
        "id": {"type": "integer", "description": "Increases along the conversation."},
        "text": {"type": "string"},
        "options": {"type": "array", "items": {"$ref": "#/components/schemas/Option"}},
        "case_number": {"type": "string", "description": "The case this message is about."},
        "resume": {
            "type": "string",
            "description": "With a filed case: the link that continues this conversation.",
        },
    },
}
REPLIES: Schema = {
    "type": "object",
    "required": ["replies"],
    "properties": {"replies": {"type": "array", "items": {"$ref": "#/components/schemas/Reply"}}},
}
ERROR: Schema = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}
SESSION_REQUEST: Schema = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "origin": {"type": "string", "enum": [o.value for o in ORIGINS], "default": "web"},
        "language": {"type": "string", "enum": list(LANGUAGES)},
        "resume": {"type": "string", "description": "A resume token: continue that conversation."},
    },
}
SESSION: Schema = {
    "type": "object",
    "required": ["token", "expires_at", "replies"],
    "properties": {
        "token": {"type": "string", "description": "Send as `Authorization: Bearer TOKEN`."},
        "expires_at": {"type": "string", "format": "date-time"},
        "replies": REPLIES["properties"]["replies"],
    },
}
MESSAGE_REQUEST: Schema = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": {
        "text": {"type": "string", "minLength": 1, "maxLength": TEXT_MAX},
        "option": {"type": "string", "minLength": 1, "maxLength": 64},
        "client_message_id": {
            "type": "string",
            "pattern": CLIENT_MESSAGE_ID,
            "description": "The same id again acts once and answers the same replies.",
        },
    },
}
EMAIL_REQUEST: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["email"],
    "properties": {
        "email": {
            "type": ["string", "null"],
            "maxLength": EMAIL_MAX,
            "description": "Where to tell of news while offline; null: no more e-mail.",
        }
    },
}
EMAIL: Schema = {
    "type": "object",
    "required": ["email"],
    "properties": {"email": {"type": ["string", "null"]}},
}
UPLOAD_REQUEST: Schema = {
    "type": "object",
    "required": ["file"],
    "properties": {
        "file": {"type": "string", "format": "binary"},
        "caption": {"type": "string", "maxLength": 1000},
        "client_message_id": {"type": "string", "pattern": CLIENT_MESSAGE_ID},
    },
}
COMPONENTS: dict[str, Schema] = {"Option": OPTION, "Reply": REPLY, "Error": ERROR}

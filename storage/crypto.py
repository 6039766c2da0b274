"""Encryption at rest for contact data: AES-256-GCM under keys from the environment.

`INTAKE_DATA_KEYS` lists keys as `id:base64-of-32-bytes`, comma-separated. The first one
encrypts; every one listed decrypts, which is how keys are rotated: put the new key
first, run `intake keys rotate` (it re-encrypts every value under the new key), then
drop the old one. A value is stored as the envelope `v1:<key id>:<base64url(nonce +
ciphertext + tag)>`, so each value names the key it needs.

The keys belong to an engine (see `use_keys`): the column types in `storage.types` find
them through the dialect they are given, so the domain never sees any of this.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine

VERSION = "v1"
KEY_BYTES = 32
NONCE_BYTES = 12
_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,16}")
# Nonce, at least an empty plaintext and the 16-byte tag: 28 bytes, 38 base64 characters.
_ENVELOPE = re.compile(rf"{VERSION}:({_KEY_ID.pattern}):([A-Za-z0-9_-]{{38,}}={{0,2}})")
_ATTRIBUTE = "intake_data_keys"


class DataKeyError(ValueError):
    """INTAKE_DATA_KEYS cannot be used as written (the message says why, never the key)."""


class Undecryptable(RuntimeError):
    """A stored value cannot be decrypted with the keys configured."""


@dataclass(frozen=True, slots=True)
class DataKeys:
    """The configured keys, newest (the one that encrypts) first."""

    keys: tuple[tuple[str, bytes], ...]

    @classmethod
    def parse(cls, text: str) -> DataKeys:
        keys: list[tuple[str, bytes]] = []
        for position, entry in enumerate(text.split(","), 1):
            key_id, sep, encoded = entry.strip().partition(":")
            if not sep or not _KEY_ID.fullmatch(key_id):
                raise DataKeyError(
                    f"INTAKE_DATA_KEYS entry {position}: expected ID:BASE64 with an id of "
                    "1-16 characters of A-Z a-z 0-9 _ -"
                )
            try:
                secret = base64.b64decode(encoded, validate=True)
            except binascii.Error:
                secret = b""
            if len(secret) != KEY_BYTES:
                raise DataKeyError(
                    f"INTAKE_DATA_KEYS key {key_id!r}: not {KEY_BYTES} bytes in base64 "
                    "(`intake keys generate` prints one)"
                )
            if any(key_id == known for known, _ in keys):
                raise DataKeyError(f"INTAKE_DATA_KEYS lists key {key_id!r} twice")
            keys.append((key_id, secret))
        return cls(tuple(keys))

    @property
    def current(self) -> str:
        """The id of the key that encrypts."""
        return self.keys[0][0]

    def encrypt(self, plaintext: bytes, purpose: str) -> str:
        key_id, secret = self.keys[0]
        nonce = os.urandom(NONCE_BYTES)
        # The purpose (table and column) is authenticated: a value copied into another
        # column does not decrypt there.
        sealed = AESGCM(secret).encrypt(nonce, plaintext, purpose.encode())
        return f"{VERSION}:{key_id}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def decrypt(self, envelope: str, purpose: str) -> bytes:
        key_id, sealed = _split(envelope)
        secret = dict(self.keys).get(key_id)
        if secret is None:
            raise Undecryptable(
                f"a stored value is encrypted with key {key_id!r}, which INTAKE_DATA_KEYS "
                "does not list: add that key (after the current one) and restart"
            )
        try:
            return AESGCM(secret).decrypt(
                sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], purpose.encode()
            )
        except InvalidTag:
            raise Undecryptable(
                f"a stored value does not decrypt with key {key_id!r}: the key listed under "
                "that id is not the one it was written with, or the value was altered"
            ) from None


def key_id_of(value: str) -> str | None:
    """The key an envelope was written with; None for a value stored in clear."""
    match = _ENVELOPE.fullmatch(value)
    return match.group(1) if match else None


def _split(envelope: str) -> tuple[str, bytes]:
    match = _ENVELOPE.fullmatch(envelope)
    if match is None:
        raise Undecryptable("a stored value is not a well-formed envelope")
    return match.group(1), base64.urlsafe_b64decode(match.group(2))


def generate_key(key_id: str) -> str:
    """A new random key in the form INTAKE_DATA_KEYS takes."""
    if not _KEY_ID.fullmatch(key_id):
        raise DataKeyError("a key id has 1-16 characters of A-Z a-z 0-9 _ -")
    return f"{key_id}:{base64.b64encode(os.urandom(KEY_BYTES)).decode()}"


def use_keys(engine: AsyncEngine, keys: DataKeys | None) -> None:
    """Encrypt what this engine stores under `keys` (None: store contact data in clear)."""
    setattr(engine.sync_engine.dialect, _ATTRIBUTE, keys)


def keys_for(dialect: Dialect) -> DataKeys | None:
    return getattr(dialect, _ATTRIBUTE, None)

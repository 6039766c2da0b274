"""Codes people read off a screen and type on a phone: staff invitations, gift vouchers."""

from __future__ import annotations

import secrets
from collections.abc import Callable

# No 0/O, 1/I/L: 31 symbols nobody misreads.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
# The largest multiple of 31 a byte can hold; bytes from it up are dropped, so that each
# symbol is equally likely (taking every byte modulo 31 would favour the first symbols).
_UNBIASED_BELOW = 256 - 256 % len(CODE_ALPHABET)


def readable_code(
    length: int, group: int, random_bytes: Callable[[int], bytes] = secrets.token_bytes
) -> str:
    """`length` symbols from `random_bytes` (the OS's CSPRNG), in dash-separated groups."""
    symbols: list[str] = []
    while len(symbols) < length:
        for byte in random_bytes(length - len(symbols)):
            if byte < _UNBIASED_BELOW:
                symbols.append(CODE_ALPHABET[byte % len(CODE_ALPHABET)])
    return "-".join("".join(symbols[i : i + group]) for i in range(0, length, group))

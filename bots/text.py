"""Splitting long texts for platforms that cap a message's length."""

from __future__ import annotations

from collections.abc import Callable

from core.channel.io import continuation

# Room kept in each piece for a continuation line up to 「（续 999/999）」.
_MOST_PARTS = 999


def utf16_length(text: str) -> int:
    """Telegram counts a message's length in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def utf8_length(text: str) -> int:
    """WeChat counts a message's length in UTF-8 bytes."""
    return len(text.encode("utf-8"))


def split_text(text: str, limit: int, measure: Callable[[str], int] = len) -> list[str]:
    """Cut `text` into pieces of at most `limit`, preferring line breaks, then spaces,
    in the second half of a piece (a heading line stays with what it heads)."""
    pieces: list[str] = []
    rest = text
    while measure(rest) > limit:
        cut = _longest_prefix(rest, limit, measure)
        for separator in ("\n", " "):
            at = rest.rfind(separator, cut // 2, cut)
            if at > 0:
                cut = at + 1
                break
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n")
    if rest or not pieces:
        pieces.append(rest)
    return [p for p in pieces if p] or [""]


def split_continued(
    text: str, limit: int, measure: Callable[[str], int], continued: str | None
) -> list[str]:
    """Like `split_text`; with `continued` (see `Reply.continued`) every piece after the
    first starts with that line, saying which piece of how many it is."""
    if continued is None or measure(text) <= limit:
        return split_text(text, limit, measure)
    room = limit - measure(continuation(continued, _MOST_PARTS, _MOST_PARTS) + "\n")
    pieces = split_text(text, max(room, 1), measure)
    return [pieces[0]] + [
        f"{continuation(continued, i, len(pieces))}\n{piece}"
        for i, piece in enumerate(pieces[1:], 2)
    ]


def _longest_prefix(text: str, limit: int, measure: Callable[[str], int]) -> int:
    """The largest n with measure(text[:n]) <= limit (binary search: measure is monotone)."""
    low, high = 1, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if measure(text[:middle]) <= limit:
            low = middle
        else:
            high = middle - 1
    return low

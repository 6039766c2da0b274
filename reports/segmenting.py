"""Complaint and suggestion texts cut into words with jieba, for `core.problems`.

jieba's own dictionary ships inside its package; on top of it come the bank's words
shipped here (`dictionaries/bank_words.txt`: 手机银行, 年费, 挂失, ... kept whole) and,
if `INTAKE_BANK_WORDS_FILE` names one, the bank's own file in the same format (jieba's
user dictionary: one word a line, optionally followed by a frequency and a
part-of-speech tag, separated by spaces). The dictionary is built once, on the first
text cut; jieba's progress lines go to the logging module at debug level instead of
stderr.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jieba

BANK_WORDS = Path(__file__).with_name("dictionaries") / "bank_words.txt"

_log = logging.getLogger(__name__)


def _quiet_jieba() -> None:
    """jieba prints to stderr through a handler of its own, at debug level: let its
    records go through the logging configuration like everyone else's."""
    jieba.default_logger.removeHandler(jieba.log_console)
    jieba.default_logger.setLevel(logging.NOTSET)


class Segmenter:
    """A tokenizer (`core.problems.keywords.Tokenizer`): text -> words."""

    def __init__(self, bank_words_file: Path | None = None) -> None:
        self._files = (BANK_WORDS,) if bank_words_file is None else (BANK_WORDS, bank_words_file)
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def _ready(self) -> Any:
        with self._lock:
            if self._tokenizer is None:
                _quiet_jieba()
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                for path in self._files:
                    _log.debug("adding the words of %s to the segmenter", path)
                    tokenizer.load_userdict(str(path))
                self._tokenizer = tokenizer
            return self._tokenizer

    def __call__(self, text: str) -> Iterator[str]:
        """The words as jieba finds them, one run of text between punctuation at a time:
        who needs the first words only never pays for the rest."""
        words: Iterator[str] = self._ready().cut(text)
        return words


@cache
def segmenter(bank_words_file: Path | None = None) -> Segmenter:
    """The process's segmenter for these dictionaries: built once, shared."""
    return Segmenter(bank_words_file)

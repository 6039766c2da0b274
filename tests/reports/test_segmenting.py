"""jieba with the bank's words: the shipped ones and a bank's own file."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from core.problems.keywords import keywords
from reports.segmenting import BANK_WORDS, Segmenter


def test_the_shipped_bank_words_stay_whole_and_jieba_stays_off_stderr(
    capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    segment = Segmenter()
    with caplog.at_level(logging.DEBUG):
        words = list(segment("手机银行转账一直失败，信用卡年费被重复扣了"))
    assert {"手机银行", "转账", "信用卡", "年费"} <= set(words)
    assert keywords(words)[:2] == ["手机银行", "转账"]
    # jieba's progress lines went to the logging module, at debug level, not to stderr.
    assert "Prefix dict" not in capfd.readouterr().err
    assert any(
        "Prefix dict" in r.getMessage() and r.levelno == logging.DEBUG for r in caplog.records
    )


def test_the_shipped_dictionary_is_a_jieba_user_dictionary() -> None:
    lines = BANK_WORDS.read_text(encoding="utf-8").splitlines()
    assert 40 <= len(lines) <= 80
    for line in lines:
        word, freq, tag = line.split(" ")
        assert word and freq.isdecimal() and tag.isalpha(), line


def test_a_word_from_the_banks_own_file_is_kept_whole(tmp_path: Path) -> None:
    # A product name jieba does not know: cut into pieces without the bank's file.
    assert "鑫享宝" not in list(Segmenter()("鑫享宝理财到期了"))
    words = tmp_path / "words.txt"
    words.write_text("鑫享宝 10 nz\n融e借\n", encoding="utf-8")
    segment = Segmenter(words)
    assert next(iter(segment("鑫享宝理财到期了"))) == "鑫享宝"
    assert "融e借" in list(segment("融e借额度太低"))
    assert "手机银行" in list(segment("手机银行闪退"))  # the shipped words still count

"""The keywords of a text: its tokens without stop-words, punctuation and numbers.

The stop-words are the words every bank complaint or suggestion is full of and that say
nothing about its problem: pronouns and particles, greetings, time words, and the bank's
own generic words (银行, 网点, 工作人员, 业务, 办理, bank, branch, staff, ...). Tokens of
one character are dropped too: in Chinese they are mostly particles (的, 了, 我); English
acronyms are kept in capitals (ATM), other English words are lowercased.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import islice

# Text -> its words; lazily is best: only the first few keywords of a text are needed.
Tokenizer = Callable[[str], Iterable[str]]

_CHINESE = """
我们 你们 他们 她们 它们 自己 本人 大家 我的 您的 你的 这个 那个 这些 那些 这样 那样 这么 那么
什么 怎么 怎么办 为什么 为何 如何 哪里 是否 是不是 有没有 能不能 可不可以
一个 一下 一次 两次 三次 一直 一些 两个 几个 几次 多次 每次 每个 第一 第二 所有 其他 其它
就是 还是 但是 可是 不过 因为 所以 而且 并且 或者 如果 虽然 然后 之后 以后 之前 以前 后来
已经 现在 目前 当时 今天 昨天 前天 明天 上午 下午 晚上 早上 中午 小时 分钟 时候 时间 当天
非常 特别 十分 比较 真的 实在 确实 还有 没有 不是 不能 不会 不要 不用 可以 能够 需要 应该
希望 建议 请问 你好 您好 谢谢 感谢 麻烦 好的 知道 觉得 感觉 认为 表示 告诉 要求 进行 出现
银行 贵行 支行 分行 总行 网点 工作人员 工作 人员 客户 客服 业务 办理 问题 情况 投诉 反映
反馈 处理 相关 方面 一样 这种 那种 东西 事情 地方 结果 原因 说明 回复 联系 电话
"""

_ENGLISH = """
a an the i me my mine we us our you your he him his she her they them their it its
this that these those there here is am are was were be been being do does did done
have has had having to of in on at for from by with about as into over after before
and or but not no nor so very too also just still again even only than then
can could will would shall should may might must please thank thanks hello hi dear
what when where why how which who whom all any some more most much many every each
get got go went come came make made take took say said tell told ask asked
bank branch staff customer customers service problem issue today yesterday tomorrow
hour hours minute minutes day days time week
"""

STOP_WORDS = frozenset(_CHINESE.split()) | frozenset(_ENGLISH.split())


def keyword(token: str) -> str | None:
    """The token as a keyword, or None when it is not one."""
    word = token.strip()
    if len(word) < 2 or not any(ch.isalpha() for ch in word):
        return None
    if not word.isupper():
        word = word.lower()
    return None if word.lower() in STOP_WORDS else word


def keywords(tokens: Iterable[str], limit: int | None = None) -> list[str]:
    """The distinct keywords among the tokens, in the order they first appear; with
    `limit`, the first that many only (the rest of the tokens is never asked for)."""
    return list(islice(_distinct(tokens), limit))


def _distinct(tokens: Iterable[str]) -> Iterable[str]:
    seen: set[str] = set()
    for token in tokens:
        word = keyword(token)
        if word is not None and word not in seen:
            seen.add(word)
            yield word

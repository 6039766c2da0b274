"""Classifying a case the way the regulator counts it, from chat: its cause (`/classify`),
where the business happened (`/channel`), free tags (`/tag`, `/untag`), and merging a
repeated complaint into the earlier case of the same customer (`/merge`).

Causes and channels are offered and confirmed in the reader's words: as buttons on
Telegram, as numbered commands on WeChat (`/classify NO 3`); typed, a value is its
number in the list, its name in any language, or its code.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import TypeVar

from core.cases.case import Case
from core.cases.classification import Cause, Channel
from core.cases.filing import change_case_within
from core.cases.naming import cause_name, channel_name
from core.channel.io import Option, Reply
from core.desk import views
from core.desk.registry import Declared, case_command, with_text
from core.desk.staff import Role, may_classify
from core.desk.work import Work
from core.messages import LANGUAGES

CAUSES = tuple(Cause)
CHANNELS = tuple(Channel)
E = TypeVar("E", bound=StrEnum)
Naming = Callable[[str, E], str]


@case_command("classify", button=True, button_args=2)
async def classify(work: Work, case: Case) -> None:
    if not _may_classify(work, case):
        return
    typed = work.command.rest
    cause = _pick(typed, CAUSES, cause_name)
    if cause is None:
        key = "desk.classify.unknown" if typed else "desk.classify.choose"
        current = case.classification.cause
        offer_causes(work, case, _asking(work, case, key, cause_name, current))
        return
    actor, now, lang = work.staff.actor, work.now, work.staff.language
    changed = await change_case_within(
        work.uow, case, lambda c: c.classify(cause=cause, actor=actor, now=now)
    )
    key = "desk.done.classify" if changed else "desk.classify.same"
    work.say(key, number=case.number, cause=cause_name(lang, cause))


def offer_causes(work: Work, case: Case, text: str) -> None:
    """Say `text`, with every cause to choose from for the case."""
    _offer(work, case, text, classify, CAUSES, cause_name)


@case_command("channel", button=True, button_args=2)
async def channel(work: Work, case: Case) -> None:
    if not _may_classify(work, case):
        return
    typed = work.command.rest
    where = _pick(typed, CHANNELS, channel_name)
    if where is None:
        key = "desk.channel.unknown" if typed else "desk.channel.choose"
        current = case.classification.channel
        text = _asking(work, case, key, channel_name, current)
        _offer(work, case, text, channel, CHANNELS, channel_name)
        return
    actor, now, lang = work.staff.actor, work.now, work.staff.language
    changed = await change_case_within(
        work.uow, case, lambda c: c.correct_channel(where, actor=actor, now=now)
    )
    key = "desk.done.channel" if changed else "desk.channel.same"
    work.say(key, number=case.number, channel=channel_name(lang, where))


@case_command("tag", needs=with_text)
async def tag(work: Work, case: Case) -> None:
    label, actor, now = work.command.rest, work.staff.actor, work.now

    def add(c: Case) -> bool:
        return c.tag(label, actor=actor, now=now)

    await _retag(work, case, add, "desk.done.tag", "desk.tag.same")


@case_command("untag", needs=with_text)
async def untag(work: Work, case: Case) -> None:
    label, actor, now = work.command.rest, work.staff.actor, work.now

    def remove(c: Case) -> bool:
        return c.untag(label, actor=actor, now=now)

    await _retag(work, case, remove, "desk.done.untag", "desk.untag.missing")


async def _retag(
    work: Work, case: Case, change: Callable[[Case], bool], done: str, unchanged: str
) -> None:
    """Add or remove a tag; the reply names the case's tags, whether it changed or not."""
    if not _may_classify(work, case):
        return
    changed = await change_case_within(work.uow, case, change)
    tags = views.tag_words(case, work.staff.language)
    work.say(done if changed else unchanged, number=case.number, tags=tags)


@case_command("merge", role=Role.LEAD, needs=with_text)
async def merge(work: Work, repeated: Case) -> None:
    earlier = await work.other_case()
    if earlier is None:
        return
    actor, now = work.staff.actor, work.now
    await change_case_within(
        work.uow, repeated, lambda c: c.merge_into(earlier, actor=actor, now=now)
    )
    await work.uow.cases.save(earlier)  # its trail records what joined it
    language = await work.customer_language(repeated)
    work.tell_customer(repeated, language, "customer.merged", earlier=earlier.number)
    work.say("desk.done.merge", number=repeated.number, earlier=earlier.number)


def _may_classify(work: Work, case: Case) -> bool:
    if may_classify(work.staff, case):
        return True
    work.say("desk.classify.not_handler", number=case.number)
    return False


def _pick(typed: str, values: Sequence[E], name: Naming[E]) -> E | None:
    """The value typed as its number in `values`, its name in any language, or its code."""
    if typed.isdecimal():
        index = int(typed)
        return values[index - 1] if 1 <= index <= len(values) else None
    folded = " ".join(typed.split()).casefold()
    for value in values:
        if folded == value.value or any(
            folded == name(lang, value).casefold() for lang in LANGUAGES
        ):
            return value
    return None


def _asking(work: Work, case: Case, key: str, name: Naming[E], current: E | None) -> str:
    """The question `key` about the case, with its current value in words."""
    lang = work.staff.language
    now = name(lang, current) if current is not None else work.text("desk.classify.unset")
    return work.text(key, number=case.number, current=now)


def _offer(
    work: Work, case: Case, text: str, command: Declared, values: Sequence[E], name: Naming[E]
) -> None:
    """The choice as buttons whose keys carry the value's number, never its code: WeChat
    shows each as the command to type (`/classify NO 3`)."""
    lang = work.staff.language
    options = tuple(
        Option(command.button(case.number, i), name(lang, v)) for i, v in enumerate(values, 1)
    )
    work.replies.append(Reply(text, options))

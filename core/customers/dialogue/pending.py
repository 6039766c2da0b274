"""Questions put to a customer outside the intake, and the buttons that answer them.

The satisfaction survey, the low-rating follow-up, the confirmations of /redeem and
/forget, and two menus — which open case words sent after filing belong to, which
voucher to buy — wait in `Dialogue.pending` and are asked once the customer is idle.
Their button keys carry what they are about (`v:CP-20261129-0007:5`, `a:CP-…`, `y:3`),
so a Telegram button still answers the right case after the dialogue has moved on; on
WeChat the same options are a numbered menu.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.cases.naming import type_name
from core.cases.numbering import case_type_of, normalize_case_number
from core.cases.values import SATISFACTION_MAX, SATISFACTION_MIN
from core.channel.io import Option, Reply
from core.customers.dialogue.state import Awaiting, Pending
from core.messages import t

SURVEY = "v"  # v:NUMBER:ANSWER
REDEEM = "x"  # x:VOUCHER:ANSWER
FORGET = "f"  # f:ANSWER
ADD = "a"  # a:NUMBER (add to that case) or a:no
VOUCHER = "y"  # y:VOUCHER (offer it) or y:no

LATER, SKIP, REOPEN, CLOSE, YES, NO = "later", "skip", "reopen", "close", "yes", "no"


@dataclass(frozen=True, slots=True)
class Answer:
    """A pressed (or typed) answer to a pending question."""

    kind: str  # SURVEY, REDEEM, FORGET, ADD or VOUCHER
    ref: str  # the case number or voucher id; empty for FORGET and a "no"
    answer: str  # a score or one of the words above


def parse(key: str) -> Answer | None:
    """The answer a button key stands for; None if it is not one of these keys or is
    malformed (a stale or forged button)."""
    kind, _, rest = key.partition(":")
    if kind == SURVEY:
        number, _, answer = rest.rpartition(":")
        if normalize_case_number(number) != number:
            return None
        if answer in (LATER, SKIP, REOPEN, CLOSE) or (
            answer.isdecimal() and SATISFACTION_MIN <= int(answer) <= SATISFACTION_MAX
        ):
            return Answer(kind, number, answer)
        return None
    if kind == REDEEM:
        voucher, _, answer = rest.partition(":")
        if voucher.isdecimal() and answer in (YES, NO):
            return Answer(kind, voucher, answer)
        return None
    if kind == FORGET and rest in (YES, NO):
        return Answer(kind, "", rest)
    if kind in (ADD, VOUCHER) and rest == NO:
        return Answer(kind, "", NO)
    if (kind == ADD and normalize_case_number(rest) == rest) or (
        kind == VOUCHER and rest.isdecimal()
    ):
        return Answer(kind, rest, YES)
    return None


def add_option(number: str, label: str) -> Option:
    return Option(f"{ADD}:{number}", label)


def voucher_option(voucher_id: int, label: str) -> Option:
    return Option(f"{VOUCHER}:{voucher_id}", label)


def answers(asked: Pending, answer: Answer) -> bool:
    """Whether `answer` is one to the question `asked` (a late press of an earlier
    question's button is not)."""
    if asked.kind in (Awaiting.ADD, Awaiting.VOUCHER):
        menu = ADD if asked.kind is Awaiting.ADD else VOUCHER
        offered = {o.key.partition(":")[2] for o in asked.choices}
        return answer.kind == menu and (answer.answer == NO or answer.ref in offered)
    if asked.ref != answer.ref:
        return False
    match asked.kind:
        case Awaiting.RATING:
            return answer.kind == SURVEY and answer.answer not in (SKIP, REOPEN, CLOSE)
        case Awaiting.COMMENT:
            return answer.kind == SURVEY and answer.answer == SKIP
        case Awaiting.REOPEN:
            return answer.kind == SURVEY and answer.answer in (REOPEN, CLOSE)
        case Awaiting.REDEEM:
            return answer.kind == REDEEM and answer.answer in (YES, NO)
        case Awaiting.FORGET:
            return answer.kind == FORGET
    return False


def question(pending: Pending, lang: str) -> Reply:
    """What the customer is asked while `pending` waits."""
    ref = pending.ref
    match pending.kind:
        case Awaiting.RATING:
            return Reply(_survey_text(ref, lang), survey_options(ref, lang))
        case Awaiting.COMMENT:
            return Reply(
                t(lang, "survey.ask_comment", number=ref),
                (Option(f"{SURVEY}:{ref}:{SKIP}", t(lang, "survey.skip")),),
            )
        case Awaiting.REOPEN:
            return Reply(
                t(lang, "survey.sorry", number=ref),
                (
                    Option(f"{SURVEY}:{ref}:{REOPEN}", t(lang, "survey.reopen")),
                    Option(f"{SURVEY}:{ref}:{CLOSE}", t(lang, "survey.keep_closed")),
                ),
            )
        case Awaiting.REDEEM:
            return Reply(
                t(lang, "redeem.confirm", label=pending.label),
                (
                    Option(f"{REDEEM}:{ref}:{YES}", t(lang, "redeem.yes")),
                    Option(f"{REDEEM}:{ref}:{NO}", t(lang, "redeem.no")),
                ),
            )
        case Awaiting.FORGET:
            return Reply(
                t(lang, "forget.confirm"),
                (
                    Option(f"{FORGET}:{YES}", t(lang, "forget.yes")),
                    Option(f"{FORGET}:{NO}", t(lang, "forget.no")),
                ),
            )
        case Awaiting.ADD:
            one = len(pending.choices) == 1
            text = (
                t(lang, "add.ask_one", number=pending.choices[0].key.partition(":")[2])
                if one
                else t(lang, "add.ask_many")
            )
            return Reply(text, (*pending.choices, Option(f"{ADD}:{NO}", t(lang, "add.no"))))
        case Awaiting.VOUCHER:
            return Reply(
                pending.label or t(lang, "redeem.hint"),
                (*pending.choices, Option(f"{VOUCHER}:{NO}", t(lang, "redeem.no"))),
            )


def survey_options(number: str, lang: str) -> tuple[Option, ...]:
    """1 to 5 in this order, so that on WeChat typing the score picks it."""
    scores = range(SATISFACTION_MIN, SATISFACTION_MAX + 1)
    return (
        *(
            Option(f"{SURVEY}:{number}:{s}", t(lang, "survey.star", stars="★" * s, score=s))
            for s in scores
        ),
        Option(f"{SURVEY}:{number}:{LATER}", t(lang, "survey.later")),
    )


def survey_reminder(number: str, lang: str) -> Reply:
    text = t(lang, "survey.reminder") + "\n" + _survey_text(number, lang)
    return Reply(text, survey_options(number, lang))


def _survey_text(number: str, lang: str) -> str:
    return t(lang, "survey.ask", type=_type_word(number, lang), number=number)


def _type_word(number: str, lang: str) -> str:
    case_type = case_type_of(number)
    return type_name(lang, case_type) if case_type else ""

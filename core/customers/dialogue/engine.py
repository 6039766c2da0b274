"""The intake dialogue as a pure function: (dialogue, input) -> (dialogue, replies, effect).

The engine never performs I/O. What needs the outside world (filing the case, looking up
a customer's cases or points) comes back as an `Effect` that the conversation service
carries out. Every input gets at least one reply or an effect that produces one; no
input makes it raise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.cases.case import Attachment, CaseType
from core.cases.classification import BusinessType
from core.cases.numbering import normalize_case_number
from core.channel.io import (
    Choice,
    Input,
    Media,
    Option,
    Reply,
    SharedContact,
    Text,
    Unsupported,
)
from core.customers.dialogue import pending
from core.customers.dialogue.state import MENUS, Awaiting, Dialogue, Material, Pending, Step
from core.customers.dialogue.validation import NAME_MAX, normalize_name, normalize_phone
from core.identity import Contact
from core.messages import LANGUAGES, language_from_code, t

DESCRIPTION_MIN = 10
DESCRIPTION_MAX = 2000
OUTCOME_MAX = 500
BRANCH_MAX = 64


@dataclass(frozen=True, slots=True)
class DialogueSettings:
    branches: tuple[str, ...] = ()
    idle_timeout: timedelta = timedelta(minutes=30)
    max_attachments: int = 10
    # The bank's deadlines, as the greeting promises them (INTAKE_*_DAYS).
    complaint_days: int = 3
    suggestion_days: int = 5


# -- effects the service carries out ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class SubmitCase:
    type: CaseType
    business_type: BusinessType
    branch: str | None
    description: str
    attachments: tuple[Attachment, ...]
    desired_outcome: str | None
    contact: Contact


@dataclass(frozen=True, slots=True)
class ShowStatus:
    query: str  # what the customer typed; may not be a well-formed number


@dataclass(frozen=True, slots=True)
class ListCases:
    pass


@dataclass(frozen=True, slots=True)
class ShowPoints:
    pass


@dataclass(frozen=True, slots=True)
class AnswerCase:
    """The customer's answer to a question staff asked about a case."""

    number: str
    material: Material


@dataclass(frozen=True, slots=True)
class OfferAddition:
    """An idle customer sent words or a file: ask which of their open cases it is for
    (the service knows their cases); `material` is all that waits for the choice."""

    material: tuple[Material, ...]


@dataclass(frozen=True, slots=True)
class AddToCase:
    """The customer chose the open case the material they sent belongs to."""

    number: str
    material: tuple[Material, ...]


@dataclass(frozen=True, slots=True)
class RateCase:
    number: str
    score: int


@dataclass(frozen=True, slots=True)
class CommentOnRating:
    number: str
    text: str


@dataclass(frozen=True, slots=True)
class SettleRating:
    """After a low rating: reopen the case, or let it close."""

    number: str
    reopen: bool


@dataclass(frozen=True, slots=True)
class ShowVouchers:
    pass


@dataclass(frozen=True, slots=True)
class OfferVoucher:
    """A voucher chosen: ask the customer to confirm the exchange."""

    voucher_id: int


@dataclass(frozen=True, slots=True)
class RedeemVoucher:
    voucher_id: int


@dataclass(frozen=True, slots=True)
class ShowMyVouchers:
    """The vouchers the customer was issued, with their codes (`/vouchers`)."""


@dataclass(frozen=True, slots=True)
class ShowPrivacy:
    pass


@dataclass(frozen=True, slots=True)
class ForgetMe:
    pass


Effect = (
    SubmitCase
    | ShowStatus
    | ListCases
    | ShowPoints
    | AnswerCase
    | OfferAddition
    | AddToCase
    | RateCase
    | CommentOnRating
    | SettleRating
    | ShowVouchers
    | OfferVoucher
    | RedeemVoucher
    | ShowMyVouchers
    | ShowPrivacy
    | ForgetMe
)


@dataclass(frozen=True, slots=True)
class Turn:
    dialogue: Dialogue
    replies: tuple[Reply, ...] = ()
    effect: Effect | None = None


_CASE_TYPES = frozenset(c.value for c in CaseType)
_CANCEL_WORDS = {"取消", "cancel", "退出"}
_BACK_WORDS = {"返回", "上一步", "back"}
_HELP_WORDS = {"帮助", "help", "?", "？"}


def converse(
    dialogue: Dialogue,
    message: Input,
    *,
    now: datetime,
    settings: DialogueSettings,
    language_hint: str | None = None,
) -> Turn:
    """Answer one customer input."""
    d = dialogue.copy()
    if language_hint and not d.language_chosen:
        d.language = language_from_code(language_hint)
    notices: list[Reply] = []
    if d.unfinished and d.updated_at is not None and now - d.updated_at > settings.idle_timeout:
        if d.step is not Step.IDLE:
            minutes = int(settings.idle_timeout.total_seconds() // 60)
            notices.append(Reply(t(d.language, "expired", minutes=minutes)))
        d = d.restarted()  # material left waiting for a case lapses quietly
    d.updated_at = now

    if d.answering is not None:
        answer = _answer(d.answering, message)
        if answer is not None:
            d.answering = None
            return Turn(d, tuple(notices), answer)
    turn = _dispatch(d, message, now, settings)
    if notices and isinstance(turn.effect, OfferAddition):
        # Words meant for the intake that just expired: not material for a case.
        return Turn(turn.dialogue, (*notices, prompt(turn.dialogue, settings)))
    return Turn(turn.dialogue, (*notices, *turn.replies), turn.effect)


def _answer(number: str, message: Input) -> AnswerCase | None:
    """While a question is pending, words and media answer it; commands still work."""
    material = _material(message)
    if material is not None and not (material.text or "").startswith("/"):
        return AnswerCase(number, material)
    return None


def _material(message: Input) -> Material | None:
    """Words or a file a customer sent, as a case keeps them; None for anything else."""
    if isinstance(message, Text) and message.text.strip():
        return Material(text=message.text.strip())
    if isinstance(message, Media):
        return Material(media=Attachment(message.kind, message.ref, message.caption))
    return None


def prompt(d: Dialogue, settings: DialogueSettings) -> Reply:
    """What the customer is asked at the dialogue's current step."""
    lang = d.language
    match d.step:
        case Step.IDLE:
            if d.pending is not None:
                return pending.question(d.pending, lang)
            greeting = t(
                lang,
                "greeting",
                complaint_days=settings.complaint_days,
                suggestion_days=settings.suggestion_days,
            )
            return Reply(greeting, _menu_options(lang))
        case Step.BUSINESS:
            return Reply(
                t(lang, "ask.business", type=_type_word(d)),
                tuple(Option(f"b:{b.value}", t(lang, f"business.{b.value}")) for b in BusinessType),
            )
        case Step.BRANCH:
            options = [Option(f"r:{i}", name) for i, name in enumerate(settings.branches)]
            options.append(Option("r:online", t(lang, "branch.online")))
            return Reply(t(lang, "ask.branch"), tuple(options))
        case Step.DESCRIPTION:
            text = t(lang, "ask.description", min=DESCRIPTION_MIN, max=DESCRIPTION_MAX)
            return Reply(text, _continue(lang) if d.description else ())
        case Step.OUTCOME:
            return Reply(t(lang, "ask.outcome"), (Option("o:skip", t(lang, "skip")),))
        case Step.CONSENT:
            if d.case_type is CaseType.PRAISE:
                return Reply(
                    t(lang, "ask.consent_praise"),
                    (
                        Option("c:yes", t(lang, "consent.yes")),
                        Option("c:anon", t(lang, "consent.anonymous")),
                    ),
                )
            return Reply(t(lang, "ask.consent"), (Option("c:yes", t(lang, "consent.yes")),))
        case Step.NAME:
            return Reply(t(lang, "ask.name"))
        case Step.PHONE:
            return Reply(t(lang, "ask.phone"), contact_button=t(lang, "phone.share"))
        case Step.SUMMARY:
            return Reply(
                _summary(d),
                (
                    Option("s:submit", t(lang, "submit")),
                    Option("s:edit", t(lang, "edit")),
                    Option("s:cancel", t(lang, "cancel")),
                ),
            )
        case Step.EDIT:
            keys = ["business", "branch", "description"]
            if d.case_type is CaseType.COMPLAINT:
                keys.append("outcome")
            keys.append("contact")
            return Reply(
                t(lang, "ask.edit"), tuple(Option(f"e:{k}", t(lang, f"edit.{k}")) for k in keys)
            )


# -- dispatch ------------------------------------------------------------------------


def _dispatch(d: Dialogue, message: Input, now: datetime, settings: DialogueSettings) -> Turn:
    if isinstance(message, Text):
        text = message.text.strip()
        if text.startswith("/"):
            return _command(d, text, settings)
        word = text.casefold()
        if word in _CANCEL_WORDS:
            return _cancel(d, settings)
        if word in _BACK_WORDS:
            return _back(d, settings)
        if word in _HELP_WORDS:
            return Turn(d, (Reply(t(d.language, "help")), prompt(d, settings)))
        option = _match_option(prompt(d, settings).options, text)
        if option is not None:
            message = Choice(option.key)

    if isinstance(message, Unsupported):
        return _unsupported(d, settings, message.kind)
    if isinstance(message, Choice) and message.key.startswith("l:"):
        return _set_language(d, message.key[2:], settings)
    if isinstance(message, Choice):
        answer = pending.parse(message.key)
        if answer is not None:
            return _on_answer(d, answer, settings)
    handler = _HANDLERS[d.step]
    return handler(d, message, now, settings)


def _command(d: Dialogue, text: str, settings: DialogueSettings) -> Turn:
    head, _, arg = text.partition(" ")
    name = head[1:].split("@", 1)[0].casefold()  # Telegram groups send /status@BankBot
    arg = arg.strip()
    lang = d.language
    if name == "start":
        fresh = d.restarted()
        fresh.pending = None  # the menu, not a question left open
        return Turn(fresh, (prompt(fresh, settings),))
    if name in _CASE_TYPES:
        # /complaint, /suggestion, /praise (WeChat's menu): start afresh with that type.
        fresh = d.restarted()
        fresh.case_type, fresh.step = CaseType(name), Step.BUSINESS
        return Turn(fresh, (prompt(fresh, settings),))
    if name == "cancel":
        return _cancel(d, settings)
    if name == "back":
        return _back(d, settings)
    if name == "help":
        return Turn(d, (Reply(t(lang, "help")), prompt(d, settings)))
    if name == "language":
        if arg.casefold() in LANGUAGES:
            return _set_language(d, arg.casefold(), settings)
        return Turn(d, (Reply(t(lang, "ask.language"), _language_options()),))
    effect: Effect | None = None
    if name == "status":
        effect = ShowStatus(arg) if arg else ListCases()
    elif name == "mycases":
        effect = ListCases()
    elif name == "points":
        effect = ShowPoints()
    elif name == "redeem":
        effect = OfferVoucher(int(arg)) if arg.isdecimal() else ShowVouchers()
    elif name == "vouchers":
        effect = ShowMyVouchers()
    elif name == "privacy":
        effect = ShowPrivacy()
    elif name == "forget":
        d.pending = Pending(Awaiting.FORGET)
        return Turn(d, (pending.question(d.pending, lang), *_reprompt_unless_idle(d, settings)))
    if effect is not None:
        return Turn(d, _reprompt_unless_idle(d, settings), effect)
    return Turn(d, (Reply(t(lang, "not_understood") + "\n" + t(lang, "help")), prompt(d, settings)))


def _reprompt_unless_idle(d: Dialogue, settings: DialogueSettings) -> tuple[Reply, ...]:
    """After an aside (/status mid-dialogue), remind the customer where they were."""
    return () if d.step is Step.IDLE else (prompt(d, settings),)


def _cancel(d: Dialogue, settings: DialogueSettings) -> Turn:
    fresh = d.restarted()
    if d.step is Step.IDLE:
        fresh.pending = None  # nothing to cancel but the question left open
    return Turn(fresh, (Reply(t(d.language, "cancelled")), prompt(fresh, settings)))


def _back(d: Dialogue, settings: DialogueSettings) -> Turn:
    if not d.trail:
        if d.step is Step.IDLE:
            return Turn(d, (prompt(d, settings),))
        return Turn(d, (Reply(t(d.language, "back.nothing")), prompt(d, settings)))
    d.step = d.trail.pop()
    d.editing = False
    return Turn(d, (prompt(d, settings),))


def _set_language(d: Dialogue, code: str, settings: DialogueSettings) -> Turn:
    if code not in LANGUAGES:
        return _not_understood(d, settings)
    d.language = code
    d.language_chosen = True
    return Turn(d, (Reply(t(code, "language.set")), prompt(d, settings)))


# -- steps ----------------------------------------------------------------------------

Handler = Callable[[Dialogue, Input, datetime, DialogueSettings], Turn]


def _idle(d: Dialogue, message: Input, _now: datetime, settings: DialogueSettings) -> Turn:
    if isinstance(message, Choice):
        if message.key.startswith("t:") and message.key[2:] in _CASE_TYPES:
            fresh = d.restarted()  # a menu left open lapses, with what waited on it
            fresh.case_type, fresh.step = CaseType(message.key[2:]), Step.BUSINESS
            return Turn(fresh, (prompt(fresh, settings),))
        if message.key == "m:status":
            return Turn(d, (), ListCases())
        if message.key == "m:points":
            return Turn(d, (), ShowPoints())
        return Turn(d, (Reply(t(d.language, "stale_button")), prompt(d, settings)))
    if isinstance(message, SharedContact):
        return _unsupported(d, settings, "contact")
    if isinstance(message, Text):
        if d.pending is not None and d.pending.kind in (Awaiting.COMMENT, Awaiting.REOPEN):
            return Turn(d, (), CommentOnRating(d.pending.ref, message.text.strip()))
        number = normalize_case_number(message.text)
        if number is not None:
            return Turn(d, (), ShowStatus(number))
    material = _material(message)
    # Words or files after filing may belong to an open case; an open survey or
    # confirmation is answered first.
    if material is not None and (d.pending is None or d.pending.kind in MENUS):
        held = d.pending.material if d.pending is not None else ()
        if len(held) >= settings.max_attachments:
            text = t(d.language, "add.too_many", max=settings.max_attachments)
            return Turn(d, (Reply(text), prompt(d, settings)))
        return Turn(d, (), OfferAddition((*held, material)))
    return Turn(d, (prompt(d, settings),))


def _on_answer(d: Dialogue, answer: pending.Answer, settings: DialogueSettings) -> Turn:
    """A button (or typed number) answering a survey, voucher or forget question."""
    lang = d.language
    asked = d.pending
    confirmed = asked is not None and pending.answers(asked, answer)
    if confirmed:
        d.pending = None  # answered: the service sets the next question, if any
    aside = _reprompt_unless_idle(d, settings)
    match answer.kind, answer.answer:
        case pending.SURVEY, score if score.isdecimal():
            return Turn(d, aside, RateCase(answer.ref, int(score)))
        case pending.SURVEY, pending.LATER:
            text = t(lang, "survey.later_done", number=answer.ref)
            return Turn(d, (Reply(text), prompt(d, settings)))
        case pending.SURVEY, pending.SKIP:
            return Turn(d, (prompt(d, settings),))
        case pending.SURVEY, choice:
            return Turn(d, aside, SettleRating(answer.ref, reopen=choice == pending.REOPEN))
        # Spending points and forgetting need the confirmation still open: a double tap
        # on "yes" finds it answered and does nothing twice.
        case pending.REDEEM, pending.YES if confirmed:
            return Turn(d, aside, RedeemVoucher(int(answer.ref)))
        case pending.FORGET, pending.YES if confirmed:
            return Turn(d, (), ForgetMe())  # the service restarts any intake: no aside
        case ((pending.REDEEM | pending.FORGET), pending.NO):
            text = t(lang, f"{'redeem' if answer.kind == pending.REDEEM else 'forget'}.cancelled")
            return Turn(d, (Reply(text), prompt(d, settings)))
        # A voucher's button offers it whenever pressed, as `/redeem N` would.
        case pending.VOUCHER, pending.YES:
            return Turn(d, aside, OfferVoucher(int(answer.ref)))
        case pending.VOUCHER, pending.NO if confirmed:
            return Turn(d, (Reply(t(lang, "redeem.cancelled")), prompt(d, settings)))
        # Material is added only to a case it was offered for, while it waits.
        case pending.ADD, pending.YES if confirmed and asked is not None:
            return Turn(d, aside, AddToCase(answer.ref, asked.material))
        case pending.ADD, pending.NO if confirmed:
            return Turn(d, (Reply(t(lang, "add.dropped")), prompt(d, settings)))
    return Turn(d, (Reply(t(lang, "stale_button")), prompt(d, settings)))


def _business(d: Dialogue, message: Input, _now: datetime, settings: DialogueSettings) -> Turn:
    if isinstance(message, Choice) and message.key.startswith("b:"):
        value = message.key[2:]
        if value in BusinessType.__members__.values():
            d.business_type = BusinessType(value)
            return _advance(d, settings)
    return _not_understood(d, settings)


def _branch(d: Dialogue, message: Input, _now: datetime, settings: DialogueSettings) -> Turn:
    if isinstance(message, Choice):
        if message.key == "r:online":
            d.branch = None
            return _advance(d, settings)
        index = message.key[2:]
        if (
            message.key.startswith("r:")
            and index.isdecimal()
            and int(index) < len(settings.branches)
        ):
            d.branch = settings.branches[int(index)]
            return _advance(d, settings)
    if isinstance(message, Text) and message.text.strip():
        name = " ".join(message.text.split())
        if len(name) > BRANCH_MAX:
            return _refuse(d, settings, "branch.too_long", max=BRANCH_MAX)
        d.branch = name
        return _advance(d, settings)
    return _not_understood(d, settings)


def _description(d: Dialogue, message: Input, _now: datetime, settings: DialogueSettings) -> Turn:
    lang = d.language
    if isinstance(message, Choice) and message.key == "d:next":
        if d.description:
            return _advance(d, settings)
        return _refuse(d, settings, "description.missing")
    if isinstance(message, Media):
        if len(d.attachments) >= settings.max_attachments:
            return Turn(
                d,
                (
                    Reply(
                        t(lang, "attachment.too_many", max=settings.max_attachments),
                        _continue(lang) if d.description else (),
                    ),
                ),
            )
        d.attachments.append(Attachment(message.kind, message.ref, message.caption))
        text = t(lang, "attachment.added", count=len(d.attachments))
        if not d.description:
            text += "\n" + t(lang, "description.missing")
        return Turn(d, (Reply(text, _continue(lang) if d.description else ()),))
    if isinstance(message, Text) and message.text.strip():
        addition = message.text.strip()
        combined = f"{d.description}\n{addition}" if d.description else addition
        if len(combined) > DESCRIPTION_MAX:
            return _refuse(d, settings, "description.too_long", max=DESCRIPTION_MAX)
        if len(combined) < DESCRIPTION_MIN:
            return _refuse(d, settings, "description.too_short", min=DESCRIPTION_MIN)
        d.description = combined
        return Turn(d, (Reply(t(lang, "description.added"), _continue(lang)),))
    return _not_understood(d, settings)


def _outcome(d: Dialogue, message: Input, _now: datetime, settings: DialogueSettings) -> Turn:
    if isinstance(message, Choice) and message.key == "o:skip":
        d.desired_outcome = None
        return _advance(d, settings)
    if isinstance(message, Text) and message.text.strip():
        outcome = message.text.strip()
        if len(outcome) > OUTCOME_MAX:
            return _refuse(d, settings, "outcome.too_long", max=OUTCOME_MAX)
        d.desired_outcome = outcome
        return _advance(d, settings)
    return _not_understood(d, settings)


def _consent(d: Dialogue, message: Input, now: datetime, settings: DialogueSettings) -> Turn:
    if isinstance(message, Choice) and message.key == "c:yes":
        d.consent_at, d.anonymous = now, False
        return _advance(d, settings)
    if isinstance(message, Choice) and message.key == "c:anon" and d.case_type is CaseType.PRAISE:
        d.consent_at, d.anonymous, d.name, d.phone = None, True, None, None
        return _advance(d, settings)
    if d.case_type is not CaseType.PRAISE and isinstance(message, Text):
        return _refuse(d, settings, "consent.required", type=_type_word(d))
    return _not_understood(d, settings)


def _name(d: Dialogue, message: Input, _now: datetime, settings: DialogueSettings) -> Turn:
    if isinstance(message, SharedContact):
        if not message.is_own:
            return _refuse(d, settings, "phone.not_yours")
        phone = normalize_phone(message.phone, from_platform=True)
        name = normalize_name(message.name or "")
        if phone and name:
            d.name, d.phone = name, phone
            d.trail.append(Step.NAME)
            d.step = Step.PHONE
            return _advance(d, settings)
    if isinstance(message, Text):
        name = normalize_name(message.text)
        if name is not None:
            d.name = name
            return _advance(d, settings)
        return _refuse(d, settings, "name.invalid", max=NAME_MAX)
    return _not_understood(d, settings)


def _phone(d: Dialogue, message: Input, _now: datetime, settings: DialogueSettings) -> Turn:
    if isinstance(message, SharedContact):
        if not message.is_own:
            return _refuse(d, settings, "phone.not_yours")
        phone = normalize_phone(message.phone, from_platform=True)
    elif isinstance(message, Text):
        phone = normalize_phone(message.text)
    else:
        return _not_understood(d, settings)
    if phone is None:
        return _refuse(d, settings, "phone.invalid")
    d.phone = phone
    return _advance(d, settings)


def _summary(d: Dialogue) -> str:
    lang = d.language
    none = t(lang, "summary.none")
    if d.anonymous or not d.name:
        contact = t(lang, "summary.anonymous")
    else:
        contact = f"{d.name} {d.phone or ''}".strip()
    outcome = (
        t(lang, "summary.outcome", outcome=d.desired_outcome or none)
        if d.case_type is CaseType.COMPLAINT
        else ""
    )
    return t(
        lang,
        "summary",
        type=_type_word(d),
        business=t(lang, f"business.{d.business_type.value}") if d.business_type else none,
        branch=d.branch or t(lang, "branch.online"),
        description=d.description or none,
        attachments=len(d.attachments),
        outcome=outcome,
        contact=contact,
    )


def _summary_step(d: Dialogue, message: Input, _now: datetime, settings: DialogueSettings) -> Turn:
    if isinstance(message, Choice):
        if message.key == "s:submit":
            effect = _submission(d)
            if effect is not None:
                return Turn(d.restarted(), (), effect)
        if message.key == "s:edit":
            d.trail.append(Step.SUMMARY)
            d.step = Step.EDIT
            return Turn(d, (prompt(d, settings),))
        if message.key == "s:cancel":
            return _cancel(d, settings)
    return _not_understood(d, settings)


def _submission(d: Dialogue) -> SubmitCase | None:
    """The case to file, or None while an answer is missing."""
    if d.anonymous:
        contact = Contact()
    elif d.consent_at is not None and d.name and d.phone:
        contact = Contact(d.name, d.phone, d.consent_at)
    else:
        return None
    if d.case_type is None or d.business_type is None or not d.description:
        return None
    return SubmitCase(
        type=d.case_type,
        business_type=d.business_type,
        branch=d.branch,
        description=d.description,
        attachments=tuple(d.attachments),
        desired_outcome=d.desired_outcome,
        contact=contact,
    )


_EDIT_TARGETS = {
    "business": Step.BUSINESS,
    "branch": Step.BRANCH,
    "description": Step.DESCRIPTION,
    "outcome": Step.OUTCOME,
    "contact": Step.CONSENT,
}


def _edit(d: Dialogue, message: Input, _now: datetime, settings: DialogueSettings) -> Turn:
    if isinstance(message, Choice) and message.key.startswith("e:"):
        target = _EDIT_TARGETS.get(message.key[2:])
        if target is Step.OUTCOME and d.case_type is not CaseType.COMPLAINT:
            target = None
        if target is not None:
            if target is Step.DESCRIPTION:
                d.description = None  # retyped from scratch; attachments stay
            d.trail.append(Step.EDIT)
            d.step = target
            d.editing = True
            return Turn(d, (prompt(d, settings),))
    return _not_understood(d, settings)


_HANDLERS: dict[Step, Handler] = {
    Step.IDLE: _idle,
    Step.BUSINESS: _business,
    Step.BRANCH: _branch,
    Step.DESCRIPTION: _description,
    Step.OUTCOME: _outcome,
    Step.CONSENT: _consent,
    Step.NAME: _name,
    Step.PHONE: _phone,
    Step.SUMMARY: _summary_step,
    Step.EDIT: _edit,
}


# -- helpers --------------------------------------------------------------------------


def _next_step(d: Dialogue) -> Step:
    match d.step:
        case Step.BUSINESS:
            return Step.BRANCH
        case Step.BRANCH:
            return Step.DESCRIPTION
        case Step.DESCRIPTION:
            return Step.OUTCOME if d.case_type is CaseType.COMPLAINT else Step.CONSENT
        case Step.OUTCOME:
            return Step.CONSENT
        case Step.CONSENT:
            return Step.SUMMARY if d.anonymous else Step.NAME
        case Step.NAME:
            return Step.PHONE
        case _:
            return Step.SUMMARY


def _advance(d: Dialogue, settings: DialogueSettings) -> Turn:
    """Move past the current step; while editing, return to the summary after it (the
    contact details are one answer, so consent -> name -> phone run through)."""
    following = _next_step(d)
    if d.editing and following in (Step.NAME, Step.PHONE):
        d.step = following
        return Turn(d, (prompt(d, settings),))
    if d.editing:
        following = Step.SUMMARY
        d.editing = False
        d.trail = d.trail[: d.trail.index(Step.SUMMARY)] if Step.SUMMARY in d.trail else []
    else:
        d.trail.append(d.step)
    d.step = following
    return Turn(d, (prompt(d, settings),))


def _refuse(d: Dialogue, settings: DialogueSettings, key: str, **params: object) -> Turn:
    """Explain what was wrong, then ask again."""
    current = prompt(d, settings)
    return Turn(d, (Reply(t(d.language, key, **params), current.options, current.contact_button),))


def _unsupported(d: Dialogue, settings: DialogueSettings, kind: str) -> Turn:
    """Say what cannot be taken, and ask again what this step needs."""
    lang = d.language
    current = prompt(d, settings)
    lines = [t(lang, "unsupported", what=t(lang, f"input.{kind}"))]
    if d.answering is not None and d.step is Step.IDLE:
        lines.append(t(lang, "unsupported.answering", number=d.answering))
    lines.append(current.text)
    return Turn(d, (Reply("\n".join(lines), current.options, current.contact_button),))


def _not_understood(d: Dialogue, settings: DialogueSettings) -> Turn:
    current = prompt(d, settings)
    text = t(d.language, "not_understood") + "\n" + current.text
    return Turn(d, (Reply(text, current.options, current.contact_button),))


def _match_option(options: tuple[Option, ...], text: str) -> Option | None:
    """WeChat customers answer menus with a number or the option's words."""
    if text.isdecimal() and 1 <= int(text) <= len(options):
        return options[int(text) - 1]
    folded = text.casefold()
    return next((o for o in options if o.label.casefold() == folded), None)


def _menu_options(lang: str) -> tuple[Option, ...]:
    return (
        Option("t:complaint", t(lang, "menu.complaint")),
        Option("t:suggestion", t(lang, "menu.suggestion")),
        Option("t:praise", t(lang, "menu.praise")),
        Option("m:status", t(lang, "menu.status")),
        Option("m:points", t(lang, "menu.points")),
    )


def _language_options() -> tuple[Option, ...]:
    # Each language by its own name, so that a reader of any of them finds theirs.
    return tuple(Option(f"l:{code}", t(code, "language.name")) for code in LANGUAGES)


def _continue(lang: str) -> tuple[Option, ...]:
    return (Option("d:next", t(lang, "continue")),)


def _type_word(d: Dialogue) -> str:
    return t(d.language, f"type.{d.case_type.value}") if d.case_type else ""

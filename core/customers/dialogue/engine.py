"""The intake dialogue as a pure function: (dialogue, input) -> (dialogue, replies, effect).

The engine never performs I/O. What needs the outside world (filing the case, looking up
a customer's cases or points) comes back as an effect (`effects`) that the conversation
service carries out. Every input gets at least one reply or an effect that produces one;
no input makes it raise.

This module is the driver: it expires idle dialogues, routes commands (`commands`),
typed words and answers to questions asked outside the intake, and hands the rest to
the current step's handler (`steps`).
"""

from __future__ import annotations

from datetime import datetime

from core.channel.io import Choice, Input, Option, Reply, Text, Unsupported
from core.customers.dialogue import commands, pending
from core.customers.dialogue.effects import (
    AddToCase,
    AnswerCase,
    ForgetMe,
    OfferAddition,
    OfferVoucher,
    RateCase,
    RedeemVoucher,
    SettleRating,
    Turn,
)
from core.customers.dialogue.flow import LANGUAGE, Context, DialogueSettings, button_value
from core.customers.dialogue.state import Dialogue, Step
from core.customers.dialogue.steps import STEPS, material
from core.messages import language_from_code, t


def converse(
    dialogue: Dialogue,
    message: Input,
    *,
    now: datetime,
    settings: DialogueSettings,
    language_hint: str | None = None,
) -> Turn:
    """Answer one customer input."""
    ctx = Context(settings, STEPS)
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
    turn = _dispatch(d, message, now, ctx)
    if notices and isinstance(turn.effect, OfferAddition):
        # Words meant for the intake that just expired: not material for a case.
        return Turn(turn.dialogue, (*notices, ctx.prompt(turn.dialogue)))
    return Turn(turn.dialogue, (*notices, *turn.replies), turn.effect)


def prompt(d: Dialogue, settings: DialogueSettings) -> Reply:
    """What the customer is asked at the dialogue's current step."""
    return Context(settings, STEPS).prompt(d)


def _answer(number: str, message: Input) -> AnswerCase | None:
    """While a question is pending, words and media answer it; commands still work."""
    sent = material(message)
    if sent is not None and not (sent.text or "").startswith("/"):
        return AnswerCase(number, sent)
    return None


def _dispatch(d: Dialogue, message: Input, now: datetime, ctx: Context) -> Turn:
    if isinstance(message, Text):
        text = message.text.strip()
        if text.startswith("/"):
            return _command(d, text, ctx)
        command = commands.BY_WORD.get(text.casefold())
        if command is not None:
            return command.run(d, "", ctx)
        option = _match_option(ctx.prompt(d).options, text)
        if option is not None:
            message = Choice(option.key)

    if isinstance(message, Unsupported):
        return ctx.unsupported(d, message.kind)
    if isinstance(message, Choice):
        code = button_value(LANGUAGE, message.key)
        if code is not None:
            return ctx.set_language(d, code)
        answer = pending.parse(message.key)
        if answer is not None:
            return _on_answer(d, answer, ctx)
    return STEPS[d.step].handle(d, message, now, ctx)


def _command(d: Dialogue, text: str, ctx: Context) -> Turn:
    head, _, arg = text.partition(" ")
    name = head[1:].split("@", 1)[0].casefold()  # Telegram groups send /status@BankBot
    command = commands.BY_NAME.get(name)
    if command is not None:
        return command.run(d, arg.strip(), ctx)
    lang = d.language
    return ctx.ask(d, Reply(t(lang, "not_understood") + "\n" + t(lang, "help")))


def _on_answer(d: Dialogue, answer: pending.Answer, ctx: Context) -> Turn:
    """A button (or typed number) answering a survey, voucher or forget question."""
    lang = d.language
    asked = d.pending
    confirmed = asked is not None and pending.answers(asked, answer)
    if confirmed:
        d.pending = None  # answered: the service sets the next question, if any
    match answer.kind, answer.answer:
        case pending.SURVEY, score if score.isdecimal():
            return ctx.aside(d, RateCase(answer.ref, int(score)))
        case pending.SURVEY, pending.LATER:
            return ctx.ask(d, Reply(t(lang, "survey.later_done", number=answer.ref)))
        case pending.SURVEY, pending.SKIP:
            return ctx.ask(d)
        case pending.SURVEY, choice:
            return ctx.aside(d, SettleRating(answer.ref, reopen=choice == pending.REOPEN))
        # Spending points and forgetting need the confirmation still open: a double tap
        # on "yes" finds it answered and does nothing twice.
        case pending.REDEEM, pending.YES if confirmed:
            return ctx.aside(d, RedeemVoucher(int(answer.ref)))
        case pending.FORGET, pending.YES if confirmed:
            return Turn(d, (), ForgetMe())  # the service restarts any intake: no aside
        case ((pending.REDEEM | pending.FORGET), pending.NO):
            text = t(lang, f"{'redeem' if answer.kind == pending.REDEEM else 'forget'}.cancelled")
            return ctx.ask(d, Reply(text))
        # A voucher's button offers it whenever pressed, as `/redeem N` would.
        case pending.VOUCHER, pending.YES:
            return ctx.aside(d, OfferVoucher(int(answer.ref)))
        case pending.VOUCHER, pending.NO if confirmed:
            return ctx.ask(d, Reply(t(lang, "redeem.cancelled")))
        # Material is added only to a case it was offered for, while it waits.
        case pending.ADD, pending.YES if confirmed and asked is not None:
            return ctx.aside(d, AddToCase(answer.ref, asked.material))
        case pending.ADD, pending.NO if confirmed:
            return ctx.ask(d, Reply(t(lang, "add.dropped")))
    return ctx.ask(d, Reply(t(lang, "stale_button")))


def _match_option(options: tuple[Option, ...], text: str) -> Option | None:
    """WeChat customers answer menus with a number or the option's words."""
    if text.isdecimal() and 1 <= int(text) <= len(options):
        return options[int(text) - 1]
    folded = text.casefold()
    return next((o for o in options if o.label.casefold() == folded), None)

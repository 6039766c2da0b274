"""The intake's steps, each declared once: its question, options, handler and next step.

`STEPS` is the table the driver (`engine`) and every handler go through. Option keys are
named here, or derived from a prefix and the answer (`b:debit_card`), and nowhere else;
the summary and the edit step, which decide where to go themselves, are in `review`.
"""

from __future__ import annotations

from datetime import datetime

from core.cases.classification import BusinessType, Channel
from core.cases.naming import channel_name
from core.cases.numbering import normalize_case_number
from core.cases.values import Attachment, CaseType
from core.channel.io import Choice, Input, Media, Option, Reply, SharedContact, Text
from core.customers.dialogue import commands, pending, review
from core.customers.dialogue.effects import CommentOnRating, OfferAddition, ShowStatus, Turn
from core.customers.dialogue.flow import (
    Context,
    DialogueSettings,
    StepSpec,
    button_key,
    button_value,
)
from core.customers.dialogue.state import MENUS, Awaiting, Dialogue, Material, Step
from core.customers.dialogue.validation import NAME_MAX, normalize_name, normalize_phone
from core.messages import t

DESCRIPTION_MIN = 10
DESCRIPTION_MAX = 2000
OUTCOME_MAX = 500
BRANCH_MAX = 64

BUSINESS = "b"  # b:<business type>
BRANCH = "r"  # r:<index into the configured branches>
ONLINE = button_key(BRANCH, "online")
WHERE = "w"  # w:<channel>, for business done online or by machine
# The bank's channels a customer can name besides a branch's counter.
E_CHANNELS = (
    Channel.ONLINE_BANKING,
    Channel.MOBILE_APP,
    Channel.PUBLIC_PLATFORM,
    Channel.PHONE,
    Channel.SELF_SERVICE,
    Channel.SMS,
    Channel.THIRD_PARTY,
    Channel.OTHER,
)
NEXT = "d:next"  # the description is complete
SKIP_OUTCOME = "o:skip"
CONSENT = "c:yes"
ANONYMOUS = "c:anon"  # praise only


def material(message: Input) -> Material | None:
    """Words or a file a customer sent, as a case keeps them; None for anything else."""
    if isinstance(message, Text) and message.text.strip():
        return Material(text=message.text.strip())
    if isinstance(message, Media):
        return Material(media=Attachment(message.kind, message.ref, message.caption))
    return None


# -- idle: the greeting, or a question waiting outside the intake ---------------------


def _idle_question(d: Dialogue, settings: DialogueSettings) -> str:
    if d.pending is not None:
        return pending.question(d.pending, d.language).text
    return t(
        d.language,
        "greeting",
        complaint_days=settings.complaint_days,
        suggestion_days=settings.suggestion_days,
    )


def _idle_options(d: Dialogue, _settings: DialogueSettings) -> tuple[Option, ...]:
    if d.pending is not None:
        return pending.question(d.pending, d.language).options
    return tuple(Option(key, t(d.language, label)) for key, label in commands.GREETING)


def _idle(d: Dialogue, message: Input, _now: datetime, ctx: Context) -> Turn:
    if isinstance(message, Choice):
        command = commands.BY_BUTTON.get(message.key)
        if command is not None:
            return command.run(d, "", ctx)
        return ctx.ask(d, Reply(t(d.language, "stale_button")))
    if isinstance(message, SharedContact):
        return ctx.unsupported(d, "contact")
    if isinstance(message, Text):
        if d.pending is not None and d.pending.kind in (Awaiting.COMMENT, Awaiting.REOPEN):
            return Turn(d, (), CommentOnRating(d.pending.ref, message.text.strip()))
        number = normalize_case_number(message.text)
        if number is not None:
            return Turn(d, (), ShowStatus(number))
    sent = material(message)
    # Words or files after filing may belong to an open case; an open survey or
    # confirmation is answered first.
    if sent is not None and (d.pending is None or d.pending.kind in MENUS):
        held = d.pending.material if d.pending is not None else ()
        limit = ctx.settings.max_attachments
        if len(held) >= limit:
            return ctx.ask(d, Reply(t(d.language, "add.too_many", max=limit)))
        return Turn(d, (), OfferAddition((*held, sent)))
    return ctx.ask(d)


# -- the case's details ---------------------------------------------------------------


def _business_options(d: Dialogue, _settings: DialogueSettings) -> tuple[Option, ...]:
    return tuple(
        Option(button_key(BUSINESS, b.value), t(d.language, f"business.{b.value}"))
        for b in BusinessType
    )


def _business(d: Dialogue, message: Input, _now: datetime, ctx: Context) -> Turn:
    if isinstance(message, Choice):
        value = button_value(BUSINESS, message.key)
        if value is not None and value in BusinessType.__members__.values():
            d.business_type = BusinessType(value)
            return ctx.advance(d)
    return ctx.not_understood(d)


def _branch_options(d: Dialogue, settings: DialogueSettings) -> tuple[Option, ...]:
    listed = (Option(button_key(BRANCH, str(i)), n) for i, n in enumerate(settings.branches))
    return (*listed, Option(ONLINE, t(d.language, "branch.online")))


def _branch(d: Dialogue, message: Input, _now: datetime, ctx: Context) -> Turn:
    """A branch, chosen or typed, is where the business happened: at its counter.
    "Online" asks next which of the bank's e-channels it was."""
    if isinstance(message, Choice):
        if message.key == ONLINE:
            d.branch, d.channel = None, None
            return ctx.advance(d)
        index = button_value(BRANCH, message.key)
        branches = ctx.settings.branches
        if index is not None and index.isdecimal() and int(index) < len(branches):
            d.branch, d.channel = branches[int(index)], Channel.COUNTER
            return ctx.advance(d)
    if isinstance(message, Text) and message.text.strip():
        name = " ".join(message.text.split())
        if len(name) > BRANCH_MAX:
            return ctx.refuse(d, "branch.too_long", max=BRANCH_MAX)
        d.branch, d.channel = name, Channel.COUNTER
        return ctx.advance(d)
    return ctx.not_understood(d)


def _online_channel_options(d: Dialogue, _settings: DialogueSettings) -> tuple[Option, ...]:
    return tuple(
        Option(button_key(WHERE, c.value), channel_name(d.language, c)) for c in E_CHANNELS
    )


def _online_channel(d: Dialogue, message: Input, _now: datetime, ctx: Context) -> Turn:
    if isinstance(message, Choice):
        value = button_value(WHERE, message.key)
        chosen = next((c for c in E_CHANNELS if c.value == value), None)
        if chosen is not None:
            d.channel = chosen
            return ctx.advance(d)
    return ctx.not_understood(d)


def _description_question(d: Dialogue, _settings: DialogueSettings) -> str:
    return t(d.language, "ask.description", min=DESCRIPTION_MIN, max=DESCRIPTION_MAX)


def _description_options(d: Dialogue, _settings: DialogueSettings) -> tuple[Option, ...]:
    """A button to go on, once there is a description to go on from."""
    return (Option(NEXT, t(d.language, "continue")),) if d.description else ()


def _description(d: Dialogue, message: Input, _now: datetime, ctx: Context) -> Turn:
    lang, limit = d.language, ctx.settings.max_attachments
    if isinstance(message, Choice) and message.key == NEXT:
        if d.description:
            return ctx.advance(d)
        return ctx.refuse(d, "description.missing")
    if isinstance(message, Media):
        if len(d.attachments) >= limit:
            text = t(lang, "attachment.too_many", max=limit)
            return Turn(d, (Reply(text, _description_options(d, ctx.settings)),))
        d.attachments.append(Attachment(message.kind, message.ref, message.caption))
        text = t(lang, "attachment.added", count=len(d.attachments))
        if not d.description:
            text += "\n" + t(lang, "description.missing")
        return Turn(d, (Reply(text, _description_options(d, ctx.settings)),))
    if isinstance(message, Text) and message.text.strip():
        addition = message.text.strip()
        combined = f"{d.description}\n{addition}" if d.description else addition
        if len(combined) > DESCRIPTION_MAX:
            return ctx.refuse(d, "description.too_long", max=DESCRIPTION_MAX)
        if len(combined) < DESCRIPTION_MIN:
            return ctx.refuse(d, "description.too_short", min=DESCRIPTION_MIN)
        d.description = combined
        return Turn(
            d, (Reply(t(lang, "description.added"), _description_options(d, ctx.settings)),)
        )
    return ctx.not_understood(d)


def _outcome(d: Dialogue, message: Input, _now: datetime, ctx: Context) -> Turn:
    if isinstance(message, Choice) and message.key == SKIP_OUTCOME:
        d.desired_outcome = None
        return ctx.advance(d)
    if isinstance(message, Text) and message.text.strip():
        outcome = message.text.strip()
        if len(outcome) > OUTCOME_MAX:
            return ctx.refuse(d, "outcome.too_long", max=OUTCOME_MAX)
        d.desired_outcome = outcome
        return ctx.advance(d)
    return ctx.not_understood(d)


# -- who the customer is --------------------------------------------------------------


def _consent_question(d: Dialogue, _settings: DialogueSettings) -> str:
    praise = d.case_type is CaseType.PRAISE
    return t(d.language, "ask.consent_praise" if praise else "ask.consent")


def _consent_options(d: Dialogue, _settings: DialogueSettings) -> tuple[Option, ...]:
    lang = d.language
    agree = Option(CONSENT, t(lang, "consent.yes"))
    if d.case_type is CaseType.PRAISE:
        return (agree, Option(ANONYMOUS, t(lang, "consent.anonymous")))
    return (agree,)


def _consent(d: Dialogue, message: Input, now: datetime, ctx: Context) -> Turn:
    praise = d.case_type is CaseType.PRAISE
    if isinstance(message, Choice) and message.key == CONSENT:
        d.consent_at, d.anonymous = now, False
        return ctx.advance(d)
    if isinstance(message, Choice) and message.key == ANONYMOUS and praise:
        d.consent_at, d.anonymous, d.name, d.phone = None, True, None, None
        return ctx.advance(d)
    if not praise and isinstance(message, Text):
        return ctx.refuse(d, "consent.required", type=review.type_word(d))
    return ctx.not_understood(d)


def _name(d: Dialogue, message: Input, _now: datetime, ctx: Context) -> Turn:
    if isinstance(message, SharedContact):
        if not message.is_own:
            return ctx.refuse(d, "phone.not_yours")
        phone = normalize_phone(message.phone, from_platform=True)
        name = normalize_name(message.name or "")
        if phone and name:
            d.name, d.phone = name, phone
            d.trail.append(Step.NAME)
            d.step = Step.PHONE
            return ctx.advance(d)
    if isinstance(message, Text):
        name = normalize_name(message.text)
        if name is not None:
            d.name = name
            return ctx.advance(d)
        return ctx.refuse(d, "name.invalid", max=NAME_MAX)
    return ctx.not_understood(d)


def _phone(d: Dialogue, message: Input, _now: datetime, ctx: Context) -> Turn:
    if isinstance(message, SharedContact):
        if not message.is_own:
            return ctx.refuse(d, "phone.not_yours")
        phone = normalize_phone(message.phone, from_platform=True)
    elif isinstance(message, Text):
        phone = normalize_phone(message.text)
    else:
        return ctx.not_understood(d)
    if phone is None:
        return ctx.refuse(d, "phone.invalid")
    d.phone = phone
    return ctx.advance(d)


# -- the table ------------------------------------------------------------------------


STEPS: dict[Step, StepSpec] = {
    Step.IDLE: StepSpec(question=_idle_question, options=_idle_options, handle=_idle),
    Step.BUSINESS: StepSpec(
        question=lambda d, _s: t(d.language, "ask.business", type=review.type_word(d)),
        options=_business_options,
        handle=_business,
        next=lambda _d: Step.BRANCH,
    ),
    Step.BRANCH: StepSpec(
        question=lambda d, _s: t(d.language, "ask.branch"),
        options=_branch_options,
        handle=_branch,
        next=lambda d: Step.DESCRIPTION if d.channel is Channel.COUNTER else Step.ONLINE_CHANNEL,
    ),
    Step.ONLINE_CHANNEL: StepSpec(
        question=lambda d, _s: t(d.language, "ask.online_channel"),
        options=_online_channel_options,
        handle=_online_channel,
        next=lambda _d: Step.DESCRIPTION,
    ),
    Step.DESCRIPTION: StepSpec(
        question=_description_question,
        options=_description_options,
        handle=_description,
        next=lambda d: Step.OUTCOME if d.case_type is CaseType.COMPLAINT else Step.CONSENT,
    ),
    Step.OUTCOME: StepSpec(
        question=lambda d, _s: t(d.language, "ask.outcome"),
        options=lambda d, _s: (Option(SKIP_OUTCOME, t(d.language, "skip")),),
        handle=_outcome,
        next=lambda _d: Step.CONSENT,
    ),
    Step.CONSENT: StepSpec(
        question=_consent_question,
        options=_consent_options,
        handle=_consent,
        next=lambda d: Step.SUMMARY if d.anonymous else Step.NAME,
    ),
    Step.NAME: StepSpec(
        question=lambda d, _s: t(d.language, "ask.name"),
        options=lambda _d, _s: (),
        handle=_name,
        next=lambda _d: Step.PHONE,
    ),
    Step.PHONE: StepSpec(
        question=lambda d, _s: t(d.language, "ask.phone"),
        options=lambda _d, _s: (),
        handle=_phone,
        next=lambda _d: Step.SUMMARY,
        contact_button="phone.share",
    ),
    Step.SUMMARY: review.SUMMARY_STEP,
    Step.EDIT: review.EDIT_STEP,
}

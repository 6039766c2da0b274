"""The intake's last two steps: the summary (submit, edit or cancel) and what to edit.

Unlike the steps before them, these choose where the dialogue goes: submitting ends the
intake with the case to file, and an edit goes back to one answer, after which the
dialogue returns to the summary (see `Context.advance`).
"""

from __future__ import annotations

from datetime import datetime

from core.cases.naming import channel_name, type_name
from core.cases.values import CaseType
from core.channel.io import Choice, Input, Option
from core.customers.dialogue.effects import SubmitCase, Turn
from core.customers.dialogue.flow import (
    Context,
    DialogueSettings,
    StepSpec,
    button_key,
    button_value,
)
from core.customers.dialogue.state import Dialogue, Step
from core.identity import Contact
from core.messages import t

SUBMIT, EDIT, CANCEL = "s:submit", "s:edit", "s:cancel"
CHANGE = "e"  # e:<answer to change>, one of _EDIT_TARGETS

_EDIT_TARGETS = {
    "business": Step.BUSINESS,
    "branch": Step.BRANCH,
    "description": Step.DESCRIPTION,
    "outcome": Step.OUTCOME,
    "contact": Step.CONSENT,
}


def type_word(d: Dialogue) -> str:
    return type_name(d.language, d.case_type) if d.case_type else ""


def _summary(d: Dialogue, _settings: DialogueSettings) -> str:
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
        type=type_word(d),
        business=t(lang, f"business.{d.business_type.value}") if d.business_type else none,
        branch=_where(d),
        description=d.description or none,
        attachments=len(d.attachments),
        outcome=outcome,
        contact=contact,
    )


def _where(d: Dialogue) -> str:
    """The branch, or the e-channel the business was done through."""
    if d.branch:
        return d.branch
    if d.channel is not None:
        return t(d.language, "summary.online", channel=channel_name(d.language, d.channel))
    return t(d.language, "branch.online")


def _summary_options(d: Dialogue, _settings: DialogueSettings) -> tuple[Option, ...]:
    lang = d.language
    return (
        Option(SUBMIT, t(lang, "submit")),
        Option(EDIT, t(lang, "edit")),
        Option(CANCEL, t(lang, "cancel")),
    )


def _at_summary(d: Dialogue, message: Input, _now: datetime, ctx: Context) -> Turn:
    if isinstance(message, Choice):
        if message.key == SUBMIT:
            effect = _submission(d)
            if effect is not None:
                return Turn(d.restarted(), (), effect)
        if message.key == EDIT:
            d.trail.append(Step.SUMMARY)
            d.step = Step.EDIT
            return ctx.ask(d)
        if message.key == CANCEL:
            return ctx.cancel(d)
    return ctx.not_understood(d)


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
        channel=d.channel,
        branch=d.branch,
        description=d.description,
        attachments=tuple(d.attachments),
        desired_outcome=d.desired_outcome,
        contact=contact,
    )


def _changeable(d: Dialogue) -> list[str]:
    """The answers this case has (only a complaint asks for the desired outcome)."""
    return [k for k in _EDIT_TARGETS if k != "outcome" or d.case_type is CaseType.COMPLAINT]


def _edit_options(d: Dialogue, _settings: DialogueSettings) -> tuple[Option, ...]:
    return tuple(Option(button_key(CHANGE, k), t(d.language, f"edit.{k}")) for k in _changeable(d))


def _edit(d: Dialogue, message: Input, _now: datetime, ctx: Context) -> Turn:
    if isinstance(message, Choice):
        answer = button_value(CHANGE, message.key)
        if answer in _changeable(d):
            target = _EDIT_TARGETS[answer]
            if target is Step.DESCRIPTION:
                d.description = None  # retyped from scratch; attachments stay
            d.trail.append(Step.EDIT)
            d.step = target
            d.editing = True
            return ctx.ask(d)
    return ctx.not_understood(d)


SUMMARY_STEP = StepSpec(question=_summary, options=_summary_options, handle=_at_summary)
EDIT_STEP = StepSpec(
    question=lambda d, _s: t(d.language, "ask.edit"), options=_edit_options, handle=_edit
)

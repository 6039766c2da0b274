"""The shape of an intake step, and the moves that steps and commands share.

A step is declared once, as a `StepSpec`: the question it asks, the options it offers,
the handler that takes the customer's answer and the step that follows — the table of
states a conversation handler keeps, but pure. Handlers and commands answer through a
`Context`, which holds the settings and the table of steps, so they can ask the question
of whatever step the dialogue is at without knowing the table themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.channel.io import Input, Option, Reply
from core.customers.dialogue.effects import Effect, Turn
from core.customers.dialogue.state import Dialogue, Step
from core.messages import LANGUAGES, t


@dataclass(frozen=True, slots=True)
class DialogueSettings:
    branches: tuple[str, ...] = ()
    idle_timeout: timedelta = timedelta(minutes=30)
    max_attachments: int = 10
    # The bank's deadlines, as the greeting promises them (INTAKE_*_DAYS).
    complaint_days: int = 3
    suggestion_days: int = 5


Handler = Callable[[Dialogue, Input, datetime, "Context"], Turn]


@dataclass(frozen=True, slots=True)
class StepSpec:
    """One step of the dialogue, everything about it in one place."""

    question: Callable[[Dialogue, DialogueSettings], str]
    options: Callable[[Dialogue, DialogueSettings], tuple[Option, ...]]
    handle: Handler  # what the customer sent at this step (after commands and words)
    # The step after this one is answered; None where the handler itself decides (the
    # menu, the summary, the choice of what to edit).
    next: Callable[[Dialogue], Step] | None = None
    contact_button: str | None = None  # message key of the "share my phone" button


def button_key(prefix: str, value: str) -> str:
    """A key of a family of options (`b:debit_card`, `r:0`): the prefix names the family."""
    return f"{prefix}:{value}"


def button_value(prefix: str, key: str) -> str | None:
    """What follows the prefix in a key of that family; None for any other key."""
    head, sep, value = key.partition(":")
    return value if sep and head == prefix else None


# The options that switch the language (`/language`), answered at every step.
LANGUAGE = "l"


def language_options() -> tuple[Option, ...]:
    # Each language by its own name, so that a reader of any of them finds theirs.
    return tuple(Option(button_key(LANGUAGE, code), t(code, "language.name")) for code in LANGUAGES)


# Steps that complete the answer of the step before them, also when it is edited.
_SAME_ANSWER = frozenset({Step.NAME, Step.PHONE, Step.ONLINE_CHANNEL})


@dataclass(frozen=True, slots=True)
class Context:
    """What a handler or command needs to answer: the settings and the steps' table."""

    settings: DialogueSettings
    steps: Mapping[Step, StepSpec]

    def prompt(self, d: Dialogue) -> Reply:
        """What the customer is asked at the dialogue's current step."""
        spec = self.steps[d.step]
        button = t(d.language, spec.contact_button) if spec.contact_button else None
        return Reply(spec.question(d, self.settings), spec.options(d, self.settings), button)

    def advance(self, d: Dialogue) -> Turn:
        """Move past the current step; while editing, return to the summary after it (the
        contact details are one answer, so consent -> name -> phone run through, as does
        "online" -> which e-channel)."""
        spec = self.steps[d.step]
        # A step without a next one leads to nothing but the summary.
        following = spec.next(d) if spec.next is not None else Step.SUMMARY
        if d.editing and following in _SAME_ANSWER:
            d.step = following
            return Turn(d, (self.prompt(d),))
        if d.editing:
            following = Step.SUMMARY
            d.editing = False
            d.trail = d.trail[: d.trail.index(Step.SUMMARY)] if Step.SUMMARY in d.trail else []
        else:
            d.trail.append(d.step)
        d.step = following
        return Turn(d, (self.prompt(d),))

    def ask(self, d: Dialogue, *before: Reply) -> Turn:
        """Say what comes before (if anything), then ask the current step's question."""
        return Turn(d, (*before, self.prompt(d)))

    def refuse(self, d: Dialogue, key: str, **params: object) -> Turn:
        """Explain what was wrong, then ask again."""
        current = self.prompt(d)
        text = t(d.language, key, **params)
        return Turn(d, (Reply(text, current.options, current.contact_button),))

    def not_understood(self, d: Dialogue) -> Turn:
        current = self.prompt(d)
        text = t(d.language, "not_understood") + "\n" + current.text
        return Turn(d, (Reply(text, current.options, current.contact_button),))

    def unsupported(self, d: Dialogue, kind: str) -> Turn:
        """Say what cannot be taken, and ask again what this step needs."""
        lang = d.language
        current = self.prompt(d)
        lines = [t(lang, "unsupported", what=t(lang, f"input.{kind}"))]
        if d.answering is not None and d.step is Step.IDLE:
            lines.append(t(lang, "unsupported.answering", number=d.answering))
        lines.append(current.text)
        return Turn(d, (Reply("\n".join(lines), current.options, current.contact_button),))

    def again(self, d: Dialogue) -> tuple[Reply, ...]:
        """After an aside (/status mid-dialogue), remind the customer where they were."""
        return () if d.step is Step.IDLE else (self.prompt(d),)

    def aside(self, d: Dialogue, effect: Effect) -> Turn:
        return Turn(d, self.again(d), effect)

    def cancel(self, d: Dialogue) -> Turn:
        fresh = d.restarted()
        if d.step is Step.IDLE:
            fresh.pending = None  # nothing to cancel but the question left open
        return self.ask(fresh, Reply(t(d.language, "cancelled")))

    def back(self, d: Dialogue) -> Turn:
        if not d.trail:
            if d.step is Step.IDLE:
                return self.ask(d)
            return self.ask(d, Reply(t(d.language, "back.nothing")))
        d.step = d.trail.pop()
        d.editing = False
        return self.ask(d)

    def help(self, d: Dialogue) -> Turn:
        return self.ask(d, Reply(t(d.language, "help")))

    def set_language(self, d: Dialogue, code: str) -> Turn:
        if code not in LANGUAGES:
            return self.not_understood(d)
        d.language = code
        d.language_chosen = True
        return self.ask(d, Reply(t(code, "language.set")))

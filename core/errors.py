"""Domain errors: refusals the core raises instead of applying a change."""

from __future__ import annotations


class DomainError(Exception):
    """A request the domain refuses. The message is for logs and administrators; people
    in chat read the catalog text `key` (`refusal.*`), filled with `params` — case
    numbers, numbers of days, and statuses, which the reader's language puts in words."""

    def __init__(self, message: str, *, key: str = "refusal.general", **params: object) -> None:
        super().__init__(message)
        self.key = key
        self.params = params


class IllegalTransition(DomainError):
    """A status change the case's state machine does not allow."""

    def __init__(self, number: str, current: str, target: str) -> None:
        super().__init__(
            f"case {number}: cannot go from '{current}' to '{target}'",
            key="refusal.transition",
            number=number,
            current=current,
            target=target,
        )
        self.number = number
        self.current = current
        self.target = target


class ConcurrentUpdate(DomainError):
    """Someone else changed the case since it was read; reload and try again."""

    def __init__(self, number: str) -> None:
        super().__init__(f"case {number} was changed by someone else; reload and try again")
        self.number = number


class ExtensionRefused(DomainError):
    """An extension of the legal deadline beyond what the regulation allows."""

"""The ports the domain needs from the outside world; `storage` implements them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType
from typing import Protocol, Self

from core.cases.case import Case
from core.cases.values import CaseEvent
from core.channel.outbox import Outbox
from core.chasing.watch import Place
from core.customers.dialogue.state import Dialogue
from core.desk.staff import ChatAddress, Department, Role, StaffMember
from core.identity import CustomerId, Platform
from core.queries import DailyFigures, Figures, QueueKind, Scope
from core.rewards.ledger import RewardEntry, RewardReason
from core.rewards.vouchers import RedeemRefusal, Redemption, Voucher


class CaseRepository(Protocol):
    async def next_sequence(self, prefix: str, day: date) -> int:
        """The next number in the daily series of `prefix` (1, 2, ...), never reused."""
        ...

    async def add(self, case: Case) -> None:
        """Store a new case and its pending events."""
        ...

    async def get(self, number: str) -> Case | None: ...

    async def save(self, case: Case) -> None:
        """Store changes and pending events; `ConcurrentUpdate` if the case moved on."""
        ...

    async def history(self, number: str) -> list[CaseEvent]:
        """The audit trail, oldest first."""
        ...

    async def open_for_department(self, department: str, limit: int = 100) -> list[Case]:
        """Open cases of a department, soonest deadline first."""
        ...

    async def for_customer(self, customer: CustomerId, limit: int = 20) -> list[Case]:
        """A customer's cases, newest first."""
        ...

    async def queue(
        self, kind: QueueKind, scope: Scope, *, me: str, now: datetime, limit: int, offset: int
    ) -> tuple[list[Case], int]:
        """One page of open cases, soonest deadline first, and how many there are."""
        ...

    async def figures(
        self, scope: Scope, *, day_start: datetime, month_start: datetime, now: datetime
    ) -> Figures: ...

    async def erase_trail(self, number: str, customer: CustomerId) -> None:
        """Blank the customer's identity and words in the case's audit trail (after
        `Case.forget`); the only change the trail allows."""
        ...

    async def linked_to(self, number: str) -> list[Case]:
        """The suggestions linked to this one."""
        ...

    async def alerts_due(
        self, now: datetime, *, after: Place | None, limit: int
    ) -> list[tuple[Place, Case]]:
        """Open cases whose next deadline alert may have come by `now` (see
        `core.chasing.watch`), each with its place in the order of moment and number,
        after `after`."""
        ...

    async def surveys_due(
        self, now: datetime, *, after: Place | None, limit: int
    ) -> list[tuple[Place, Case]]:
        """Resolved cases whose survey may need its reminder or may have expired by
        `now`, as `alerts_due` gives them."""
        ...

    async def look_again(self, plans: list[tuple[Case, datetime | None]]) -> None:
        """When the scheduler is to read each case next (None: never, unless it
        changes). A case stored since it was read keeps the moment storing it set."""
        ...

    async def daily_figures(
        self, *, day_start: datetime, day_end: datetime, since: datetime, now: datetime
    ) -> dict[str | None, DailyFigures]:
        """Per department: received since `since`, open, due today, overdue."""
        ...

    async def provisional(self, years: frozenset[int], *, after: str, limit: int) -> list[Case]:
        """Cases whose deadline was provisional for one of `years`, by number after
        `after`."""
        ...

    async def open_deadline_span(self) -> tuple[datetime, datetime] | None:
        """The earliest deadline and the latest deadline or legal ceiling among open
        cases; None without open cases."""
        ...

    async def provisional_years(self) -> dict[int, int]:
        """For each year without calendar data that deadlines were counted through, how
        many open cases wait on it."""
        ...


@dataclass(frozen=True, slots=True)
class LockedDialogue:
    dialogue: Dialogue | None  # None: a customer new to the dialogue
    waiting_pushes: int  # messages held for this customer until they wrote again


class DialogueStore(Protocol):
    async def lock(
        self, customer: CustomerId, now: datetime, *, customer_wrote: bool = True
    ) -> LockedDialogue:
        """Lock the customer's conversation for this transaction, then read it.

        Locking before reading means two messages of one customer handled at once are
        applied one after the other, never both to the same old state. Unless
        `customer_wrote` is False (staff changing it), taking the lock also records that
        the customer wrote at `now`, which opens a new window for pushes on platforms that
        limit them.
        """
        ...

    async def save(self, customer: CustomerId, dialogue: Dialogue) -> None: ...

    async def language(self, customer: CustomerId) -> str:
        """The language the customer speaks with the bank (the default for someone who
        never wrote): a plain read, for messages to them that change no dialogue."""
        ...

    async def abandoned(self, before: datetime, limit: int) -> list[CustomerId]:
        """Customers whose intake has been left unfinished since before `before`."""
        ...


class DeliveryLog(Protocol):
    async def first_time(self, key: str, now: datetime) -> bool:
        """Record a platform delivery id; False if it was recorded before (a redelivery).

        A concurrent first delivery of the same id makes this wait until that one's
        transaction ends, so a redelivery always finds the first one's response.
        """
        ...

    async def keep_response(self, key: str, response: str, recipient: CustomerId) -> None:
        """Remember what the first delivery answered, for redeliveries, and to whom."""
        ...

    async def response(self, key: str) -> str | None: ...


class RewardLedger(Protocol):
    async def award(
        self,
        customer: CustomerId,
        reason: RewardReason,
        points: int,
        case_number: str,
        now: datetime,
    ) -> bool:
        """Credit points for a case; False if this reason was credited for it before."""
        ...

    async def balance(self, customer: CustomerId) -> int: ...

    async def recent(self, customer: CustomerId, limit: int = 5) -> list[RewardEntry]:
        """The customer's latest entries, newest first."""
        ...


class VoucherStore(Protocol):
    async def add(self, name: str, cost: int, stock: int, valid_days: int) -> Voucher:
        """Put a new voucher in the catalog (see `check_catalog_entry`)."""
        ...

    async def get(self, voucher_id: int) -> Voucher | None: ...

    async def catalog(self) -> list[Voucher]:
        """What customers may buy: active vouchers in stock, cheapest first."""
        ...

    async def all(self) -> list[Voucher]:
        """Every voucher, withdrawn and sold-out ones too, oldest first (for admins)."""
        ...

    async def redeem(
        self, customer: CustomerId, voucher_id: int, now: datetime
    ) -> Redemption | RedeemRefusal:
        """Buy a voucher with points: the balance goes down by its cost and the stock by
        one, a code is issued and the ledger records the spending, all in this
        transaction. A refusal changes nothing. Concurrent redemptions never take the
        balance below zero nor issue more vouchers than were in stock."""
        ...

    async def redemptions(self, limit: int = 50) -> list[Redemption]:
        """Vouchers issued, newest first."""
        ...

    async def for_customer(self, customer: CustomerId, limit: int = 20) -> list[Redemption]:
        """The customer's vouchers, newest first."""
        ...


class CaseAlertLog(Protocol):
    async def claim(
        self, alerts: list[tuple[str, str, datetime]], now: datetime
    ) -> set[tuple[str, str]]:
        """Record (case number, kind, deadline) alerts; returns the (number, kind) pairs
        that were new, i.e. not recorded by any transaction before."""
        ...


class PersonalTraces(Protocol):
    """A customer's words and contact data outside their cases: messages sent and
    queued, stored replies to their messages, pushes held for them, the ledger's links
    from points to cases."""

    async def erase(self, customer: CustomerId, forgotten: list[str], now: datetime) -> None:
        """After /forget: remove every message the customer was sent, every stored reply
        to them, and everything to anyone about the `forgotten` cases (cancelling what
        still waits to be sent about them). Messages still on their way to the customer
        about other matters stay."""
        ...

    async def expire(
        self, *, messages_before: datetime, replies_before: datetime, now: datetime, limit: int
    ) -> int:
        """Redact up to `limit` messages delivered before `messages_before` (the record of
        the delivery stays) and drop up to `limit` stored replies from before
        `replies_before`; how many rows changed."""
        ...


class StaffDirectory(Protocol):
    async def by_identity(self, platform: Platform, user_id: str) -> StaffMember | None: ...

    async def get(self, staff_id: int) -> StaffMember | None: ...

    async def addresses(self, staff_id: int) -> list[ChatAddress]:
        """The staff member's private chats, one per linked platform account."""
        ...

    async def members(
        self, department: str | None, min_role: Role = Role.AGENT
    ) -> list[StaffMember]: ...

    async def redeem(
        self, code_hash: str, platform: Platform, user_id: str, now: datetime
    ) -> StaffMember | None:
        """Use a registration code once to link a chat account to a staff member: a new
        one, or the account's own, enabled again with the invitation's role."""
        ...

    async def change(self, staff_id: int, *, language: str | None = None) -> bool:
        """Change what is given of a staff member (the desk changes only the language)."""
        ...

    async def departments(self) -> list[Department]: ...

    async def department(self, code: str) -> Department | None: ...


class Alerts(Protocol):
    """Tells the administrators about a problem only they can fix."""

    async def alert_admins(self, problem: str, within: UnitOfWork | None = None) -> None:
        """Log the problem and queue it to every admin's chat, in `within`'s transaction
        when the caller holds one (a second transaction there would wait on the first)."""
        ...


class UnitOfWork(Protocol):
    """One transaction: everything done inside commits together or not at all.

    Leaving the block without `commit()` rolls back. A unit of work may be entered again
    for a new transaction.
    """

    # Read-only properties rather than attributes: a mutable protocol attribute must have
    # exactly its declared type, so an adapter could not expose its own store classes.
    @property
    def cases(self) -> CaseRepository: ...
    @property
    def dialogues(self) -> DialogueStore: ...
    @property
    def deliveries(self) -> DeliveryLog: ...
    @property
    def rewards(self) -> RewardLedger: ...
    @property
    def vouchers(self) -> VoucherStore: ...
    @property
    def staff(self) -> StaffDirectory: ...
    @property
    def outbox(self) -> Outbox: ...
    @property
    def case_alerts(self) -> CaseAlertLog: ...
    @property
    def traces(self) -> PersonalTraces: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...

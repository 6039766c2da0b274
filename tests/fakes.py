"""Fakes of the core's ports, for tests that are not about them.

`InMemoryDatabase` with `FakeUnitOfWork` stands in for `storage`: the use cases run on
plain dicts and lists, with the transaction semantics they rely on. A unit of work works
on a copy of what was committed; `commit()` makes its copy the committed state and
leaving without it throws the copy away. Transactions run one after the other (there is
no locking), which is all a unit test needs; concurrency is the storage suites' subject.
Each repository is one class, so a change of its protocol is a change in one place.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from types import TracebackType
from typing import Any, Self

from core.cases.case import Case
from core.cases.values import ERASED, FORGOTTEN_ACTOR, SATISFIED_FROM, CaseEvent, CaseStatus
from core.channel.io import Reply
from core.channel.outbox import OutboundMessage, Recipient
from core.chasing.watch import Place, first_look
from core.customers.dialogue.state import Dialogue
from core.desk.service import invitation_hash
from core.desk.staff import ChatAddress, Department, Invitation, Role, StaffMember
from core.errors import ConcurrentUpdate
from core.identity import CustomerId, Platform
from core.ports import LockedDialogue
from core.queries import DailyFigures, Figures, QueueKind, Scope
from core.rewards.ledger import RewardEntry, RewardReason
from core.rewards.vouchers import RedeemRefusal, Redemption, Voucher, new_voucher_code

# Which events hold the customer's words is the SQL repository's knowledge: shared, so the
# fake erases what it erases.
from storage.repository import _EVENTS_WITH_CONTENT


class RecordingAlerts:
    """Keeps what the administrators would have been told."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    async def alert_admins(self, problem: str, within: object = None) -> None:
        self.problems.append(problem)


# -- the stored state ------------------------------------------------------------------------


@dataclass(slots=True)
class StoredDialogue:
    state: dict[str, Any]  # as `Dialogue.to_json` wrote it: what a database would keep
    last_message_at: datetime | None = None
    held: int = 0  # pushes waiting until the customer writes again


@dataclass(slots=True)
class StoredDelivery:
    at: datetime
    response: str | None = None
    recipient: CustomerId | None = None


@dataclass(frozen=True, slots=True)
class Queued:
    """A message in the outbox, with the key that keeps its cause from queueing it twice."""

    key: str
    message: OutboundMessage
    at: datetime


@dataclass(slots=True)
class StoredInvitation:
    invitation: Invitation
    used_at: datetime | None = None


@dataclass(slots=True)
class Tables:
    """Everything the service stores, as one value a transaction can copy."""

    cases: dict[str, Case] = field(default_factory=dict)
    events: list[CaseEvent] = field(default_factory=list)
    counters: dict[tuple[str, date], int] = field(default_factory=dict)
    dialogues: dict[CustomerId, StoredDialogue] = field(default_factory=dict)
    deliveries: dict[str, StoredDelivery] = field(default_factory=dict)
    ledger: list[RewardEntry] = field(default_factory=list)
    balances: dict[CustomerId, int] = field(default_factory=dict)
    vouchers: dict[int, Voucher] = field(default_factory=dict)
    redemptions: list[Redemption] = field(default_factory=list)
    staff: dict[int, StaffMember] = field(default_factory=dict)
    identities: dict[tuple[Platform, str], int] = field(default_factory=dict)
    invitations: dict[str, StoredInvitation] = field(default_factory=dict)
    departments: dict[str, Department] = field(default_factory=dict)
    outbox: list[Queued] = field(default_factory=list)
    case_alerts: set[tuple[str, str, datetime]] = field(default_factory=set)
    chase_at: dict[str, datetime | None] = field(default_factory=dict)  # by case number


# -- the repositories ------------------------------------------------------------------------


class FakeCaseRepository:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def next_sequence(self, prefix: str, day: date) -> int:
        last = self._t.counters.get((prefix, day), 0) + 1
        self._t.counters[(prefix, day)] = last
        return last

    async def add(self, case: Case) -> None:
        if case.number in self._t.cases:
            raise ValueError(f"case {case.number} exists already")
        self._keep(case)

    async def get(self, number: str) -> Case | None:
        case = self._t.cases.get(number)
        return copy.deepcopy(case) if case is not None else None

    async def save(self, case: Case) -> None:
        stored = self._t.cases.get(case.number)
        if stored is None or stored.version != case.version:
            raise ConcurrentUpdate(case.number)
        case.version += 1
        self._keep(case)

    async def history(self, number: str) -> list[CaseEvent]:
        return [e for e in self._t.events if e.case_number == number]

    async def open_for_department(self, department: str, limit: int = 100) -> list[Case]:
        chosen = self._select(lambda c: c.status.is_open and c.department == department, _by_due)
        return chosen[:limit]

    async def for_customer(self, customer: CustomerId, limit: int = 20) -> list[Case]:
        mine = self._select(lambda c: c.customer == customer, lambda c: (c.received_at, c.number))
        return mine[::-1][:limit]

    async def queue(
        self, kind: QueueKind, scope: Scope, *, me: str, now: datetime, limit: int, offset: int
    ) -> tuple[list[Case], int]:
        def wanted(c: Case) -> bool:
            if not c.status.is_open:
                return False
            if kind is QueueKind.MINE:
                return c.assignee == me
            if not _in_scope(c, scope):
                return False
            if kind is QueueKind.UNASSIGNED:
                return c.assignee is None
            if kind is QueueKind.OVERDUE:
                return c.due_at < now
            return True

        chosen = self._select(wanted, _by_due)
        return chosen[offset : offset + limit], len(chosen)

    async def figures(
        self, scope: Scope, *, day_start: datetime, month_start: datetime, now: datetime
    ) -> Figures:
        cases = self._select(lambda c: _in_scope(c, scope) and c.merged_into is None, _by_number)
        resolved = [c for c in cases if c.resolved_at is not None and c.resolved_at >= month_start]
        rated = [c for c in cases if c.rated_at is not None and c.rated_at >= month_start]
        return Figures(
            received_today=sum(c.received_at >= day_start for c in cases),
            open=sum(c.status.is_open for c in cases),
            overdue=sum(c.status.is_open and c.due_at < now for c in cases),
            resolved_this_month=len(resolved),
            resolved_on_time_this_month=sum(
                c.resolved_at is not None and c.resolved_at <= c.due_at for c in resolved
            ),
            rated_this_month=len(rated),
            satisfied_this_month=sum((c.satisfaction or 0) >= SATISFIED_FROM for c in rated),
        )

    async def erase_trail(self, number: str, customer: CustomerId) -> None:
        mine = f"customer:{customer}"
        self._t.events = [
            replace(
                e,
                actor=FORGOTTEN_ACTOR,
                note=ERASED if e.note is not None else None,
                after={} if e.action in _EVENTS_WITH_CONTENT else e.after,
            )
            if e.case_number == number and e.actor == mine
            else e
            for e in self._t.events
        ]

    async def linked_to(self, number: str) -> list[Case]:
        return self._select(lambda c: c.linked_to == number, _by_number)

    async def alerts_due(
        self, now: datetime, *, after: Place | None, limit: int
    ) -> list[tuple[Place, Case]]:
        return self._due(now, lambda c: c.status.is_open, after)[:limit]

    async def surveys_due(
        self, now: datetime, *, after: Place | None, limit: int
    ) -> list[tuple[Place, Case]]:
        return self._due(now, lambda c: c.status is CaseStatus.RESOLVED, after)[:limit]

    async def look_again(self, plans: list[tuple[Case, datetime | None]]) -> None:
        for case, at in plans:
            if self._t.cases[case.number].version == case.version:
                self._t.chase_at[case.number] = at

    def _due(
        self, now: datetime, status: Callable[[Case], bool], after: Place | None
    ) -> list[tuple[Place, Case]]:
        due = []
        for c in self._t.cases.values():
            at = self._t.chase_at.get(c.number)
            if at is None or at > now or not status(c):
                continue
            if after is None or (at, c.number) > after:
                due.append(((at, c.number), copy.deepcopy(c)))
        return sorted(due, key=lambda placed: placed[0])

    async def daily_figures(
        self, *, day_start: datetime, day_end: datetime, since: datetime, now: datetime
    ) -> dict[str | None, DailyFigures]:
        figures: dict[str | None, DailyFigures] = {}
        for c in self._t.cases.values():
            new, is_open = c.received_at >= since, c.status.is_open
            if not (new or is_open):
                continue
            was = figures.get(c.department, DailyFigures(0, 0, 0, 0))
            figures[c.department] = DailyFigures(
                new=was.new + new,
                open=was.open + is_open,
                due_today=was.due_today + (is_open and day_start <= c.due_at < day_end),
                overdue=was.overdue + (is_open and c.due_at < now),
            )
        return figures

    async def provisional(self, years: frozenset[int], *, after: str, limit: int) -> list[Case]:
        chosen = self._select(
            lambda c: c.due_provisional_year in years and c.number > after, _by_number
        )
        return chosen[:limit]

    async def open_deadline_span(self) -> tuple[datetime, datetime] | None:
        cases = [c for c in self._t.cases.values() if c.status.is_open]
        if not cases:
            return None
        first = min(c.due_at for c in cases)
        return first, max(max(c.due_at, c.legal_due_at) for c in cases)

    async def provisional_years(self) -> dict[int, int]:
        years: dict[int, int] = {}
        for c in self._t.cases.values():
            year = c.due_provisional_year
            if year is not None and c.status.is_open:
                years[year] = years.get(year, 0) + 1
        return years

    def _keep(self, case: Case) -> None:
        self._t.events.extend(case.pending_events)
        case.pending_events.clear()
        self._t.cases[case.number] = copy.deepcopy(case)
        self._t.chase_at[case.number] = first_look(case)

    def _select(self, wanted: Callable[[Case], bool], order: Callable[[Case], Any]) -> list[Case]:
        chosen = sorted((c for c in self._t.cases.values() if wanted(c)), key=order)
        return [copy.deepcopy(c) for c in chosen]


def _by_due(case: Case) -> tuple[datetime, str]:
    return case.due_at, case.number


def _by_number(case: Case) -> str:
    return case.number


def _in_scope(case: Case, scope: Scope) -> bool:
    if scope.department is None and scope.assignee is None:
        return True
    return case.department == scope.department or case.assignee == scope.assignee


class FakeDialogueStore:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def lock(
        self, customer: CustomerId, now: datetime, *, customer_wrote: bool = True
    ) -> LockedDialogue:
        stored = self._t.dialogues.setdefault(customer, StoredDialogue({}))
        if customer_wrote:
            stored.last_message_at = now
        state = stored.state
        return LockedDialogue(Dialogue.from_json(state) if state else None, stored.held)

    async def language(self, customer: CustomerId) -> str:
        stored = self._t.dialogues.get(customer)
        state = stored.state if stored is not None else None
        return (Dialogue.from_json(state) if state else Dialogue()).language

    async def save(self, customer: CustomerId, dialogue: Dialogue) -> None:
        stored = self._t.dialogues.get(customer)
        if stored is not None:  # as an UPDATE: saving without the lock stores nothing
            stored.state = dialogue.to_json()

    async def abandoned(self, before: datetime, limit: int) -> list[CustomerId]:
        left = [
            customer
            for customer, stored in self._t.dialogues.items()
            if stored.state
            and Dialogue.from_json(stored.state).unfinished
            and stored.last_message_at is not None
            and stored.last_message_at < before
        ]
        return left[:limit]


class FakeDeliveryLog:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def first_time(self, key: str, now: datetime) -> bool:
        if key in self._t.deliveries:
            return False
        self._t.deliveries[key] = StoredDelivery(now)
        return True

    async def keep_response(self, key: str, response: str, recipient: CustomerId) -> None:
        stored = self._t.deliveries.get(key)
        if stored is not None:
            stored.response, stored.recipient = response, recipient

    async def response(self, key: str) -> str | None:
        stored = self._t.deliveries.get(key)
        return stored.response if stored else None


class FakeRewardLedger:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def award(
        self,
        customer: CustomerId,
        reason: RewardReason,
        points: int,
        case_number: str,
        now: datetime,
    ) -> bool:
        if any(e.case_number == case_number and e.reason is reason for e in self._t.ledger):
            return False
        self._t.ledger.append(RewardEntry(customer, points, reason, case_number, now))
        self.credit(customer, points)
        return True

    async def balance(self, customer: CustomerId) -> int:
        return self._t.balances.get(customer, 0)

    async def recent(self, customer: CustomerId, limit: int = 5) -> list[RewardEntry]:
        return [e for e in reversed(self._t.ledger) if e.customer == customer][:limit]

    def credit(self, customer: CustomerId, points: int) -> None:
        self._t.balances[customer] = self._t.balances.get(customer, 0) + points


class FakeVoucherStore:
    def __init__(self, tables: Tables, ledger: FakeRewardLedger) -> None:
        self._t = tables
        self._ledger = ledger

    async def add(self, name: str, cost: int, stock: int, valid_days: int) -> Voucher:
        voucher = Voucher(max(self._t.vouchers, default=0) + 1, name, cost, stock, valid_days)
        self._t.vouchers[voucher.id] = voucher
        return voucher

    async def get(self, voucher_id: int) -> Voucher | None:
        return self._t.vouchers.get(voucher_id)

    async def catalog(self) -> list[Voucher]:
        return sorted(
            (v for v in self._t.vouchers.values() if v.available), key=lambda v: (v.cost, v.id)
        )

    async def all(self) -> list[Voucher]:
        return sorted(self._t.vouchers.values(), key=lambda v: v.id)

    async def redeem(
        self, customer: CustomerId, voucher_id: int, now: datetime
    ) -> Redemption | RedeemRefusal:
        voucher = self._t.vouchers.get(voucher_id)
        if voucher is None:
            return RedeemRefusal.UNKNOWN
        if not voucher.available:
            return RedeemRefusal.OUT_OF_STOCK
        if await self._ledger.balance(customer) < voucher.cost:
            return RedeemRefusal.NOT_ENOUGH_POINTS
        self._t.vouchers[voucher_id] = replace(voucher, stock=voucher.stock - 1)
        self._ledger.credit(customer, -voucher.cost)
        self._t.ledger.append(
            RewardEntry(customer, -voucher.cost, RewardReason.VOUCHER_REDEEMED, None, now)
        )
        issued = {r.code for r in self._t.redemptions}
        code = new_voucher_code()
        while code in issued:
            code = new_voucher_code()
        redemption = Redemption(
            code, voucher.id, voucher.name, customer, voucher.cost, now, voucher.expires_at(now)
        )
        self._t.redemptions.append(redemption)
        return redemption

    async def redemptions(self, limit: int = 50) -> list[Redemption]:
        return self._t.redemptions[::-1][:limit]

    async def for_customer(self, customer: CustomerId, limit: int = 20) -> list[Redemption]:
        return [r for r in reversed(self._t.redemptions) if r.customer == customer][:limit]


class FakeStaffDirectory:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def by_identity(self, platform: Platform, user_id: str) -> StaffMember | None:
        staff_id = self._t.identities.get((platform, user_id))
        return self._t.staff.get(staff_id) if staff_id is not None else None

    async def get(self, staff_id: int) -> StaffMember | None:
        return self._t.staff.get(staff_id)

    async def addresses(self, staff_id: int) -> list[ChatAddress]:
        accounts = [a for a, s in self._t.identities.items() if s == staff_id]
        return [ChatAddress(p, u) for p, u in sorted(accounts, key=lambda a: a[0].value)]

    async def members(
        self, department: str | None, min_role: Role = Role.AGENT
    ) -> list[StaffMember]:
        return [
            m
            for _, m in sorted(self._t.staff.items())
            if m.active and m.role >= min_role and department in (None, m.department)
        ]

    async def redeem(
        self, code_hash: str, platform: Platform, user_id: str, now: datetime
    ) -> StaffMember | None:
        stored = self._t.invitations.get(code_hash)
        if stored is None or stored.used_at is not None or stored.invitation.expires_at <= now:
            return None
        stored.used_at = now
        invited = stored.invitation
        staff_id = self._t.identities.get((platform, user_id))
        if staff_id is None:  # someone new
            staff_id = max(self._t.staff, default=0) + 1
            self._t.identities[(platform, user_id)] = staff_id
            member = StaffMember(staff_id, invited.name, invited.role, invited.department)
        else:  # someone disabled and invited again keeps their language
            member = replace(
                self._t.staff[staff_id],
                name=invited.name,
                role=invited.role,
                department=invited.department,
                active=True,
            )
        self._t.staff[staff_id] = member
        return member

    async def change(self, staff_id: int, *, language: str | None = None) -> bool:
        member = self._t.staff.get(staff_id)
        if member is None:
            return False
        if language is not None:
            self._t.staff[staff_id] = replace(member, language=language)
        return True

    async def departments(self) -> list[Department]:
        return [d for _, d in sorted(self._t.departments.items())]

    async def department(self, code: str) -> Department | None:
        return self._t.departments.get(code)


class FakeOutbox:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add(self, messages: list[OutboundMessage], *, now: datetime, key: str) -> None:
        known = {q.key for q in self._t.outbox}
        for i, message in enumerate(messages):
            if f"{key}:{i}" not in known:  # the same cause queues its messages once
                self._t.outbox.append(Queued(f"{key}:{i}", message, now))


class FakeCaseAlertLog:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def claim(
        self, alerts: list[tuple[str, str, datetime]], now: datetime
    ) -> set[tuple[str, str]]:
        new = {(n, k) for n, k, d in alerts if (n, k, d) not in self._t.case_alerts}
        self._t.case_alerts.update(alerts)
        return new


class FakePersonalTraces:
    """Nothing here is ever delivered (there is no dispatcher), so what /forget removes
    is what still waits: messages about the forgotten cases, and stored replies."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def erase(self, customer: CustomerId, forgotten: list[str], now: datetime) -> None:
        def about_forgotten(q: Queued) -> bool:
            message = q.message
            return message.case_number in forgotten or any(
                n in message.reply.text for n in forgotten
            )

        self._t.outbox = [q for q in self._t.outbox if not about_forgotten(q)]
        for stored in self._t.deliveries.values():
            if stored.recipient == customer:
                stored.response, stored.recipient = None, None
        self._t.ledger = [
            replace(e, case_number=None) if e.case_number in forgotten else e
            for e in self._t.ledger
        ]

    async def expire(
        self, *, messages_before: datetime, replies_before: datetime, now: datetime, limit: int
    ) -> int:
        old = [
            s
            for s in self._t.deliveries.values()
            if s.response is not None and s.at < replies_before
        ][:limit]
        for stored in old:
            stored.response, stored.recipient = None, None
        return len(old)


# -- the transaction -------------------------------------------------------------------------


class InMemoryDatabase:
    """The committed state, shared by every unit of work made from it."""

    def __init__(self) -> None:
        self.tables = Tables()
        self.commits = 0

    def unit_of_work(self) -> FakeUnitOfWork:
        """A factory for the services, which open one unit of work per transaction."""
        return FakeUnitOfWork(self)

    # -- what the tests set up ---------------------------------------------------------

    def add_department(self, department: Department) -> None:
        self.tables.departments[department.code] = department

    def add_staff(
        self,
        name: str,
        role: Role,
        department: str,
        *accounts: CustomerId,
        language: str = "zh",
        active: bool = True,
    ) -> StaffMember:
        """A staff member with chat accounts (written as the customer ids they write from)."""
        member = StaffMember(
            max(self.tables.staff, default=0) + 1, name, role, department, active, language
        )
        self.tables.staff[member.id] = member
        for account in accounts:
            self.tables.identities[(account.platform, account.user_id)] = member.id
        return member

    def invite(
        self, code: str, name: str, role: Role, department: str, expires_at: datetime
    ) -> None:
        """A registration code, stored by its hash as the desk looks it up."""
        self.tables.invitations[invitation_hash(code)] = StoredInvitation(
            Invitation(name, role, department, expires_at)
        )

    def add_voucher(self, name: str, cost: int, stock: int, valid_days: int = 30) -> Voucher:
        voucher = Voucher(max(self.tables.vouchers, default=0) + 1, name, cost, stock, valid_days)
        self.tables.vouchers[voucher.id] = voucher
        return voucher

    def credit(self, customer: CustomerId, points: int, reason: RewardReason, at: datetime) -> None:
        """Points a customer earned before the test, with their ledger entry."""
        self.tables.ledger.append(RewardEntry(customer, points, reason, None, at))
        self.tables.balances[customer] = self.tables.balances.get(customer, 0) + points

    # -- what the tests look at --------------------------------------------------------

    def case(self, number: str) -> Case:
        return self.tables.cases[number]

    def history(self, number: str) -> list[CaseEvent]:
        return [e for e in self.tables.events if e.case_number == number]

    def dialogue(self, customer: CustomerId) -> Dialogue | None:
        stored = self.tables.dialogues.get(customer)
        return Dialogue.from_json(stored.state) if stored and stored.state else None

    def balance(self, customer: CustomerId) -> int:
        return self.tables.balances.get(customer, 0)

    @property
    def outbox(self) -> list[OutboundMessage]:
        """Every queued message, in the order they were queued."""
        return [q.message for q in self.tables.outbox]

    def sent_to(self, recipient: Recipient) -> list[Reply]:
        """What was queued for one customer or chat."""
        return [m.reply for m in self.outbox if m.recipient == recipient]


class FakeUnitOfWork:
    """`UnitOfWork` on an `InMemoryDatabase`: works on a copy, `commit()` keeps it."""

    cases: FakeCaseRepository
    dialogues: FakeDialogueStore
    deliveries: FakeDeliveryLog
    rewards: FakeRewardLedger
    vouchers: FakeVoucherStore
    staff: FakeStaffDirectory
    outbox: FakeOutbox
    case_alerts: FakeCaseAlertLog
    traces: FakePersonalTraces

    def __init__(self, database: InMemoryDatabase) -> None:
        self._database = database
        self._work: Tables | None = None

    async def __aenter__(self) -> Self:
        if self._work is not None:
            raise RuntimeError("this unit of work is already in a transaction")
        work = self._work = copy.deepcopy(self._database.tables)
        self.cases = FakeCaseRepository(work)
        self.dialogues = FakeDialogueStore(work)
        self.deliveries = FakeDeliveryLog(work)
        self.rewards = FakeRewardLedger(work)
        self.vouchers = FakeVoucherStore(work, self.rewards)
        self.staff = FakeStaffDirectory(work)
        self.outbox = FakeOutbox(work)
        self.case_alerts = FakeCaseAlertLog(work)
        self.traces = FakePersonalTraces(work)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._work = None  # what was not committed is gone

    async def commit(self) -> None:
        if self._work is None:
            raise RuntimeError("enter the unit of work first")
        self._database.tables = copy.deepcopy(self._work)
        self._database.commits += 1

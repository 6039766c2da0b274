"""Administration behind the `intake staff`, `intake department` and `intake rewards` commands."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from core.cases.classification import BusinessType
from core.codes import readable_code
from core.desk.service import invitation_hash
from core.desk.staff import (
    ChatAddress,
    Department,
    Invitation,
    Role,
    StaffMember,
    check_department_code,
    check_name,
    typed_chat_address,
)
from core.messages import LANGUAGES
from core.rewards.vouchers import Redemption, Voucher, check_catalog_entry, check_restock, same_name
from storage.unit_of_work import SqlUnitOfWork

INVITATION_VALID = timedelta(hours=24)
# No 0/O, 1/I/L: codes are read off a screen and typed on a phone.


class AdminError(ValueError):
    """A request the administrator must correct; the message says how."""


async def invite(
    uow: SqlUnitOfWork, *, name: str, role: Role, department: str, now: datetime
) -> tuple[str, datetime]:
    """A one-time registration code, valid for 24 hours, and when it expires."""
    name = check_name(name, "a staff member")
    code = readable_code(10, 5)
    expires_at = now + INVITATION_VALID
    async with uow:
        await _existing_department(uow, department)
        await uow.staff.invite(invitation_hash(code), name, role, department, expires_at)
        await uow.commit()
    return code, expires_at


async def list_invitations(uow: SqlUnitOfWork, now: datetime) -> list[Invitation]:
    async with uow:
        return await uow.staff.pending_invitations(now)


async def revoke(uow: SqlUnitOfWork, code: str, now: datetime) -> Invitation:
    """Cancel a pending invitation by the code `invite` printed; what it was for."""
    async with uow:
        invitation = await uow.staff.revoke(invitation_hash(code), now)
        if invitation is None:
            raise AdminError(
                f"no pending invitation with the code {code.strip()!r} (used, expired or "
                "never issued); see `intake staff invitations`"
            )
        await uow.commit()
    return invitation


async def list_staff(uow: SqlUnitOfWork) -> list[tuple[StaffMember, list[ChatAddress]]]:
    async with uow:
        return await uow.staff.everyone()


async def disable(uow: SqlUnitOfWork, staff_id: int) -> None:
    async with uow:
        if not await uow.staff.disable(staff_id):
            raise AdminError(f"no staff member {staff_id}; see `intake staff list`")
        await uow.commit()


async def enable(uow: SqlUnitOfWork, staff_id: int) -> bool:
    """Give a disabled staff member their access back; False if they had it."""
    async with uow:
        member = await _existing_member(uow, staff_id)
        if member.active:
            return False
        await uow.staff.change(staff_id, active=True)
        await uow.commit()
    return True


async def change_staff(
    uow: SqlUnitOfWork,
    staff_id: int,
    *,
    name: str | None = None,
    role: str | None = None,
    department: str | None = None,
    language: str | None = None,
) -> StaffMember:
    """Change what is given of a staff member; the member as they are now."""
    if name is role is department is language is None:
        raise AdminError("nothing to change; give --name, --role, --department or --language")
    if name is not None:
        name = check_name(name, "a staff member")
    try:
        new_role = Role.parse(role) if role is not None else None
    except ValueError as exc:
        raise AdminError(str(exc)) from None
    if language is not None and language not in LANGUAGES:
        raise AdminError(f"no language {language!r}; staff languages are: {', '.join(LANGUAGES)}")
    async with uow:
        await _existing_member(uow, staff_id)
        if department is not None:
            await _existing_department(uow, department)
        await uow.staff.change(
            staff_id, name=name, role=new_role, department=department, language=language
        )
        member = await _existing_member(uow, staff_id)
        await uow.commit()
    return member


async def _existing_member(uow: SqlUnitOfWork, staff_id: int) -> StaffMember:
    member = await uow.staff.get(staff_id)
    if member is None:
        raise AdminError(f"no staff member {staff_id}; see `intake staff list`")
    return member


async def _existing_department(uow: SqlUnitOfWork, code: str) -> Department:
    department = await uow.staff.department(code)
    if department is None:
        raise AdminError(f"no department {code!r}; add it with `intake department add`")
    return department


async def save_department(
    uow: SqlUnitOfWork, *, code: str, name: str, business: list[str], default: bool
) -> Department:
    check_department_code(code)
    name = check_name(name, "a department")
    try:
        types = frozenset(BusinessType(b.strip()) for b in business if b.strip())
    except ValueError as exc:
        known = ", ".join(b.value for b in BusinessType)
        raise AdminError(f"{exc}; business types are: {known}") from None
    async with uow:
        existing = await uow.staff.department(code)
        department = Department(
            code, name, types, default, existing.alert_chat if existing else None
        )
        await uow.staff.save_department(department)
        await uow.commit()
    return department


async def set_department_chat(uow: SqlUnitOfWork, code: str, chat: str | None) -> None:
    """Announce the department's new cases in a chat; None: in none any more."""
    address = typed_chat_address(chat) if chat is not None else None
    async with uow:
        department = await uow.staff.department(code)
        if department is None:
            raise AdminError(f"no department {code!r}; see `intake department list`")
        await uow.staff.save_department(
            Department(
                department.code,
                department.name,
                department.business_types,
                department.is_default,
                address,
            )
        )
        await uow.commit()


async def list_departments(uow: SqlUnitOfWork) -> list[Department]:
    async with uow:
        return await uow.staff.departments()


# How many open cases a refusal to remove a department names.
_NAMED_CASES = 5


async def remove_department(uow: SqlUnitOfWork, code: str, now: datetime) -> Department:
    """Delete a department nothing belongs to any more; the department it was."""
    async with uow:
        department = await uow.staff.department(code)
        if department is None:
            raise AdminError(f"no department {code!r}; see `intake department list`")
        cases = await uow.cases.open_for_department(code, limit=_NAMED_CASES)
        staff = await uow.staff.of_department(code)
        invited = [i for i in await uow.staff.pending_invitations(now) if i.department == code]
        holds, remedies = [], []
        if cases:
            count = await uow.cases.count_open_for_department(code)
            shown = ", ".join(c.number for c in cases) + (", …" if count > len(cases) else "")
            holds.append(f"{_count(count, 'open case')} ({shown})")
            remedies.append("reassign the cases with /assign NUMBER DEPARTMENT")
        if staff:
            named = ", ".join(f"{m.id} {m.name}" for m in staff)
            holds.append(f"{_count(len(staff), 'staff member')} ({named})")
            remedies.append("move the staff with `intake staff set ID --department CODE`")
        if invited:
            named = ", ".join(i.name for i in invited)
            holds.append(f"{_count(len(invited), 'pending invitation')} (for {named})")
            remedies.append("revoke the invitations with `intake staff revoke CODE`")
        if holds:
            raise AdminError(
                f"department {code} still has {', '.join(holds)}; "
                f"{', '.join(remedies)}, then remove it"
            )
        await uow.staff.remove_department(code, now)
        await uow.commit()
    return department


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}" if n == 1 else f"{n} {thing}s"


async def add_voucher(
    uow: SqlUnitOfWork, *, name: str, cost: int, stock: int, valid_days: int
) -> Voucher:
    name = name.strip()
    check_catalog_entry(name, cost, stock, valid_days)
    async with uow:
        for other in await uow.vouchers.all():
            if same_name(other.name, name):
                again = (
                    f"restock that one with `intake rewards restock {other.id} N`"
                    if other.active
                    else f"offer that one again with `intake rewards offer {other.id}`"
                )
                raise AdminError(
                    f"voucher {other.id} is already called {other.name!r}"
                    f"{'' if other.active else ' (withdrawn)'}; give this one another name, "
                    f"or {again}"
                )
        voucher = await uow.vouchers.add(name, cost, stock, valid_days)
        await uow.commit()
    return voucher


async def list_vouchers(uow: SqlUnitOfWork) -> list[Voucher]:
    async with uow:
        return await uow.vouchers.all()


async def restock(uow: SqlUnitOfWork, voucher_id: int, quantity: int) -> Voucher:
    """Add `quantity` vouchers to the stock; the voucher with its new stock."""
    async with uow:
        voucher = await _existing_voucher(uow, voucher_id)
        check_restock(voucher, quantity)
        stock = await uow.vouchers.restock(voucher_id, quantity)
        await uow.commit()
    return replace(voucher, stock=stock)


async def withdraw_voucher(uow: SqlUnitOfWork, voucher_id: int) -> None:
    async with uow:
        if not await uow.vouchers.withdraw(voucher_id):
            raise AdminError(_NO_VOUCHER.format(voucher_id))
        await uow.commit()


async def offer_voucher(uow: SqlUnitOfWork, voucher_id: int) -> tuple[Voucher, bool]:
    """Put a withdrawn voucher back in the catalog: the voucher, and False if it was
    on offer already."""
    async with uow:
        voucher = await _existing_voucher(uow, voucher_id)
        if voucher.active:
            return voucher, False
        await uow.vouchers.offer(voucher_id)
        await uow.commit()
    return replace(voucher, active=True), True


async def _existing_voucher(uow: SqlUnitOfWork, voucher_id: int) -> Voucher:
    voucher = await uow.vouchers.get(voucher_id)
    if voucher is None:
        raise AdminError(_NO_VOUCHER.format(voucher_id))
    return voucher


_NO_VOUCHER = "no voucher {}; see `intake rewards vouchers`"


async def list_redemptions(uow: SqlUnitOfWork, limit: int) -> list[Redemption]:
    async with uow:
        return await uow.vouchers.redemptions(limit)


@dataclass(frozen=True, slots=True)
class CalendarNeeds:
    """What the open cases need of the calendar."""

    span: tuple[datetime, datetime] | None  # earliest deadline, latest deadline or ceiling
    provisional: dict[int, int]  # year without data -> open cases whose deadline guessed it


async def calendar_needs(uow: SqlUnitOfWork) -> CalendarNeeds:
    async with uow:
        return CalendarNeeds(
            await uow.cases.open_deadline_span(), await uow.cases.provisional_years()
        )

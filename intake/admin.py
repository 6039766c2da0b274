"""Administration behind the `intake staff`, `intake department` and `intake rewards` commands."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from core.classification import BusinessType
from core.codes import readable_code
from core.desk.service import invitation_hash
from core.identity import Platform
from core.staff import ChatAddress, Department, Role, StaffMember
from core.vouchers import Redemption, Voucher, check_catalog_entry, check_restock
from storage.unit_of_work import SqlUnitOfWork

INVITATION_VALID = timedelta(hours=24)
# No 0/O, 1/I/L: codes are read off a screen and typed on a phone.


class AdminError(ValueError):
    """A request the administrator must correct; the message says how."""


async def invite(
    uow: SqlUnitOfWork, *, name: str, role: Role, department: str, now: datetime
) -> tuple[str, datetime]:
    """A one-time registration code, valid for 24 hours, and when it expires."""
    code = readable_code(10, 5)
    expires_at = now + INVITATION_VALID
    async with uow:
        if await uow.staff.department(department) is None:
            raise AdminError(f"no department {department!r}; add it with `intake department add`")
        await uow.staff.invite(invitation_hash(code), name, role, department, expires_at)
        await uow.commit()
    return code, expires_at


async def list_staff(uow: SqlUnitOfWork) -> list[tuple[StaffMember, list[ChatAddress]]]:
    async with uow:
        return await uow.staff.everyone()


async def disable(uow: SqlUnitOfWork, staff_id: int) -> None:
    async with uow:
        if not await uow.staff.disable(staff_id):
            raise AdminError(f"no staff member {staff_id}; `intake staff list` shows them")
        await uow.commit()


async def save_department(
    uow: SqlUnitOfWork, *, code: str, name: str, business: list[str], default: bool
) -> Department:
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


async def set_department_chat(uow: SqlUnitOfWork, code: str, chat: str) -> None:
    try:
        address = ChatAddress.parse(chat)
    except ValueError:
        platforms = " or ".join(p.value for p in Platform)
        raise AdminError(
            f"not a chat: {chat!r}; expected PLATFORM:CHAT_ID with PLATFORM {platforms}, "
            "e.g. telegram:-1001234567890"
        ) from None
    async with uow:
        department = await uow.staff.department(code)
        if department is None:
            raise AdminError(f"no department {code!r}; `intake department list` shows them")
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


async def add_voucher(
    uow: SqlUnitOfWork, *, name: str, cost: int, stock: int, valid_days: int
) -> Voucher:
    name = name.strip()
    check_catalog_entry(name, cost, stock, valid_days)
    async with uow:
        voucher = await uow.vouchers.add(name, cost, stock, valid_days)
        await uow.commit()
    return voucher


async def list_vouchers(uow: SqlUnitOfWork) -> list[Voucher]:
    async with uow:
        return await uow.vouchers.all()


async def restock(uow: SqlUnitOfWork, voucher_id: int, quantity: int) -> int:
    """Add `quantity` vouchers to the stock; the new stock."""
    async with uow:
        voucher = await uow.vouchers.get(voucher_id)
        if voucher is None:
            raise AdminError(f"no voucher {voucher_id}; `intake rewards vouchers` shows them")
        check_restock(voucher, quantity)
        stock = await uow.vouchers.restock(voucher_id, quantity)
        await uow.commit()
    return stock


async def withdraw_voucher(uow: SqlUnitOfWork, voucher_id: int) -> None:
    async with uow:
        if not await uow.vouchers.withdraw(voucher_id):
            raise AdminError(f"no voucher {voucher_id}; `intake rewards vouchers` shows them")
        await uow.commit()


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

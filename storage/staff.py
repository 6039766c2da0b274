"""Staff, their chat identities, invitations and departments on SQL."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.cases.classification import BusinessType
from core.desk.staff import ChatAddress, Department, Invitation, Role, StaffMember
from core.identity import Platform
from storage.database import inserted_id, rowcount
from storage.dialect import upsert
from storage.tables import DepartmentRow, InvitationRow, StaffIdentityRow, StaffRow


class SqlStaffDirectory:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # -- staff ---------------------------------------------------------------------------

    async def by_identity(self, platform: Platform, user_id: str) -> StaffMember | None:
        row = await self._session.scalar(
            select(StaffRow)
            .join(StaffIdentityRow, col(StaffIdentityRow.staff_id) == col(StaffRow.id))
            .where(
                col(StaffIdentityRow.platform) == platform.value,
                col(StaffIdentityRow.user_id) == user_id,
            )
        )
        return _member(row) if row else None

    async def get(self, staff_id: int) -> StaffMember | None:
        row = await self._session.get(StaffRow, staff_id)
        return _member(row) if row else None

    async def addresses(self, staff_id: int) -> list[ChatAddress]:
        """Private chats of a staff member, one per linked platform account."""
        rows = await self._session.execute(
            select(col(StaffIdentityRow.platform), col(StaffIdentityRow.user_id))
            .where(col(StaffIdentityRow.staff_id) == staff_id)
            .order_by(StaffIdentityRow.platform)
        )
        return [ChatAddress(Platform(p), u) for p, u in rows]

    async def members(
        self, department: str | None, min_role: Role = Role.AGENT
    ) -> list[StaffMember]:
        """Active staff of a department (None: of every department) with at least a role."""
        stmt = select(StaffRow).where(col(StaffRow.active).is_(True)).order_by(col(StaffRow.id))
        if department is not None:
            stmt = stmt.where(col(StaffRow.department) == department)
        members = [_member(r) for r in await self._session.scalars(stmt)]
        return [m for m in members if m.role >= min_role]

    async def everyone(self) -> list[tuple[StaffMember, list[ChatAddress]]]:
        """Every staff member, disabled ones too, with their chat accounts."""
        rows = await self._session.scalars(select(StaffRow).order_by(col(StaffRow.id)))
        return [(m, await self.addresses(m.id)) for m in map(_member, rows)]

    async def of_department(self, department: str) -> list[StaffMember]:
        """Everyone belonging to a department, disabled staff too."""
        rows = await self._session.scalars(
            select(StaffRow)
            .where(col(StaffRow.department) == department)
            .order_by(col(StaffRow.id))
        )
        return [_member(r) for r in rows]

    async def disable(self, staff_id: int) -> bool:
        return await self.change(staff_id, active=False)

    async def change(
        self,
        staff_id: int,
        *,
        name: str | None = None,
        role: Role | None = None,
        department: str | None = None,
        language: str | None = None,
        active: bool | None = None,
    ) -> bool:
        """Change what is given of a staff member; False if there is no such member."""
        given = {
            "name": name,
            "role": role.name.lower() if role is not None else None,
            "department": department,
            "language": language,
            "active": active,
        }
        values = {k: v for k, v in given.items() if v is not None}
        if not values:
            return await self.get(staff_id) is not None
        result = await self._session.execute(
            update(StaffRow).where(col(StaffRow.id) == staff_id).values(values)
        )
        return rowcount(result) == 1

    # -- invitations ---------------------------------------------------------------------

    async def invite(
        self, code_hash: str, name: str, role: Role, department: str, expires_at: datetime
    ) -> None:
        await self._session.execute(
            insert(InvitationRow).values(
                code_hash=code_hash,
                name=name,
                role=role.name.lower(),
                department=department,
                expires_at=expires_at,
            )
        )

    async def pending_invitations(self, now: datetime) -> list[Invitation]:
        """Invitations neither used nor expired, the soonest to expire first."""
        rows = await self._session.scalars(
            select(InvitationRow)
            .where(col(InvitationRow.used_at).is_(None), col(InvitationRow.expires_at) > now)
            .order_by(col(InvitationRow.expires_at), col(InvitationRow.name))
        )
        return [_invitation(r) for r in rows]

    async def revoke(self, code_hash: str, now: datetime) -> Invitation | None:
        """Delete a pending invitation; None if no pending one has this code."""
        row = await self._session.scalar(
            delete(InvitationRow)
            .where(
                col(InvitationRow.code_hash) == code_hash,
                col(InvitationRow.used_at).is_(None),
                col(InvitationRow.expires_at) > now,
            )
            .returning(InvitationRow)
        )
        return _invitation(row) if row else None

    async def redeem(
        self, code_hash: str, platform: Platform, user_id: str, now: datetime
    ) -> StaffMember | None:
        """Use an invitation once, before it expires, to link a chat account to a staff
        member: a new one, or the one the account already belongs to (someone disabled
        and invited again), who is then enabled with the invitation's name, role and
        department. None when the code is unknown, used or expired."""
        claimed = await self._session.execute(
            update(InvitationRow)
            .where(
                col(InvitationRow.code_hash) == code_hash,
                col(InvitationRow.used_at).is_(None),
                col(InvitationRow.expires_at) > now,
            )
            .values(used_at=now)
            .returning(
                col(InvitationRow.name), col(InvitationRow.role), col(InvitationRow.department)
            )
        )
        invitation = claimed.one_or_none()
        if invitation is None:
            return None
        name, role, department = invitation
        staff_id = await self._session.scalar(
            select(col(StaffIdentityRow.staff_id)).where(
                col(StaffIdentityRow.platform) == platform.value,
                col(StaffIdentityRow.user_id) == user_id,
            )
        )
        if staff_id is not None:
            await self.change(
                staff_id, name=name, role=Role[role.upper()], department=department, active=True
            )
        else:
            staff_id = await self._new_member(name, role, department, now)
            await self._session.execute(  # an upsert: a concurrent /register may have linked it
                upsert(self._session, StaffIdentityRow)
                .values(platform=platform.value, user_id=user_id, staff_id=staff_id, linked_at=now)
                .on_conflict_do_update(
                    index_elements=["platform", "user_id"],
                    set_={"staff_id": staff_id, "linked_at": now},
                )
            )
        await self._session.execute(
            update(InvitationRow)
            .where(col(InvitationRow.code_hash) == code_hash)
            .values(staff_id=staff_id)
        )
        return await self.get(staff_id)

    async def _new_member(self, name: str, role: str, department: str, now: datetime) -> int:
        staff_id = (
            await self._session.execute(
                insert(StaffRow)
                .values(
                    name=name,
                    role=role,
                    department=department,
                    active=True,
                    language="zh",
                    created_at=now,
                )
                .returning(col(StaffRow.id))
            )
        ).scalar_one()
        return inserted_id(staff_id)

    # -- departments -----------------------------------------------------------------------

    async def departments(self) -> list[Department]:
        rows = await self._session.scalars(select(DepartmentRow).order_by(DepartmentRow.code))
        return [_department(r) for r in rows]

    async def department(self, code: str) -> Department | None:
        row = await self._session.get(DepartmentRow, code)
        return _department(row) if row else None

    async def remove_department(self, code: str, now: datetime) -> bool:
        """Delete a department with its spent (used or expired) invitations; the caller
        has made sure no staff and no pending invitation belong to it."""
        await self._session.execute(
            delete(InvitationRow).where(
                col(InvitationRow.department) == code,
                or_(col(InvitationRow.used_at).is_not(None), col(InvitationRow.expires_at) <= now),
            )
        )
        result = await self._session.execute(
            delete(DepartmentRow).where(col(DepartmentRow.code) == code)
        )
        return rowcount(result) == 1

    async def save_department(self, department: Department) -> None:
        values = {
            "name": department.name,
            "business_types": sorted(b.value for b in department.business_types),
            "is_default": department.is_default,
            "alert_chat": str(department.alert_chat) if department.alert_chat else None,
        }
        if department.is_default:  # one default department at most
            await self._session.execute(update(DepartmentRow).values(is_default=False))
        await self._session.execute(
            upsert(self._session, DepartmentRow)
            .values(code=department.code, **values)
            .on_conflict_do_update(index_elements=["code"], set_=values)
        )


def _member(row: StaffRow) -> StaffMember:
    staff_id = cast(int, row.id)  # a stored row always has one
    return StaffMember(
        staff_id, row.name, Role[row.role.upper()], row.department, row.active, row.language
    )


def _invitation(row: InvitationRow) -> Invitation:
    return Invitation(row.name, Role[row.role.upper()], row.department, row.expires_at)


def _department(row: DepartmentRow) -> Department:
    return Department(
        code=row.code,
        name=row.name,
        business_types=frozenset(BusinessType(b) for b in row.business_types),
        is_default=row.is_default,
        alert_chat=ChatAddress.parse(row.alert_chat) if row.alert_chat else None,
    )

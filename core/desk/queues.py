"""Queues and figures: the lists of cases waiting for staff (`/queue`), a page at a time
with buttons to turn it, and the day's and month's numbers (`/stats`), each within the
staff member's scope."""

from __future__ import annotations

import math

from core.cases.case import Case
from core.channel.io import Option, Reply
from core.desk import views
from core.desk.registry import command
from core.desk.staff import Role
from core.desk.work import Work
from core.queries import QueueKind, Scope

PAGE_SIZE = 10


# "q" keeps button keys short: `k:q:KIND:PAGE`.
@command("queue", button="q", button_args=2)
async def queue(work: Work) -> None:
    staff, now = work.staff, work.now
    words = work.command.rest.split()
    default = QueueKind.MINE if staff.role is Role.AGENT else QueueKind.DEPT
    kinds = {k.value for k in QueueKind}
    unknown = [w for w in words if w not in kinds and not (w.isdecimal() and int(w) > 0)]
    if unknown:
        work.say("desk.queue.unknown", word=unknown[0], kinds="|".join(sorted(kinds)))
        return
    kind = next((QueueKind(w) for w in words if w in kinds), default)
    page = next((int(w) for w in words if w.isdecimal()), 1)

    async def fetch(page: int) -> tuple[list[Case], int]:
        return await work.uow.cases.queue(
            kind,
            Scope.of(staff),
            me=str(staff.id),
            now=now,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )

    cases, total = await fetch(page)
    # A supervisor's "department" queue is every department's.
    everyone = kind is QueueKind.DEPT and Scope.of(staff).department is None
    title = work.text("desk.queue.all" if everyone else f"desk.queue.{kind.value}")
    if total == 0:
        work.say("desk.queue.empty", title=title)
        return
    pages = math.ceil(total / PAGE_SIZE)
    if page > pages:  # past the end: show the last page
        page = pages
        cases, total = await fetch(page)
    lang, tz = staff.language, work.settings.calendar.tz
    lines = [work.text("desk.queue.header", title=title, page=page, pages=pages, total=total)]
    lines += [views.case_line(c, lang, tz, late=c.due_at < now) for c in cases]
    options = []
    if page > 1:
        options.append(Option(queue.button(kind.value, page - 1), work.text("desk.queue.previous")))
    if page < pages:
        options.append(Option(queue.button(kind.value, page + 1), work.text("desk.queue.next")))
    work.replies.append(Reply("\n".join(lines), tuple(options)))


@command("stats")
async def stats(work: Work) -> None:
    staff = work.staff
    scope = Scope.of(staff)
    local = work.now.astimezone(work.settings.calendar.tz)
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    numbers = await work.uow.cases.figures(
        scope, day_start=day_start, month_start=day_start.replace(day=1), now=work.now
    )
    if scope.department is None:
        name = work.text("desk.stats.all")
    else:
        department = await work.uow.staff.department(staff.department)
        name = department.name if department else staff.department
    work.replies.append(Reply(views.figures(name, numbers, staff.language)))

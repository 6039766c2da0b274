"""What staff set up for themselves: the commands they may use (`/help`, listed from
the declarations) and the language the desk speaks to them (`/language`)."""

from __future__ import annotations

from dataclasses import replace

from core.channel.io import Reply
from core.desk.registry import command, declarations
from core.desk.work import Work
from core.messages import LANGUAGES, t


@command("help")
async def help_listing(work: Work) -> None:
    """Every command the staff member may use, the least demanding first."""
    allowed = sorted(
        (d for d in declarations() if d.may_run(work.staff)), key=lambda d: (d.role, d.name)
    )
    lines = [work.text("desk.help"), *(work.text(d.help_key) for d in allowed)]
    work.replies.append(Reply("\n".join(lines)))


@command("language")
async def language(work: Work) -> None:
    """The staff member's working language: the desk speaks it from now on."""
    wanted = work.command.rest.strip().casefold()
    if wanted not in LANGUAGES:
        work.say("desk.language.usage", current=work.text("language.name"))
        return
    await work.uow.staff.change(work.staff.id, language=wanted)
    work.staff = replace(work.staff, language=wanted)
    work.say("desk.language.set", name=t(wanted, "language.name"))

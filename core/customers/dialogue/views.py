"""Replies built from stored facts: the filing confirmation, case status, points."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from core.cases.case import Case
from core.cases.naming import type_name
from core.cases.values import CaseEvent
from core.messages import day, moment, t
from core.rewards.ledger import RewardEntry

# Audit actions a customer may see in "latest update"; notes and internal moves are not.
_PUBLIC_ACTIONS = frozenset(
    {
        "filed",
        "assigned",
        "started",
        "asked_customer",
        "customer_replied",
        "resolved",
        "closed",
        "reopened",
        "withdrawn",
        "extended",
        "merged",
    }
)


def deadline(lang: str, due: datetime, tz: ZoneInfo, provisional_year: int | None = None) -> str:
    """A deadline as the customer reads it; a provisional one says so and why."""
    text = moment(lang, due, tz)
    if provisional_year is not None:
        text += t(lang, "deadline.provisional", year=provisional_year)
    return text


def case_deadline(case: Case, lang: str, tz: ZoneInfo) -> str:
    return deadline(lang, case.due_at, tz, case.due_provisional_year)


def confirmation(case: Case, lang: str, tz: ZoneInfo) -> str:
    kind = case.type.value
    return t(
        lang,
        "confirmation",
        type=type_name(lang, case.type),
        number=case.number,
        next=t(lang, f"next.{kind}"),
        due=case_deadline(case, lang, tz),
    )


def status_view(
    case: Case, history: list[CaseEvent], department: str | None, lang: str, tz: ZoneInfo
) -> str:
    """`department` is the name of the case's department, if it has one."""
    return t(
        lang,
        "status.view",
        number=case.number,
        type=type_name(lang, case.type),
        status=t(lang, f"status.{case.status.value}"),
        department=department or t(lang, "status.unrouted"),
        due=case_deadline(case, lang, tz),
        latest=_latest(case, history, lang, tz),
    )


def _latest(case: Case, history: list[CaseEvent], lang: str, tz: ZoneInfo) -> str:
    public = [e for e in history if e.action in _PUBLIC_ACTIONS]
    if not public:
        return t(lang, "summary.none")
    event = public[-1]
    note = case.resolution if event.action == "resolved" else event.note
    on = day(lang, event.at.astimezone(tz).date())
    return t(lang, f"latest.{event.action}", date=on, note=note or "")


def case_list(cases: list[Case], lang: str, tz: ZoneInfo) -> str:
    if not cases:
        return t(lang, "mycases.none")
    lines = [t(lang, "mycases.header")]
    lines += [
        t(
            lang,
            "mycases.line",
            number=c.number,
            type=type_name(lang, c.type),
            status=t(lang, f"status.{c.status.value}"),
            due=case_deadline(c, lang, tz),
        )
        for c in cases
    ]
    lines.append(t(lang, "mycases.hint"))
    return "\n".join(lines)


def points_view(balance: int, entries: list[RewardEntry], lang: str, tz: ZoneInfo) -> str:
    if not entries:
        return t(lang, "points.none")
    lines = [t(lang, "points.balance", points=balance)]
    lines += [
        t(
            lang,
            "points.line",
            date=day(lang, e.at.astimezone(tz).date()),
            points=e.points,
            reason=t(lang, f"reward.{e.reason.value}"),
        )
        for e in entries
    ]
    return "\n".join(lines)

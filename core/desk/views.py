"""What staff read. Customers' names and phone numbers are always masked here; only
`/reveal` shows them, and that is audited."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from core.case import Case, CaseEvent, CaseStatus
from core.desk.commands import button
from core.desk.queries import Figures
from core.dialogue.io import Option
from core.identity import mask_name, mask_phone, redact
from core.messages import t

DESCRIPTION_IN_ALERT = 200


def customer_line(case: Case, lang: str) -> str:
    contact = case.contact
    if contact.is_anonymous:
        return t(lang, "desk.anonymous")
    return " ".join(p for p in (mask_name(contact.name), mask_phone(contact.phone)) if p)


def safe(case: Case, text: str | None) -> str:
    """Free text a customer wrote, with personal data masked."""
    return redact(text or "", case.contact)


def when(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def due_when(case: Case, lang: str, tz: ZoneInfo) -> str:
    """The bank's deadline for staff; a provisional one is marked, with the missing year."""
    text = when(case.due_at, tz)
    year = case.due_provisional_year
    return text if year is None else text + t(lang, "desk.provisional", year=year)


def status_for_staff(case: Case, lang: str) -> str:
    """The status as staff need it: a case routed to a department that nobody took yet
    is waiting to be taken, not "assigned"."""
    if case.status is CaseStatus.ASSIGNED and case.assignee is None:
        return t(lang, "desk.status.untaken")
    return t(lang, f"status.{case.status.value}")


def case_line(case: Case, lang: str, tz: ZoneInfo, late: bool) -> str:
    return t(
        lang,
        "desk.queue.line",
        number=case.number,
        type=t(lang, f"type.{case.type.value}"),
        status=status_for_staff(case, lang),
        due=due_when(case, lang, tz),
        late=t(lang, "desk.queue.late") if late else "",
    )


def case_details(case: Case, history: list[CaseEvent], lang: str, tz: ZoneInfo) -> str:
    none = t(lang, "desk.none")
    lines = [
        t(
            lang,
            "desk.case.history_line",
            at=when(e.at, tz),
            actor=e.actor,
            action=e.action,
            note=f": {safe(case, e.note)}" if e.note else "",
        )
        for e in history
    ]
    kinds = ", ".join(a.kind for a in case.attachments) or none
    outcome = (
        t(lang, "desk.case.outcome", outcome=safe(case, case.desired_outcome))
        if case.desired_outcome
        else ""
    )
    return t(
        lang,
        "desk.case",
        number=case.number,
        type=t(lang, f"type.{case.type.value}"),
        status=status_for_staff(case, lang),
        business=t(lang, f"business.{case.classification.business_type.value}"),
        branch=case.branch or none,
        department=case.department or none,
        assignee=case.assignee or t(lang, "desk.unassigned"),
        received=when(case.received_at, tz),
        due=due_when(case, lang, tz),
        legal_due=when(case.legal_due_at, tz),
        customer=customer_line(case, lang),
        description=safe(case, case.description),
        outcome=outcome,
        attachments=f"{len(case.attachments)} ({kinds})",
        history="\n".join(lines),
    )


def new_case_alert(case: Case, lang: str, tz: ZoneInfo) -> str:
    return _case_alert("desk.alert", case, lang, tz)


def assignment_alert(case: Case, by: str, reopened: bool, lang: str, tz: ZoneInfo) -> str:
    """A case handed to someone: by whom, and whether it is back after a resolution."""
    key = "desk.alert.assigned_reopened" if reopened else "desk.alert.assigned"
    return _case_alert(key, case, lang, tz, by=by)


def _case_alert(key: str, case: Case, lang: str, tz: ZoneInfo, **extra: object) -> str:
    description = safe(case, case.description)
    if len(description) > DESCRIPTION_IN_ALERT:
        description = description[: DESCRIPTION_IN_ALERT - 1] + "…"
    return t(
        lang,
        key,
        type=t(lang, f"type.{case.type.value}"),
        number=case.number,
        business=t(lang, f"business.{case.classification.business_type.value}"),
        branch=case.branch or t(lang, "desk.none"),
        customer=customer_line(case, lang),
        due=due_when(case, lang, tz),
        description=description,
        **extra,
    )


def figures(scope: str, numbers: Figures, lang: str) -> str:
    resolved, rated = numbers.resolved_this_month, numbers.rated_this_month

    def rate(part: int, whole: int) -> str:
        return f"{part / whole:.0%}" if whole else t(lang, "desk.stats.rate_none")

    return t(
        lang,
        "desk.stats",
        scope=scope,
        today=numbers.received_today,
        open=numbers.open,
        overdue=numbers.overdue,
        on_time=rate(numbers.resolved_on_time_this_month, resolved),
        on_time_count=numbers.resolved_on_time_this_month,
        resolved=resolved,
        satisfied=rate(numbers.satisfied_this_month, rated),
        satisfied_count=numbers.satisfied_this_month,
        rated=rated,
    )


def view_button(number: str, lang: str) -> Option:
    """The button under a staff message that opens the case (`/case`)."""
    return Option(button("view", number), t(lang, "desk.view"))

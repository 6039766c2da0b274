"""What staff read. Customers' names and phone numbers are always masked here; only
`/reveal` shows them, and that is audited."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from core.cases.case import Case
from core.cases.naming import cause_name, channel_name, type_name
from core.cases.values import FORGOTTEN_ACTOR, CaseEvent, CaseStatus, audited_classification
from core.desk.staff import staff_id_of
from core.errors import DomainError
from core.identity import mask_name, mask_phone, redact
from core.messages import has_text, moment, t
from core.queries import Figures

DESCRIPTION_IN_ALERT = 200


def customer_line(case: Case, lang: str) -> str:
    contact = case.contact
    if contact.is_anonymous:
        return t(lang, "desk.anonymous")
    return " ".join(p for p in (mask_name(contact.name), mask_phone(contact.phone)) if p)


def safe(case: Case, text: str | None) -> str:
    """Free text a customer wrote, with personal data masked."""
    return redact(text or "", case.contact)


def refusal_text(refusal: DomainError, lang: str) -> str:
    """A domain refusal in the reader's words, with what to do instead."""
    params = dict(refusal.params)
    for name in ("current", "target", "status"):
        if name in params:
            params[name] = t(lang, f"status.{params[name]}")
    text = t(lang, refusal.key, **params)
    current = refusal.params.get("current")
    if current is not None:
        text += t(lang, f"refusal.hint.{current}", number=refusal.params.get("number", ""))
    return text


def due_when(case: Case, lang: str, tz: ZoneInfo) -> str:
    """The bank's deadline for staff; a provisional one is marked, with the missing year."""
    text = moment(lang, case.due_at, tz)
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
        type=type_name(lang, case.type),
        status=status_for_staff(case, lang),
        due=due_when(case, lang, tz),
        late=t(lang, "desk.queue.late") if late else "",
    )


@dataclass(frozen=True, slots=True)
class Names:
    """The words for the codes a case carries: its department and the staff it names."""

    department: str | None = None
    staff: Mapping[int, str] = field(default_factory=dict)

    def of_staff(self, staff_id: int | None, lang: str) -> str:
        if staff_id is None:
            return t(lang, "desk.unassigned")
        return self.staff.get(staff_id) or t(lang, "actor.former_staff", id=staff_id)


def actor_words(actor: str, names: Names, lang: str) -> str:
    """Who did it, in words: a staff member's name, "the customer", "the system"."""
    kind, _, rest = actor.partition(":")
    if kind == "staff":
        return names.of_staff(staff_id_of(actor), lang)
    if kind == "customer":
        return t(lang, "actor.customer_forgotten" if actor == FORGOTTEN_ACTOR else "actor.customer")
    key = f"actor.system.{rest}"
    return t(lang, key) if has_text(lang, key) else t(lang, "actor.system")


def attachment_words(kinds: list[str], lang: str) -> str:
    """'photo, photo, document' as '照片 2、文件 1'."""
    if not kinds:
        return t(lang, "desk.none")
    counted = Counter(kinds)
    return t(lang, "list.separator").join(
        t(lang, "attachment.count", kind=_kind(k, lang), count=n) for k, n in counted.items()
    )


def _kind(kind: str, lang: str) -> str:
    key = f"attachment.kind.{kind}"
    return t(lang, key) if has_text(lang, key) else t(lang, "attachment.kind.other")


def history_line(case: Case, event: CaseEvent, names: Names, lang: str, tz: ZoneInfo) -> str:
    """One line of the trail as a person reads it, with what was said to the customer."""
    after = event.after
    action = event.action
    detail = safe(case, event.note) if event.note else ""
    if action == "assigned":
        assignee = after.get("assignee")
        department = after.get("department")
        place = names.department if department == case.department else None
        detail = names.of_staff(int(assignee), lang) if assignee else (place or department or "")
    elif action == "resolved":
        detail = safe(case, after.get("resolution"))
    elif action == "attached":
        detail = _kind(str(after.get("kind", "")), lang)
    elif action in ("classified", "channel_corrected") and "classification" in after:
        detail = _classification_words(after["classification"], action, lang)
    elif action == "rated":
        detail = f"{after.get('satisfaction')}/5"
    elif action in ("postponed", "deadline_recounted") and "due_at" in after:
        due = moment(lang, datetime.fromisoformat(after["due_at"]), tz)
        detail = f"{due} {detail}".strip()
    key = f"action.{action}"
    return t(
        lang,
        "desk.case.history_line",
        at=moment(lang, event.at, tz),
        actor=actor_words(event.actor, names, lang),
        action=t(lang, key) if has_text(lang, key) else action.replace("_", " "),
        note=t(lang, "desk.case.history_detail", detail=detail) if detail else "",
    )


def _classification_words(audited: Mapping[str, Any], action: str, lang: str) -> str:
    """The cause or the channel an event set, in words."""
    axes = audited_classification(audited)
    if action == "channel_corrected":
        return channel_name(lang, axes.channel)
    return cause_name(lang, axes.cause) if axes.cause else ""


def tag_words(case: Case, lang: str) -> str:
    """The case's free tags, listed, or that it has none."""
    return t(lang, "list.separator").join(case.tags) if case.tags else t(lang, "desk.none")


def _classification_line(case: Case, lang: str) -> str:
    """Where the business happened, the cause and the tags, as staff read them."""
    axes = case.classification
    return t(
        lang,
        "desk.case.classification",
        channel=channel_name(lang, axes.channel),
        cause=cause_name(lang, axes.cause) if axes.cause else t(lang, "desk.classify.unset"),
        tags=tag_words(case, lang),
    )


def case_details(
    case: Case, history: list[CaseEvent], names: Names, lang: str, tz: ZoneInfo
) -> str:
    none = t(lang, "desk.none")
    lines = [history_line(case, e, names, lang, tz) for e in history]
    outcome = (
        t(lang, "desk.case.outcome", outcome=safe(case, case.desired_outcome))
        if case.desired_outcome
        else ""
    )
    description = (
        t(lang, "desk.erased") if case.forgotten_at is not None else safe(case, case.description)
    )
    assignee = int(case.assignee) if case.assignee and case.assignee.isdecimal() else None
    return t(
        lang,
        "desk.case",
        number=case.number,
        type=type_name(lang, case.type),
        status=status_for_staff(case, lang),
        business=t(lang, f"business.{case.classification.business_type.value}"),
        branch=case.branch or none,
        classification=_classification_line(case, lang),
        department=names.department or t(lang, "desk.no_department"),
        assignee=names.of_staff(assignee, lang),
        received=moment(lang, case.received_at, tz),
        due=due_when(case, lang, tz),
        legal_due=moment(lang, case.legal_due_at, tz),
        customer=customer_line(case, lang),
        description=description,
        outcome=outcome,
        attachments=attachment_words([a.kind for a in case.attachments], lang),
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
        type=type_name(lang, case.type),
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

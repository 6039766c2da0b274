"""Privacy self-service (PIPL): what is kept about a customer, and forgetting it.

`/privacy` lists what the bank holds. `/forget`, once confirmed, removes the customer's
personal data from their finished cases (`Case.forget`) and their identity and words
from those cases' audit trails, keeping the cases for the bank's statistics; then
every other trace of their words (`PersonalTraces.erase`): the messages they were sent,
staff messages about the forgotten cases, stored replies. Open cases keep the details
needed to answer them until they are finished. Each forgotten case records a
`forgotten` event. Reward points and vouchers stay: they are the customer's (their
ledger entries lose the link to the forgotten cases).
"""

from __future__ import annotations

from datetime import datetime

from core.cases.filing import change_case_within
from core.cases.values import FINAL_STATUSES
from core.identity import CustomerId, mask_name, mask_phone
from core.messages import t
from core.ports import UnitOfWork

# Enough for any real customer; forgetting more runs again with the next /forget.
ALL_CASES = 1000
CASES_LISTED = 20


async def report(uow: UnitOfWork, customer: CustomerId, lang: str) -> str:
    cases = await uow.cases.for_customer(customer, ALL_CASES)
    lines = [
        t(lang, "privacy.header"),
        t(
            lang,
            "privacy.account",
            platform=t(lang, f"platform.{customer.platform.value}"),
            chosen=t(lang, "language.name"),
        ),
    ]
    if cases:
        numbers = ", ".join(c.number for c in cases[:CASES_LISTED])
        more = "…" if len(cases) > CASES_LISTED else ""
        lines.append(t(lang, "privacy.cases", count=len(cases), numbers=numbers + more))
    else:
        lines.append(t(lang, "privacy.no_cases"))
    # Shown masked: the chat is not the place to repeat a phone number in full.
    contacts = sorted(
        {
            f"{mask_name(c.contact.name)} {mask_phone(c.contact.phone)}".strip()
            for c in cases
            if not c.contact.is_anonymous
        }
    )
    if contacts:
        lines.append(t(lang, "privacy.contact", contact="; ".join(contacts)))
    entries = await uow.rewards.recent(customer, ALL_CASES)
    vouchers = await uow.vouchers.for_customer(customer, ALL_CASES)
    lines.append(
        t(
            lang,
            "privacy.points",
            points=await uow.rewards.balance(customer),
            entries=len(entries),
            vouchers=len(vouchers),
        )
    )
    if vouchers:
        lines.append(t(lang, "privacy.vouchers_hint"))
    lines.append(t(lang, "privacy.footer"))
    return "\n".join(lines)


async def forget(uow: UnitOfWork, customer: CustomerId, lang: str, now: datetime) -> str:
    """Forget the customer on every finished case; what to tell them."""
    cases = await uow.cases.for_customer(customer, ALL_CASES)
    finished = [c for c in cases if c.status in FINAL_STATUSES]
    for case in finished:
        await change_case_within(uow, case, lambda c: c.forget(now=now))
        await uow.cases.erase_trail(case.number, customer)
    await uow.traces.erase(customer, [c.number for c in finished], now)
    text = t(lang, "forget.done", count=len(finished))
    still_open = len(cases) - len(finished)
    if still_open:
        text += "\n" + t(lang, "forget.open_left", count=still_open)
    return text

"""The customer's side of gift vouchers: the catalog, the confirmation, the exchange,
and the codes issued.

The catalog is a menu — buttons on Telegram, numbers on WeChat — left open as the
customer's pending question (`/redeem 3` picks voucher 3 directly); choosing one asks
for a confirmation, answered the same way. The exchange itself is one atomic step of the
voucher store. `/vouchers` lists the codes issued, so none is lost with the chat history.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from core.channel.io import Reply
from core.customers.dialogue import pending
from core.customers.dialogue.state import Awaiting, Dialogue, Pending
from core.identity import CustomerId
from core.messages import moment, t
from core.ports import UnitOfWork
from core.rewards.vouchers import RedeemRefusal, Voucher

# The codes `/vouchers` lists, newest first.
ISSUED_SHOWN = 20


async def catalog(uow: UnitOfWork, customer: CustomerId, dialogue: Dialogue) -> Reply:
    """What is on offer, as the menu the customer now answers."""
    lang = dialogue.language
    vouchers = await uow.vouchers.catalog()
    if not vouchers:
        return Reply(t(lang, "redeem.none"))
    balance = await uow.rewards.balance(customer)
    choices = tuple(
        pending.voucher_option(
            v.id, t(lang, "redeem.line", name=v.name, cost=v.cost, stock=v.stock)
        )
        for v in vouchers
    )
    text = t(lang, "redeem.menu", balance=balance) + "\n" + t(lang, "redeem.hint")
    dialogue.pending = Pending(Awaiting.VOUCHER, label=text, choices=choices)
    return pending.question(dialogue.pending, lang)


async def issued(
    uow: UnitOfWork, customer: CustomerId, lang: str, now: datetime, tz: ZoneInfo
) -> Reply:
    """The customer's vouchers with their codes, and whether each is still valid."""
    redemptions = await uow.vouchers.for_customer(customer, ISSUED_SHOWN)
    if not redemptions:
        return Reply(t(lang, "vouchers.none"))
    lines = [t(lang, "vouchers.header")]
    lines += [
        t(
            lang,
            "vouchers.line" if r.expires_at > now else "vouchers.expired",
            name=r.voucher_name,
            code=r.code,
            expires=moment(lang, r.expires_at, tz),
        )
        for r in redemptions
    ]
    return Reply("\n".join(lines))


async def offer(
    uow: UnitOfWork, customer: CustomerId, dialogue: Dialogue, voucher_id: int
) -> Reply:
    """Ask to confirm the exchange, if the customer can afford a voucher in stock."""
    lang = dialogue.language
    voucher = await uow.vouchers.get(voucher_id)
    balance = await uow.rewards.balance(customer)
    if voucher is None or not voucher.active:
        return _refused(RedeemRefusal.UNKNOWN, voucher_id, None, balance, lang)
    if voucher.stock <= 0:
        return _refused(RedeemRefusal.OUT_OF_STOCK, voucher_id, voucher, balance, lang)
    if balance < voucher.cost:
        return _refused(RedeemRefusal.NOT_ENOUGH_POINTS, voucher_id, voucher, balance, lang)
    label = t(lang, "redeem.label", name=voucher.name, cost=voucher.cost)
    dialogue.pending = Pending(Awaiting.REDEEM, str(voucher.id), label)
    return pending.question(dialogue.pending, lang)


async def redeem(
    uow: UnitOfWork,
    customer: CustomerId,
    lang: str,
    voucher_id: int,
    now: datetime,
    tz: ZoneInfo,
) -> Reply:
    """Exchange the points; the code, or why not (nothing changed then)."""
    issued = await uow.vouchers.redeem(customer, voucher_id, now)
    balance = await uow.rewards.balance(customer)
    if isinstance(issued, RedeemRefusal):
        voucher = await uow.vouchers.get(voucher_id)
        return _refused(issued, voucher_id, voucher, balance, lang)
    return Reply(
        t(
            lang,
            "redeem.done",
            name=issued.voucher_name,
            code=issued.code,
            expires=moment(lang, issued.expires_at, tz),
            balance=balance,
        )
    )


def _refused(
    why: RedeemRefusal, voucher_id: int, voucher: Voucher | None, balance: int, lang: str
) -> Reply:
    if why is RedeemRefusal.UNKNOWN or voucher is None:
        return Reply(t(lang, "redeem.unknown", id=voucher_id))
    if why is RedeemRefusal.OUT_OF_STOCK:
        return Reply(t(lang, "redeem.out_of_stock", name=voucher.name))
    return Reply(
        t(lang, "redeem.not_enough", name=voucher.name, cost=voucher.cost, balance=balance)
    )

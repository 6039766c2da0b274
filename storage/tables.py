"""The tables behind the case core (sqlmodel). Alembic migrations mirror these."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, Text, text
from sqlmodel import Field, SQLModel

from core.channel.io import DELIVERY_KEY_MAX
from storage.types import EncryptedJSON, EncryptedText, UtcDateTime


def _ts(nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UtcDateTime(), nullable=nullable, index=index))


class CaseRow(SQLModel, table=True):
    __tablename__ = "cases"
    __table_args__ = (
        # Open cases by due time: the desk's queues and the daily digest.
        Index("ix_cases_status_due_at", "status", "due_at"),
        # What the scheduler's sweeps read: cases of a status whose next alert or survey
        # step may have come. Led by the status, so that SQLite without statistics takes
        # it over the status index below. Cases that are over have no moment.
        Index(
            "ix_cases_chase_at",
            "status",
            "chase_at",
            "number",
            sqlite_where=text("chase_at IS NOT NULL"),
            postgresql_where=text("chase_at IS NOT NULL"),
        ),
        # Queues and reports per department.
        Index("ix_cases_department_status_due_at", "department", "status", "due_at"),
        # "My cases" for a customer.
        Index("ix_cases_customer", "customer_platform", "customer_user_id", "received_at"),
        Index("ix_cases_assignee_status", "assignee", "status"),
        Index("ix_cases_status_legal_due_at", "status", "legal_due_at"),
        # Resolved cases by when they were resolved.
        Index("ix_cases_status_resolved_at", "status", "resolved_at"),
        # Provisional deadlines to count again; a partial index would be smaller, but
        # this one reads the same on both databases.
        Index("ix_cases_due_provisional_year", "due_provisional_year"),
        # The figures of a period: cases by when they were answered, fell due, were rated.
        Index("ix_cases_resolved_at", "resolved_at"),
        Index("ix_cases_original_due_at", "original_due_at"),
        Index("ix_cases_rated_at", "rated_at"),
        Index("ix_cases_implemented_at", "implemented_at"),
    )

    number: str = Field(primary_key=True, max_length=32)
    type: str = Field(max_length=16)
    status: str = Field(max_length=24)
    priority: str = Field(max_length=12)
    customer_platform: str = Field(max_length=16)
    customer_user_id: str = Field(max_length=128)
    # Encrypted at rest when INTAKE_DATA_KEYS is set (README: "Privacy").
    contact_name: str | None = Field(
        default=None, sa_column=Column(EncryptedText("cases.contact_name"))
    )
    contact_phone: str | None = Field(
        default=None, sa_column=Column(EncryptedText("cases.contact_phone"))
    )
    consent_at: datetime | None = _ts(nullable=True)
    # Where the feedback came in (core.cases.classification.IntakeChannel), kept apart
    # from `channel`, the JR/T 0169 axis A: where the complained-about business happened.
    intake_channel: str = Field(max_length=16)
    channel: str = Field(max_length=24)
    business_type: str = Field(max_length=24)
    cause: str | None = Field(default=None, max_length=24)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    branch: str | None = Field(default=None, max_length=128)
    description: str = Field(sa_column=Column(Text, nullable=False))
    desired_outcome: str | None = Field(default=None, sa_column=Column(Text))
    attachments: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    department: str | None = Field(default=None, max_length=64)
    assignee: str | None = Field(default=None, max_length=64)
    resolution: str | None = Field(default=None, sa_column=Column(Text))
    received_at: datetime = _ts(index=True)
    due_at: datetime = _ts()
    # The deadline before any extension: what the on-time figures compare with.
    original_due_at: datetime = _ts()
    # How the deadline was counted (core.cases.case.DueBasis), to count it again when the
    # calendar of a year it guessed arrives.
    due_counted_from: datetime | None = _ts(nullable=True)
    due_working_days: int | None = Field(default=None)
    due_provisional_year: int | None = Field(default=None)
    legal_due_at: datetime = _ts()
    resolved_at: datetime | None = _ts(nullable=True)
    closed_at: datetime | None = _ts(nullable=True)
    extensions: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    decision: str | None = Field(default=None, max_length=16)
    linked_to: str | None = Field(default=None, max_length=32, index=True)
    # The earlier case this repeated complaint was merged into: counted once, as that one.
    merged_into: str | None = Field(default=None, max_length=32, index=True)
    implemented_at: datetime | None = _ts(nullable=True)
    satisfaction: int | None = Field(default=None)
    satisfaction_comment: str | None = Field(default=None, sa_column=Column(Text))
    rated_at: datetime | None = _ts(nullable=True)
    forgotten_at: datetime | None = _ts(nullable=True)
    # When the scheduler is to read the case next (core.chasing.watch); None when the
    # case is over. Set whenever the case is stored, moved on by the sweeps.
    chase_at: datetime | None = _ts(nullable=True)
    version: int = Field(default=0)


class CaseEventRow(SQLModel, table=True):
    """Append-only: database triggers refuse UPDATE and DELETE (see the first migration)."""

    __tablename__ = "case_events"
    __table_args__ = (
        Index("ix_case_events_case_number_id", "case_number", "id"),
        # The figures: extensions and reopenings by when they happened, read from the
        # index alone.
        Index("ix_case_events_action_at", "action", "at", "case_number"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_number: str = Field(foreign_key="cases.number", max_length=32)
    at: datetime = _ts()
    actor: str = Field(max_length=128)
    action: str = Field(max_length=32)
    before: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    after: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    note: str | None = Field(default=None, sa_column=Column(Text))


class CaseCounterRow(SQLModel, table=True):
    """The last serial handed out per case-number prefix and local day."""

    __tablename__ = "case_counters"

    prefix: str = Field(primary_key=True, max_length=4)
    day: date = Field(primary_key=True)
    last: int = Field(default=0)


class DialogueRow(SQLModel, table=True):
    """A customer's conversation with the bank on one platform.

    It holds the place in the intake dialogue (so a restart or another process resumes
    it) and what pushing to the customer depends on: when they last wrote (WeChat opens a
    48-hour window then), how many pushes that window has used, whether they still
    follow the account, and how many pushes wait for their next message.
    """

    __tablename__ = "dialogues"
    __table_args__ = (Index("ix_dialogues_open_intake", "open_intake", "last_message_at"),)

    platform: str = Field(primary_key=True, max_length=16)
    user_id: str = Field(primary_key=True, max_length=128)
    # An intake's answers so far (the name and phone among them): encrypted as a whole.
    state: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(EncryptedJSON("dialogues.state"), nullable=False)
    )
    # Bumped by every lock, so that taking the lock is a write on every database.
    version: int = Field(default=0)
    last_message_at: datetime | None = _ts(nullable=True)
    window_sends: int = Field(default=0)
    subscribed: bool = Field(default=True)
    held: int = Field(default=0)
    # An intake under way (its answers may hold a name and phone): what retention purges.
    open_intake: bool = Field(default=False)


class DeliveryRow(SQLModel, table=True):
    """Platform delivery ids already handled (Telegram update_id, WeChat MsgId...)."""

    __tablename__ = "deliveries"
    __table_args__ = (
        # The few replies still kept (retention drops them soon), for erasure to look at.
        Index(
            "ix_deliveries_kept_response",
            "at",
            sqlite_where=text("response IS NOT NULL"),
            postgresql_where=text("response IS NOT NULL"),
        ),
    )

    key: str = Field(primary_key=True, max_length=DELIVERY_KEY_MAX)
    at: datetime = _ts(index=True)
    # What the first delivery answered (WeChat's passive reply), given again to
    # redeliveries; only for as long as the platform may retry (see `storage.erasure`).
    response: str | None = Field(
        default=None, sa_column=Column(EncryptedText("deliveries.response"))
    )
    # Whose message it answered ("wechat:openid"), so that /forget finds their replies.
    recipient: str | None = Field(default=None, max_length=160)


class RewardEntryRow(SQLModel, table=True):
    """The append-only points ledger: credits for a case, debits for a voucher."""

    __tablename__ = "reward_entries"
    __table_args__ = (
        Index("ix_reward_entries_customer", "customer_platform", "customer_user_id", "id"),
        # Each reason pays out once per case, whatever the retries or double taps.
        Index("ux_reward_entries_case_reason", "case_number", "reason", unique=True),
        # A voucher is paid for once.
        Index("ux_reward_entries_redemption", "redemption_id", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_platform: str = Field(max_length=16)
    customer_user_id: str = Field(max_length=128)
    points: int
    reason: str = Field(max_length=32)
    case_number: str | None = Field(default=None, foreign_key="cases.number", max_length=32)
    redemption_id: int | None = Field(default=None, foreign_key="voucher_redemptions.id")
    at: datetime = _ts()


class RewardAccountRow(SQLModel, table=True):
    """A customer's balance, kept equal to the sum of their ledger entries.

    Spending checks and lowers it in one conditional UPDATE, which is what makes
    concurrent redemptions safe: summing the ledger first would let two of them both
    see enough points.
    """

    __tablename__ = "reward_accounts"
    __table_args__ = (CheckConstraint("balance >= 0", name="ck_reward_accounts_balance"),)

    customer_platform: str = Field(primary_key=True, max_length=16)
    customer_user_id: str = Field(primary_key=True, max_length=128)
    balance: int


class VoucherRow(SQLModel, table=True):
    """A gift voucher in the catalog; never deleted, withdrawn by `active`."""

    __tablename__ = "vouchers"
    __table_args__ = (CheckConstraint("stock >= 0", name="ck_vouchers_stock"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64)
    cost: int
    stock: int
    valid_days: int
    active: bool = Field(default=True)


class VoucherRedemptionRow(SQLModel, table=True):
    """A voucher issued to a customer, paid for by the ledger entry pointing at it."""

    __tablename__ = "voucher_redemptions"
    __table_args__ = (
        Index("ux_voucher_redemptions_code", "code", unique=True),
        Index("ix_voucher_redemptions_customer", "customer_platform", "customer_user_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16)
    voucher_id: int = Field(foreign_key="vouchers.id")
    customer_platform: str = Field(max_length=16)
    customer_user_id: str = Field(max_length=128)
    points: int
    issued_at: datetime = _ts()
    expires_at: datetime = _ts()


class WeChatTokenRow(SQLModel, table=True):
    """The one access_token every process shares (fetching a new one voids the old)."""

    __tablename__ = "wechat_tokens"

    app_id: str = Field(primary_key=True, max_length=64)
    token: str | None = Field(default=None, sa_column=Column(Text))
    expires_at: datetime | None = _ts(nullable=True)
    version: int = Field(default=0)


class HeldMessageRow(SQLModel, table=True):
    """A push that could not be delivered yet; it goes out with the next interaction."""

    __tablename__ = "wechat_held_messages"
    __table_args__ = (Index("ix_wechat_held_openid_delivered", "openid", "delivered_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    openid: str = Field(max_length=128)
    text: str = Field(sa_column=Column(EncryptedText("wechat_held_messages.text"), nullable=False))
    case_number: str | None = Field(default=None, max_length=32)
    created_at: datetime = _ts()
    delivered_at: datetime | None = _ts(nullable=True)


class DepartmentRow(SQLModel, table=True):
    __tablename__ = "departments"

    code: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=128)
    # JR/T 0169 business types this department handles; new cases are routed by them.
    business_types: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    is_default: bool = Field(default=False)
    alert_chat: str | None = Field(default=None, max_length=160)  # "telegram:-100123..."


class StaffRow(SQLModel, table=True):
    __tablename__ = "staff"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=128)
    role: str = Field(max_length=16)
    department: str = Field(foreign_key="departments.code", max_length=64, index=True)
    active: bool = Field(default=True)
    language: str = Field(default="zh", max_length=8)
    created_at: datetime = _ts()


class StaffIdentityRow(SQLModel, table=True):
    """A chat account linked to a staff member by /register."""

    __tablename__ = "staff_identities"

    platform: str = Field(primary_key=True, max_length=16)
    user_id: str = Field(primary_key=True, max_length=128)
    staff_id: int = Field(foreign_key="staff.id", index=True)
    linked_at: datetime = _ts()


class InvitationRow(SQLModel, table=True):
    """A one-time registration code; only its hash is stored."""

    __tablename__ = "staff_invitations"

    code_hash: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=128)
    role: str = Field(max_length=16)
    department: str = Field(foreign_key="departments.code", max_length=64)
    expires_at: datetime = _ts()
    used_at: datetime | None = _ts(nullable=True)
    staff_id: int | None = Field(default=None, foreign_key="staff.id")


class OutboxRow(SQLModel, table=True):
    """A message waiting to leave, written in the transaction of the change behind it."""

    __tablename__ = "outbox"
    __table_args__ = (
        # What the dispatcher claims: pending messages by due time.
        Index("ix_outbox_status_next_attempt", "status", "next_attempt_at"),
        # Order per recipient: the oldest pending message of a chat goes first.
        Index("ix_outbox_recipient", "platform", "address", "status", "id"),
        # What /metrics counts: the backlog and the failures per platform, from the index.
        Index("ix_outbox_status_platform_created", "status", "platform", "created_at"),
        # Messages whose payload is still there: what retention and erasure look at.
        Index(
            "ix_outbox_unredacted",
            "sent_at",
            sqlite_where=text("redacted_at IS NULL"),
            postgresql_where=text("redacted_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    address: str = Field(max_length=128)
    to_customer: bool  # a customer (CustomerId) or a staff chat (ChatAddress)
    # The message itself, encrypted as a whole; replaced by a marker once delivered and
    # older than the retention, or when /forget erases it (`redacted_at` says when).
    payload: dict[str, Any] = Field(
        sa_column=Column(EncryptedJSON("outbox.payload"), nullable=False)
    )
    case_number: str | None = Field(default=None, max_length=32)
    # One logical message, one row: a retried or repeated cause cannot queue it twice.
    idempotency_key: str = Field(max_length=200, unique=True)
    status: str = Field(default="pending", max_length=12)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = _ts()
    claimed_until: datetime | None = _ts(nullable=True)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = _ts()
    sent_at: datetime | None = _ts(nullable=True)
    redacted_at: datetime | None = _ts(nullable=True)
    # The request (or scheduler run) that queued it: its log lines and the dispatcher's
    # carry the same id (README: "Logs"). None for messages queued before it was kept.
    request_id: str | None = Field(default=None, max_length=128)


class ChatPacingRow(SQLModel, table=True):
    """When a chat may get its next message: platforms limit messages per chat."""

    __tablename__ = "chat_pacing"

    platform: str = Field(primary_key=True, max_length=16)
    address: str = Field(primary_key=True, max_length=128)
    next_at: datetime = _ts()


class CaseAlertRow(SQLModel, table=True):
    """A deadline alert already sent: each step goes out once per case and deadline."""

    __tablename__ = "case_alerts"

    case_number: str = Field(primary_key=True, foreign_key="cases.number", max_length=32)
    kind: str = Field(primary_key=True, max_length=24)
    deadline: datetime = Field(sa_column=Column(UtcDateTime(), primary_key=True))
    sent_at: datetime = _ts()


class WebConversationRow(SQLModel, table=True):
    """A conversation on the web channel (site, app, kiosk): nothing personal but the
    e-mail address a customer chose to give for news of their case."""

    __tablename__ = "web_conversations"

    id: str = Field(primary_key=True, max_length=64)
    origin: str = Field(max_length=8)  # web, app or kiosk (core IntakeChannel)
    email: str | None = Field(
        default=None, sa_column=Column(EncryptedText("web_conversations.email"))
    )
    created_at: datetime = _ts()
    # Last sign of the customer (a request, an open event stream): who is not online
    # is told of news by e-mail, once until they come back.
    seen_at: datetime = _ts()
    emailed_at: datetime | None = _ts(nullable=True)
    ended_at: datetime | None = _ts(nullable=True)


class WebMessageRow(SQLModel, table=True):
    """Everything sent to a web conversation, in order: answers and later pushes."""

    __tablename__ = "web_messages"
    __table_args__ = (Index("ix_web_messages_conversation_id", "conversation", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    conversation: str = Field(max_length=64)
    # What it answers or delivers (the request's delivery key, an outbox message): a
    # retried request or a redelivered push stores it once.
    source: str = Field(max_length=DELIVERY_KEY_MAX + 40, unique=True)
    body: dict[str, Any] = Field(
        sa_column=Column(EncryptedJSON("web_messages.body"), nullable=False)
    )
    created_at: datetime = _ts()


class WebAttachmentRow(SQLModel, table=True):
    """A file a web customer uploaded, referenced from their case as `web:<id>`."""

    __tablename__ = "web_attachments"

    id: str = Field(primary_key=True, max_length=64)
    conversation: str = Field(max_length=64, index=True)
    content_type: str = Field(max_length=64)
    size: int
    # Base64 of the file, encrypted like message text: photos of documents are personal.
    content: str = Field(sa_column=Column(EncryptedText("web_attachments.content"), nullable=False))
    created_at: datetime = _ts()

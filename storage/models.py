"""The database schema: SQLAlchemy 2 typed models. Every *_at column is timezone-aware UTC."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC out, on SQLite (which drops the zone) and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        from datetime import UTC

        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        from datetime import UTC

        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    username: Mapped[str | None] = mapped_column(String(64))
    # The NIK encrypted (storage.crypto) and its keyed blind index for the uniqueness check:
    # read and set it through `nik`; query by `nik_index == crypto.current().index(value)`.
    nik_cipher: Mapped[str | None] = mapped_column(Text)
    nik_index: Mapped[str | None] = mapped_column(String(64), unique=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    is_journalist: Mapped[bool] = mapped_column(Boolean, default=False)
    registered_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", lazy="selectin", cascade="all, delete-orphan"
    )
    # The person's chats on each platform (Telegram, WhatsApp): ours is the person, theirs the
    # account. Loaded with the user, since every notice needs to know where to go.
    accounts: Mapped[list[Account]] = relationship(
        back_populates="user", lazy="selectin", cascade="all, delete-orphan"
    )

    def account(self, platform: str) -> Account | None:
        return next((a for a in self.accounts if a.platform == platform), None)

    @property
    def telegram_id(self) -> int | None:
        """Their Telegram account's id (which is also their private chat's id), if they have one."""
        found = self.account("telegram")
        return found.external_id if found else None

    @telegram_id.setter
    def telegram_id(self, value: int | None) -> None:
        found = self.account("telegram")
        if value is None:
            if found is not None:
                self.accounts.remove(found)
        elif found is None:
            self.accounts.append(Account(platform="telegram", external_id=value))
        else:
            found.external_id = value

    @property
    def role_keys(self) -> set[str]:
        return {r.role for r in self.roles}

    @property
    def nik(self) -> str | None:
        from storage import crypto

        return crypto.current().decrypt(self.nik_cipher) if self.nik_cipher else None

    @nik.setter
    def nik(self, value: str | None) -> None:
        from storage import crypto

        vault = crypto.current()
        self.nik_cipher = vault.encrypt(value) if value else None
        self.nik_index = vault.index(value) if value else None


class Account(Base):
    """A person's account on one messaging platform; its id is also their private chat's id
    (a Telegram user id, a WhatsApp number's digits). `user_id` is empty until they register
    or redeem an invite; `last_inbound_at` is when they last wrote: WhatsApp lets a business
    write freely only within 24 hours of it, and the latest one says where they are now."""

    __tablename__ = "account"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    last_inbound_at: Mapped[datetime | None]
    created_at: Mapped[datetime | None]

    user: Mapped[User | None] = relationship(back_populates="accounts")


class UserRole(Base):
    __tablename__ = "user_role"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(32), index=True)
    granted_at: Mapped[datetime]

    user: Mapped[User] = relationship(back_populates="roles")


class Invite(Base):
    __tablename__ = "invite"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    # Bound to a phone number: only the account that shares this contact may join.
    phone: Mapped[str | None] = mapped_column(String(32))
    cancelled_at: Mapped[datetime | None]


class LinkCode(Base):
    """A one-time code that joins another platform's chat to a person (/tautkan): the person
    asks for it in a chat already theirs and sends it back from the new one."""

    __tablename__ = "link_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class Delegation(Base):
    """A deputy (Plh/Plt) holding a role for a period: prompts go to them and they may act in
    it while `starts_at <= now < ends_at` (and not ended early), judged against the clock, so a
    delegation ends by itself. `holder_id` is the official being stood in for, when known."""

    __tablename__ = "delegation"
    __table_args__ = (Index("ix_delegation_deputy", "deputy_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[str] = mapped_column(String(32), index=True)
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    deputy_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))  # None: the CLI
    created_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]  # ended early (`official end-delegation`)
    # When the role's open tasks were prompted to the deputy (at creation if already started,
    # else by the scheduler once it starts): each deputy gets them once.
    prompted_at: Mapped[datetime | None]


class MediaOutlet(Base):
    """A media company: its legal data, its papers (Document.outlet_id) and the journalists who
    represent it (OutletMember). `owner_id` is who registered it first."""

    __tablename__ = "media_outlet"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # cetak / online / elektronik
    website: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime]
    # The code a second journalist types to join (M0001...): set from the id once it is known.
    code: Mapped[str | None] = mapped_column(String(16), unique=True)
    legal_form: Mapped[str | None] = mapped_column(String(16))  # pt / yayasan / koperasi
    nib: Mapped[str | None] = mapped_column(String(32))
    npwp: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(Text)
    dewan_pers: Mapped[str | None] = mapped_column(String(16))  # faktual/administrasi/proses/belum
    dewan_pers_date: Mapped[date | None] = mapped_column(Date)
    bank_account: Mapped[str | None] = mapped_column(String(64))
    chief_editor_ukw: Mapped[str | None] = mapped_column(String(16))  # muda / madya / utama
    publishing_months: Mapped[int | None] = mapped_column(Integer)
    # The yearly registration: None for outlets made before the registry (not held to it yet).
    registered_on: Mapped[date | None] = mapped_column(Date)
    registered_until: Mapped[date | None] = mapped_column(Date, index=True)


class OutletMember(Base):
    """A journalist representing an outlet: one outlet at a time (the unique user)."""

    __tablename__ = "outlet_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    outlet_id: Mapped[int] = mapped_column(
        ForeignKey("media_outlet.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), unique=True)
    joined_at: Mapped[datetime]


class OutletChange(Base):
    """A journalist asks to represent another outlet; an admin confirms (or refuses) it."""

    __tablename__ = "outlet_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("media_outlet.id", ondelete="CASCADE"))
    requested_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    outcome: Mapped[str | None] = mapped_column(String(16))  # confirmed / refused


class Evaluation(Base):
    """The lembar isian evaluasi of a case: each criterion met / not met with a note, the score
    and the outlet's grade when it was completed (one per case; a re-evaluation overwrites)."""

    __tablename__ = "evaluation"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), unique=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # key -> {met, note}
    score: Mapped[int | None] = mapped_column(Integer)  # 0..100, weighted
    grade: Mapped[str | None] = mapped_column(String(8))
    filled_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    updated_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]


class Document(Base):
    """An archived file (softcopy): bytes on disk under the files directory, hashed."""

    __tablename__ = "document"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    file_name: Mapped[str] = mapped_column(String(255))
    mime_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(500))
    telegram_file_id: Mapped[str | None] = mapped_column(String(255))
    uploaded_at: Mapped[datetime]
    # A paper of an outlet (kind = the qualification document key), and when it lapses.
    outlet_id: Mapped[int | None] = mapped_column(ForeignKey("media_outlet.id"), index=True)
    expires_on: Mapped[date | None] = mapped_column(Date)


class SopVersion(Base):
    """An SOP definition as it was when a case started: cases keep running on it after edits."""

    __tablename__ = "sop_version"
    __table_args__ = (UniqueConstraint("sop_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sop_id: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64))
    definition: Mapped[dict[str, Any]]
    loaded_at: Mapped[datetime]


class Case(Base):
    __tablename__ = "case"

    id: Mapped[int] = mapped_column(primary_key=True)
    sop_version_id: Mapped[int] = mapped_column(ForeignKey("sop_version.id"))
    applicant_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    outlet_id: Mapped[int | None] = mapped_column(ForeignKey("media_outlet.id"))
    agenda_number: Mapped[str | None] = mapped_column(String(100), unique=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # open/returned/closed
    outcome: Mapped[str | None] = mapped_column(String(32))  # completed/rejected/archived
    current_step: Mapped[int | None]
    period: Mapped[int] = mapped_column(Integer, default=0)
    subject: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class Task(Base):
    """One step instance for a role; a revision task is the applicant's turn after a return."""

    __tablename__ = "task"
    __table_args__ = (
        Index("ix_task_open_role", "status", "role"),
        Index("ix_task_next_notice", "status", "next_notice_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    step_number: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16), default="step")  # step / revision
    role: Mapped[str] = mapped_column(String(32))
    period: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16))  # open / waiting / done / cancelled
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    checklist: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
    due_at: Mapped[datetime]
    clock: Mapped[str] = mapped_column(String(16), default="working")
    paused_at: Mapped[datetime | None]
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    parent_task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"))
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    action: Mapped[str | None] = mapped_column(String(32))
    # Where the SLA window starts: created_at, moved later by any time spent waiting on the
    # applicant, so [sla_start_at, due_at] is always the step's own standard.
    sla_start_at: Mapped[datetime | None]
    # The first SLA notice moment not yet dealt with (workflow/sla_schedule.py): the sweep reads
    # only open tasks whose moment has come (or is NULL: not computed yet).
    next_notice_at: Mapped[datetime | None]


class TaskPrompt(Base):
    """A task prompt in someone's chat, kept so it can be edited once the task is handled."""

    __tablename__ = "task_prompt"
    __table_args__ = (UniqueConstraint("platform", "chat_id", "message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    platform: Mapped[str] = mapped_column(String(16), default="telegram")
    chat_id: Mapped[int] = mapped_column(BigInteger)
    # None while the prompt waits in the outbox; set by the sender once Telegram has it.
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"), index=True)
    sent_at: Mapped[datetime]


class AuditEvent(Base):
    """Append-only history: who did what, in which role, when, with which note and files."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"))
    step_number: Mapped[int | None]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    role: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    attachments: Mapped[list[Any]] = mapped_column(JSON, default=list)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime]


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _audit_is_append_only(mapper: Any, connection: Any, target: AuditEvent) -> None:
    raise RuntimeError("audit events are append-only")


class Agreement(Base):
    __tablename__ = "agreement"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), unique=True)
    number: Mapped[str | None] = mapped_column(String(100), unique=True)
    periods: Mapped[int]
    news_per_period: Mapped[int]
    period_label: Mapped[str] = mapped_column(String(32))
    signed_at: Mapped[datetime | None]
    signed_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    numbered_at: Mapped[datetime | None]
    # The Fungsional's terms at the drafting step (rupiah); NULL: the SOP's `agreement:` default.
    # One basis at a time: a tariff per news item, or per period (then paid pro rata).
    tariff_per_item: Mapped[int | None] = mapped_column(BigInteger)
    tariff_per_period: Mapped[int | None] = mapped_column(BigInteger)


class NewsItem(Base):
    __tablename__ = "news_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    period: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(String(500))
    published_on: Mapped[date] = mapped_column(Date)
    screenshot_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    submitted_at: Mapped[datetime]


class Payment(Base):
    __tablename__ = "payment"
    __table_args__ = (UniqueConstraint("case_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    period: Mapped[int]
    spj_ready_at: Mapped[datetime | None]
    spj_signed_at: Mapped[datetime | None]  # the desk marked the SPJ signed (step 10's list)
    confirmed_at: Mapped[datetime | None]


class OfficeSetting(Base):
    """A setting the office changes while the bot runs (the Media Center group), shared by every
    bot process through the database."""

    __tablename__ = "office_setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]


class Counter(Base):
    """Yearly running sequences (agenda numbers, MoU/PKS numbers)."""

    __tablename__ = "counter"
    __table_args__ = (UniqueConstraint("scope", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(100))
    year: Mapped[int]
    value: Mapped[int] = mapped_column(Integer, default=0)


class Notice(Base):
    """A reminder, escalation or digest claimed for sending: the unique key makes it once only,
    also when several bot processes sweep the same database at the same moment."""

    __tablename__ = "notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime]
    claimed_by: Mapped[str] = mapped_column(String(64), default="")


class Conversation(Base):
    """Where a user is in a dialogue (a wizard half done, a note being typed): survives restarts."""

    __tablename__ = "conversation"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    state: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime]


class Outbox(Base):
    """A message, edit, document or menu a state change caused, written in the same transaction.

    The sender delivers rows in id order per chat; a row is `pending` until Telegram confirmed
    it (`sent`, with its message id) or it was given up (`dead`, with the error). A row being
    sent carries a lease, so a crashed sender's rows are picked up again once it runs out.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_pending", "state", "next_attempt_at"),
        Index("ix_outbox_chat", "chat_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16), default="telegram")
    chat_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))  # message / edit / document / commands
    payload: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(8), default="pending")  # pending / sent / dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    leased_by: Mapped[str | None] = mapped_column(String(64))
    # An edit of a message still in the outbox waits for that row's message id.
    after_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    sent_at: Mapped[datetime | None]
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)


class ChatReach(Base):
    """A chat Telegram refuses to deliver to (403: blocked or never started): its rows wait."""

    __tablename__ = "chat_reach"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    unreachable_since: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(200), default="")
    reported: Mapped[bool] = mapped_column(Boolean, default=False)  # the office was told once


class WaMessage(Base):
    """A WhatsApp message id (a string, "wamid.…") as the integer the core counts messages by:
    the core's message ids (outbox, prompts, pressed buttons, processed updates) are numbers."""

    __tablename__ = "wa_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    wamid: Mapped[str] = mapped_column(String(200), unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]


class ProcessedUpdate(Base):
    """An update already handled: recorded with its effects, so a redelivery changes nothing."""

    __tablename__ = "processed_update"
    __table_args__ = (UniqueConstraint("platform", "update_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16), default="telegram")
    update_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(index=True)

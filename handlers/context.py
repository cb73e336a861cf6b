"""Per-update context: the transaction's session, the clock's now, who is talking, what to send."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import conversation
from handlers.conversation import State
from handlers.events import Sender
from handlers.platforms import Chat
from handlers.ports import FileFetcher
from handlers.render import render
from handlers.replies import AnswerCallback, Markup, Reply, SendMessage
from storage.accounts import find_account
from storage.archive import Archive
from storage.models import Account, User
from workflow.drawing import DrawPool
from workflow.signing import Certificate
from workflow.spec import SopSpec


@dataclass(frozen=True)
class Deps:
    """Long-lived things the chat logic needs, built once at start."""

    archive: Archive
    version_id: int  # the SOP version new requests start on
    spec: SopSpec
    invite_ttl_hours: int = 72
    max_upload_bytes: int = 10 * 1024 * 1024
    # All that one person (not an official) may keep uploaded in the archive.
    upload_quota_bytes: int = 100 * 1024 * 1024
    files_dir: Path = Path("data/files")
    prompt_ttl_minutes: int = 30  # a question waiting for typed text about a task expires
    signing: Certificate | None = None  # the head's PKCS#12: signed MoU/PKS get a PAdES signature
    # Documents, charts and workbooks are drawn there; without workers, in a thread (tests).
    drawing: DrawPool = field(default_factory=DrawPool)


Job = Callable[[], Awaitable[list[Reply]]]


@dataclass
class Ctx:
    session: AsyncSession
    now: datetime
    sender: Sender
    chat_id: int
    deps: Deps
    files: FileFetcher
    user: User | None = None
    state: State = field(default_factory=State)
    out: list[Reply] = field(default_factory=list)
    callback_id: str | None = None
    answered: bool = False
    # Work done after the commit, outside the transaction (charts, workbooks); its replies are
    # queued in a short transaction of their own.
    later: list[Job] = field(default_factory=list)

    @property
    def tz(self) -> str:
        return self.deps.spec.office.timezone

    @property
    def platform(self) -> str:
        return self.sender.platform

    @property
    def chat(self) -> Chat:
        """The chat this update came from, where its answers go."""
        return Chat(self.sender.platform, self.chat_id)

    def say(self, template: str, /, markup: Markup = None, **context: object) -> None:
        text = render(template, tz=self.tz, **context)
        self.out.append(SendMessage(self.chat_id, text, markup, platform=self.platform))

    def send(self, reply: Reply) -> None:
        self.out.append(reply)

    def answer(self, text: str | None = None, alert: bool = False) -> None:
        if self.callback_id and not self.answered:
            self.out.insert(0, AnswerCallback(self.callback_id, text, alert))
            self.answered = True

    async def set_state(self, name: str, **data: object) -> None:
        self.state = State(name, dict(data), self.now)
        await conversation.save(self.session, self.chat, name, self.state.data, self.now)

    async def clear_state(self) -> None:
        self.state = State()
        await conversation.clear(self.session, self.chat)


async def ensure_user(ctx: Ctx) -> User:
    """The person talking, made a user (with this chat as their account) if they are new."""
    if ctx.user is None:
        account = await find_account(ctx.session, ctx.platform, ctx.sender.account_id)
        if account is None:
            account = Account(
                platform=ctx.platform, external_id=ctx.sender.account_id, created_at=ctx.now
            )
        ctx.user = User(
            name=ctx.sender.full_name[:200] or "Pengguna",
            username=ctx.sender.username,
            created_at=ctx.now,
            roles=[],  # loaded, so role checks never lazy-load outside the event loop
            accounts=[account],
        )
        ctx.session.add(ctx.user)
        await ctx.session.flush()
    return ctx.user

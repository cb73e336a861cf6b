"""The outbox sender: delivers queued replies, in order per chat, within Telegram's limits.

One loop per process. A pass reads the pending rows, takes the head of each chat's queue
(a row waits behind the earlier rows of its chat, never behind other chats), leases them
(`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several processes share the work), sends outside
any transaction and records each outcome:

- sent: the message id is kept (a prompt's copy becomes editable); never sent again. The "sent"
  marks of a moment are written together, in the transaction that leases the next rows (one
  commit for many sends rather than one each); a chat's next rows wait until its marks are
  written, since its head stays leased until then;
- 429: the row waits `retry_after`, however long; 5xx, timeouts, dropped connections: retried
  with growing backoff for hours, then given up ("dead") with a log line and a word to the office;
- 400: given up at once, with Telegram's reason;
- 403: the chat is marked unreachable, the office is told once, its rows wait until the person
  writes to the bot again;
- held (WhatsApp: the person's 24-hour window is closed, the port sent the template asking them
  to write): the chat's rows wait as for a 403, but the office is not told (nothing for it to
  do) and the template is not sent again for the same closed window.

Passes do not wait for each other's sends: a pass leases what is due and starts one task per
chat; a chat whose rows are in flight is skipped by the next pass (its head is leased), so the
order per chat holds while other chats' new rows go at once.

A crash between the commit of a change and the send loses nothing: the rows are there after
the restart. The one window left is a send Telegram carried out whose "sent" was not yet
written (the answer never came back, or the process died before the next pass): that row is
sent again, so delivery is at least once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar, cast

from aiolimiter import AsyncLimiter
from sqlalchemy import Table, bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tenacity import RetryCallState, wait_exponential_jitter

from bot.delivery import (
    ApiPort,
    Blocked,
    ChatPacer,
    Held,
    NotModified,
    Rejected,
    RetryAfter,
    execute,
    method_name,
)
from handlers.delivery_notices import report_dead, report_unreachable
from handlers.outbox import from_row
from handlers.replies import EditMessage, SendDocument, SendMessage
from storage import ledger
from storage.db import reading, transaction
from storage.models import ChatReach, Outbox, TaskPrompt, WaMessage
from workflow.clock import Clock
from workflow.spec import SopSpec

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.factory import Product

log = logging.getLogger(__name__)
T = TypeVar("T")

# Growing waits between attempts after a server or network failure: 2 s, 4 s, ... 10 min.
BACKOFF = wait_exponential_jitter(multiplier=2, max=600, jitter=2)


def backoff_seconds(attempt: int) -> float:
    # tenacity's policy applied to an attempt count kept in the database, not to a live call
    state = RetryCallState(None, None, (), {})  # type: ignore[arg-type]
    state.attempt_number = attempt
    return float(BACKOFF(state))


GLOBAL_MARGIN = 1.03


@dataclass(frozen=True)
class Limits:
    """Telegram's limits for one bot: about 30 messages a second in all, about one a second per
    chat after a short burst, 20 a minute per group."""

    per_second: int = 30
    chat_burst: int = 3
    chat_interval: float = 1.0
    group_per_minute: int = 20


@dataclass(frozen=True)
class Policy:
    send_timeout: float = 20.0  # one call; a hung connection counts as a failure after this
    lease: timedelta = timedelta(seconds=45)  # longer than any send; a crashed sender's rows return
    give_up_after: timedelta = timedelta(hours=6)  # of failures on a row before it is dead
    poll_seconds: float = 2.0  # how often to look for rows other processes queued or retries due
    batch: int = 200  # rows read per pass
    per_chat: int = 10  # rows of one chat leased per pass
    keep_sent: timedelta = timedelta(days=30)


class OutboxSender:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        api: ApiPort,
        clock: Clock,
        spec: SopSpec,
        *,
        worker: str = "",
        limits: Limits | None = None,
        policy: Policy | None = None,
        platform: str = "telegram",
    ) -> None:
        self.sessions, self.api, self.clock, self.spec = sessions, api, clock, spec
        self.platform = platform  # one sender per platform: its rows, its API, its limits
        self.worker = worker[:64]
        self.limits = limits or Limits()
        self.policy = policy or Policy()
        # One send per 1/30 s, no burst: a leaky bucket of 30 would let 30 through at once and
        # 30 more within the same second, which Telegram (and the fake) answer with 429. 3 % of
        # margin: requests spaced exactly 33.3 ms apart arrive a few ms closer or further, and
        # 31 in one second is a 429 (13 in 10,000 without it).
        self._global = AsyncLimiter(1, GLOBAL_MARGIN / self.limits.per_second)
        self._window = SendWindow(self.limits.per_second)
        self._groups: dict[int, AsyncLimiter] = {}
        self._pacer = ChatPacer(burst=self.limits.chat_burst, interval=self.limits.chat_interval)
        self._wakeup = asyncio.Event()
        self._dirty = True  # rows may be due: set by wake(), cleared when a pass starts
        self._busy = False
        self._chats: set[asyncio.Task[None]] = set()  # one per chat with rows in flight
        self._marks: list[dict[str, Any]] = []  # "sent" not yet written (the next pass does)
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._tidied_at: datetime | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def wake(self) -> None:
        """New rows were committed: look now rather than at the next poll."""
        self._dirty = True
        self._wakeup.set()

    @property
    def idle(self) -> bool:
        """Nothing due is waiting to be sent by this process (tests and shutdown wait on it)."""
        return not (self._dirty or self._busy or self._chats or self._marks)

    async def start(self) -> None:
        if self.sessions.kw.get("bind") is not None:
            await self._release_own_leases()
        self._task = asyncio.create_task(self._run(), name="outbox-sender")

    async def stop(self, within: float = 10.0) -> None:
        """Finishes the sends in flight (and what is due now, within `within` s), then stops."""
        self._stopping = True
        self._wakeup.set()
        if self._task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._task), within)
        except TimeoutError:
            log.warning("outbox sender stopped with sends still in flight")
            self._task.cancel()
        self._task = None

    async def abort(self) -> None:
        """Stops at once, cutting off sends in flight (their rows stay leased, as after a crash;
        "sent" marks not yet written are lost with them, so those rows go again)."""
        for chat in list(self._chats):
            chat.cancel()
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for chat in list(self._chats):
            with suppress(asyncio.CancelledError):
                await chat
        self._chats.clear()
        self._marks.clear()

    async def _run(self) -> None:
        while True:
            self._wakeup.clear()
            self._dirty = False
            self._busy = True
            failed = False
            try:
                handled = await self._start_due()
            except Exception:
                log.exception("outbox pass failed")
                handled, failed = 0, True
            finally:
                self._busy = False
            if self._stopping and not handled:
                if self._chats:
                    await asyncio.wait(set(self._chats))
                    continue  # their "sent" marks are written by the next pass
                if failed or not self._marks:
                    return
                continue
            if handled:
                continue  # another chat's rows may have come in meanwhile
            try:
                await asyncio.wait_for(self._wakeup.wait(), self.policy.poll_seconds)
            except TimeoutError:
                self._dirty = True  # another process's rows, or a retry that came due
                await self._tidy()

    async def _release_own_leases(self) -> None:
        # On SQLite only one process sends, so any lease left over is a crashed predecessor's.
        bind = self.sessions.kw["bind"]
        if bind.dialect.name != "sqlite":
            return
        async with transaction(self.sessions) as session:
            await session.execute(
                update(Outbox)
                .where(Outbox.state == "pending", Outbox.lease_until.is_not(None))
                .values(lease_until=None, leased_by=None)
            )

    # -- one pass --------------------------------------------------------------------------

    async def deliver_due(self) -> int:
        """Leases the due head rows of every chat, sends them, records the outcomes (all of
        them written when it returns); returns how many rows were handled."""
        leased = await self._lease()
        if leased:
            await asyncio.gather(*(self._chat(rows) for rows in _by_chat(leased)))
        await self._write_marks()
        return len(leased)

    async def _start_due(self) -> int:
        """One pass of the loop: writes the "sent" marks so far, leases the due head rows of the
        chats not in flight and starts a task per chat, without waiting for their sends."""
        leased = await self._lease()
        for rows in _by_chat(leased):
            task = asyncio.create_task(self._chat(rows))
            self._chats.add(task)
            task.add_done_callback(self._chat_done)
        return len(leased)

    def _chat_done(self, task: asyncio.Task[None]) -> None:
        self._chats.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("outbox chat task failed", exc_info=task.exception())
        self.wake()  # its marks to write, and its next rows may be due

    async def _write_marks(self) -> None:
        if self._marks:
            await self._marked(lambda _session: _nothing())

    async def _marked(self, then: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """One transaction that writes every "sent" recorded so far (taken once the writer's
        turn has come, so it carries as many as possible), then does `then`. If it fails, the
        marks are kept for the next one."""
        marks: list[dict[str, Any]] = []
        try:
            async with transaction(self.sessions) as session:
                marks, self._marks = self._marks, []
                await _write(session, marks)
                return await then(session)
        except BaseException:
            self._marks[:0] = marks
            raise

    async def _chat(self, rows: Sequence[tuple[Outbox, int | None]]) -> None:
        for position, (row, target) in enumerate(rows):
            if not await self._one(row, target):
                await self._release([r.id for r, _ in rows[position + 1 :]])
                return

    async def _lease(self) -> list[tuple[Outbox, int | None]]:
        """The due rows at the head of each reachable chat, leased to this process, with the
        message id an edit waited for."""
        now = self.clock.now()
        return await self._marked(lambda session: self._lease_in(session, now))

    async def _lease_in(
        self, session: AsyncSession, now: datetime
    ) -> list[tuple[Outbox, int | None]]:
        on = self.platform
        pending = (await session.execute(_PENDING, {"on": on, "n": self.policy.batch})).all()
        if not pending:
            return []
        away = set(await session.scalars(_AWAY, {"on": on}))
        heads = _heads(pending, away, now, self.policy.per_chat)
        if not heads:
            return []
        wanted = [i for ids in heads.values() for i in ids]
        if session.bind.dialect.name == "sqlite":
            # The lease's write transaction holds SQLite's only write lock: nobody else can
            # have leased what was just read.
            locked = set(wanted)
        else:
            locked = set(
                await session.scalars(
                    select(Outbox.id)
                    .where(Outbox.id.in_(wanted))
                    .where(Outbox.state == "pending")
                    .where(Outbox.lease_until.is_(None) | (Outbox.lease_until <= now))
                    .with_for_update(skip_locked=True)
                )
            )
        # A chat whose head another process holds waits for it: order per chat first.
        keep = [i for ids in heads.values() for i in _prefix(ids, locked)]
        if not keep:
            return []
        leased = await session.scalars(
            _LEASE, {"ids": keep, "until": now + self.policy.lease, "by": self.worker}
        )
        rows = sorted(leased, key=lambda row: row.id)
        return [(row, await self._target(session, row)) for row in rows]

    async def _target(self, session: AsyncSession, row: Outbox) -> int | None:
        if row.after_id is None:
            return None
        after = await session.get(Outbox, row.after_id)
        return after.message_id if after is not None and after.state == "sent" else None

    async def _release(self, ids: list[int]) -> None:
        if not ids:
            return
        async with transaction(self.sessions) as session:
            await session.execute(
                update(Outbox).where(Outbox.id.in_(ids)).values(lease_until=None, leased_by=None)
            )

    # -- one row ---------------------------------------------------------------------------

    async def _one(self, row: Outbox, target: int | None) -> bool:
        """Sends one row and records what came of it; False if its chat must wait."""
        reply = from_row(row, target)
        method = method_name(reply)
        if isinstance(reply, EditMessage) and reply.message_id is None:
            await self._dead(row, "the message to edit was never sent", notify=False)
            return True
        answer = await self._respect_limits(reply)
        try:
            async with self._window.sending(answer):
                message_id = await asyncio.wait_for(
                    execute(self.api, reply), self.policy.send_timeout
                )
        except NotModified:
            message_id = None  # the message already shows what we wanted
        except RetryAfter as exc:
            log.info("%s to chat %s: 429, waiting %ss", method, row.chat_id, exc.seconds)
            await self._retry(row, timedelta(seconds=exc.seconds), count=False, error="429")
            return False
        except Held as exc:
            await self._held(row, exc.description)
            return False
        except Blocked as exc:
            await self._unreachable(row, exc.description)
            return False
        except Rejected as exc:
            log.warning("%s to chat %s refused, given up: %s", method, row.chat_id, exc.description)
            await self._dead(row, exc.description, notify=row.kind in ("message", "document"))
            return True
        except Exception as exc:  # 5xx, network, timeout: try again later
            error = f"{type(exc).__name__}: {exc}"[:500]
            await self._failed(row, error)
            return False
        self._sent(row, message_id)
        return True

    async def _respect_limits(self, reply: object) -> asyncio.Future[float]:
        if isinstance(reply, SendMessage | SendDocument):
            if reply.chat_id < 0:  # a group: 20 a minute
                limiter = self._groups.setdefault(
                    reply.chat_id, AsyncLimiter(self.limits.group_per_minute, 60)
                )
                await limiter.acquire()
            await self._pacer.wait(reply.chat_id)
        # The overall slot last, right before the call: taken before a chat's pacing wait, the
        # sends bunched up afterwards and passed 30 in a second.
        async with self._window.turn:
            await self._global.acquire()
            return await self._window.clear()

    def _sent(self, row: Outbox, message_id: int | None) -> None:
        """Noted for the next pass's transaction (the row stays leased until then)."""
        prompt = (
            message_id is not None and row.kind == "message" and bool(row.payload.get("prompt"))
        )
        self._marks.append(
            {
                "row_id": row.id,
                "at": self.clock.now(),
                "mid": message_id,
                "tries": row.attempts + 1,
                "prompt": prompt,
            }
        )

    async def _retry(self, row: Outbox, wait: timedelta, *, count: bool, error: str) -> None:
        now = self.clock.now()
        async with transaction(self.sessions) as session:
            await _mark(
                session,
                row,
                next_attempt_at=now + wait,
                attempts=row.attempts + (1 if count else 0),
                error=error,
            )

    async def _failed(self, row: Outbox, error: str) -> None:
        now = self.clock.now()
        if now - row.created_at >= self.policy.give_up_after:
            log.error(
                "outbox row %s to chat %s given up after %d attempts: %s",
                row.id,
                row.chat_id,
                row.attempts + 1,
                error,
            )
            await self._dead(row, error, notify=row.kind in ("message", "document"))
            return
        wait = timedelta(seconds=backoff_seconds(row.attempts + 1))
        log.info(
            "outbox row %s to chat %s failed (%s), retry in %s", row.id, row.chat_id, error, wait
        )
        await self._retry(row, wait, count=True, error=error)

    async def _dead(self, row: Outbox, error: str, *, notify: bool) -> None:
        now = self.clock.now()
        async with transaction(self.sessions) as session:
            await _mark(session, row, state="dead", attempts=row.attempts + 1, error=error[:500])
            if notify:
                row.attempts += 1
                await report_dead(session, self.spec, row, now)
        if notify:
            self.wake()

    async def _unreachable(self, row: Outbox, description: str) -> None:
        now = self.clock.now()
        async with transaction(self.sessions) as session:
            await _mark(session, row, error="403")
            new = await ledger.mark_unreachable(
                session, row.chat_id, description, now, row.platform
            )
            if new is not None:
                log.info("chat %s unreachable (%s): its messages wait", row.chat_id, description)
                await report_unreachable(session, self.spec, new, now)
        self.wake()

    async def _held(self, row: Outbox, description: str) -> None:
        """Its chat waits for the person to write; already "reported" (the office is never told:
        the template asked the person, and the chat's rows go once they write)."""
        now = self.clock.now()
        async with transaction(self.sessions) as session:
            await _mark(session, row, error="window")
            new = await ledger.mark_unreachable(session, row.chat_id, "window", now, row.platform)
            if new is not None:
                new.reported = True
                log.info("chat %s waits for its window (%s)", row.chat_id, description)
        self.wake()

    async def _tidy(self) -> None:
        """Once an hour: forget handled update ids after a week (Telegram redelivers for a day)
        and sent rows after `keep_sent` (they are the delivery record until then)."""
        now = self.clock.now()
        if self._tidied_at is not None and now - self._tidied_at < timedelta(hours=1):
            return
        self._tidied_at = now
        try:
            async with transaction(self.sessions) as session:
                await ledger.forget_updates_before(session, now - timedelta(days=7))
                old = select(Outbox.id).where(
                    Outbox.state == "sent", Outbox.sent_at < now - self.policy.keep_sent
                )
                # Prompt copies keep their message id; edits that waited on a row are long sent.
                await session.execute(
                    update(TaskPrompt).where(TaskPrompt.outbox_id.in_(old)).values(outbox_id=None)
                )
                await session.execute(
                    update(Outbox).where(Outbox.after_id.in_(old)).values(after_id=None)
                )
                await session.execute(delete(Outbox).where(Outbox.id.in_(old)))
                if self.platform == "whatsapp":
                    await _forget_wa_numbers(session, now - self.policy.keep_sent)
        except Exception:
            log.exception("outbox housekeeping failed")

    # -- health ----------------------------------------------------------------------------

    async def backlog(self) -> tuple[int, datetime | None]:
        """How many rows wait, and since when the oldest does."""
        async with reading(self.sessions) as session:
            count, oldest = (
                await session.execute(
                    select(func.count(Outbox.id), func.min(Outbox.created_at)).where(
                        Outbox.state == "pending"
                    )
                )
            ).one()
        return int(count or 0), oldest


class SendWindow:
    """No send leaves before the send `limit` places earlier was answered a second ago (less
    the quickest round trip seen): whatever the network and the server's own queue did to
    either, the server cannot have received `limit + 1` of them within one second.

    Even spacing alone (the limiter above) is not enough: a request held up on its way (a new
    connection, a busy event loop at either end) arrives closer to the next ones, and 31 in a
    second is a 429 (3 in 10,000 notifications, bench/drain.py). With a steady round trip this
    adds no wait, since spacing already puts the send `limit` places on 1.03 s after.
    """

    def __init__(self, limit: int, window: float = 1.0) -> None:
        self.turn = asyncio.Lock()  # the slot and this check are taken by one send at a time
        self._window = window
        self._answers: deque[asyncio.Future[float]] = deque(maxlen=max(1, limit))
        self._quickest = 0.0  # seconds; 0 until a round trip is seen, then its minimum

    async def clear(self) -> asyncio.Future[float]:
        """Waits, if need be, until the send `limit` places back was answered a second ago;
        returns the place of this send (give it to `sending`)."""
        if len(self._answers) == self._answers.maxlen:
            oldest = self._answers[0]
            if not oldest.done():  # still in flight: it has reached the server, or never will
                with suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(oldest), self._window)
            answered = oldest.result() if oldest.done() else time.monotonic()
            wait = answered + self._window - self._quickest - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        answer: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._answers.append(answer)
        return answer

    @asynccontextmanager
    async def sending(self, answer: asyncio.Future[float]) -> AsyncIterator[None]:
        """Around the call `clear()` made way for: records when it was answered."""
        began = time.monotonic()
        try:
            yield
        finally:
            now = time.monotonic()
            if not answer.done():
                answer.set_result(now)
                trip = now - began
                self._quickest = trip if self._quickest == 0 else min(self._quickest, trip)


async def _mark(session: AsyncSession, row: Outbox, **values: object) -> None:
    """Records what came of a send; the row's lease ends with it."""
    await session.execute(
        update(Outbox).where(Outbox.id == row.id).values(lease_until=None, **values)
    )


async def _write(session: AsyncSession, marks: list[dict[str, Any]]) -> None:
    """The "sent" marks: one executemany for the rows, one for the prompts' message ids."""
    if not marks:
        return
    await session.execute(_SENT, marks)
    prompts = [m for m in marks if m["prompt"]]
    if prompts:
        await session.execute(_PROMPT_SENT, prompts)


# What every pass says, built once (building a statement costs more than SQLite running it).
_OUTBOX = cast(Table, Outbox.__table__)
_PROMPTS = cast(Table, TaskPrompt.__table__)
_PENDING = (
    select(_OUTBOX.c.id, _OUTBOX.c.chat_id, _OUTBOX.c.next_attempt_at, _OUTBOX.c.lease_until)
    .where(_OUTBOX.c.state == "pending", _OUTBOX.c.platform == bindparam("on"))
    .order_by(_OUTBOX.c.id)
    .limit(bindparam("n"))
)
_AWAY = select(ChatReach.chat_id).where(ChatReach.platform == bindparam("on"))
_LEASE = (
    update(Outbox)
    .where(Outbox.id.in_(bindparam("ids", expanding=True)))
    .values(
        lease_until=bindparam("until", type_=_OUTBOX.c.lease_until.type),
        leased_by=bindparam("by"),
    )
    .returning(Outbox)
    .execution_options(synchronize_session=False)  # a new session: none of them is in it
)
_SENT = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("row_id"))
    .values(
        state="sent",
        sent_at=bindparam("at", type_=_OUTBOX.c.sent_at.type),
        message_id=bindparam("mid"),
        attempts=bindparam("tries"),
        error=None,
        lease_until=None,
    )
)
_PROMPT_SENT = (
    update(_PROMPTS)
    .where(_PROMPTS.c.outbox_id == bindparam("row_id"))
    .values(message_id=bindparam("mid"))
)


async def _nothing() -> None:
    return None


async def _forget_wa_numbers(session: AsyncSession, before: datetime) -> None:
    """WhatsApp message numbers (bot/whatsapp/ids.py) of old messages, except those a prompt
    copy or a kept outbox row still names: a press on an old prompt must still find its task."""
    kept = select(TaskPrompt.message_id).where(
        TaskPrompt.platform == "whatsapp", TaskPrompt.message_id.is_not(None)
    )
    sent = select(Outbox.message_id).where(
        Outbox.platform == "whatsapp", Outbox.message_id.is_not(None)
    )
    await session.execute(
        delete(WaMessage)
        .where(WaMessage.created_at < before)
        .where(WaMessage.id.not_in(kept), WaMessage.id.not_in(sent))
    )


def _heads(
    pending: Sequence[Any], away: set[int], now: datetime, per_chat: int
) -> dict[int, list[int]]:
    """Per chat, the ids from the head of its queue that may go now: up to the first row that
    is not due, is leased, or belongs to an unreachable chat."""
    heads: dict[int, list[int]] = {}
    stopped: set[int] = set()
    for id_, chat_id, next_at, lease in pending:
        if chat_id in stopped:
            continue
        ids = heads.setdefault(chat_id, [])
        blocked = chat_id in away or next_at > now or (lease is not None and lease > now)
        if blocked or len(ids) >= per_chat:
            stopped.add(chat_id)
            continue
        ids.append(id_)
    return {chat: ids for chat, ids in heads.items() if ids}


def _by_chat(
    leased: list[tuple[Outbox, int | None]],
) -> list[list[tuple[Outbox, int | None]]]:
    by_chat: dict[int, list[tuple[Outbox, int | None]]] = {}
    for row, target in leased:
        by_chat.setdefault(row.chat_id, []).append((row, target))
    return list(by_chat.values())


def _prefix(ids: list[int], locked: set[int]) -> list[int]:
    out = []
    for id_ in ids:
        if id_ not in locked:
            break
        out.append(id_)
    return out


def sender_for(
    product: Product, api: ApiPort, settings: Settings, platform: str = "telegram"
) -> OutboxSender:
    """The product's sender of one platform's rows over that platform's API; the app wakes it
    (and the other platforms' senders) after every commit."""
    from bot.scheduler import worker_name

    sender = OutboxSender(
        product.sessions,
        api,
        product.clock,
        product.app.deps.spec,
        worker=worker_name(),
        policy=Policy(send_timeout=settings.send_timeout_seconds),
        limits=Limits(
            per_second=settings.send_per_second,
            chat_burst=settings.pace_burst,
            chat_interval=settings.pace_interval,
        ),
        platform=platform,
    )
    product.app.wakes(sender.wake)
    return sender

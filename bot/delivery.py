"""Executing replies against the Bot API, framework-free, shared by both adapters.

The adapters only translate: updates into handlers events, and the calls below into their
framework's methods (mapping its exceptions onto the common ones defined here). Everything
Telegram expects from a well-behaved bot — answering callbacks at once, pacing sends per chat,
honouring 429, giving up on chats that blocked us — lives here, once.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager, suppress
from typing import Protocol, cast

from handlers.events import Event
from handlers.ports import ChatApp
from handlers.replies import (
    AnswerCallback,
    EditMessage,
    InlineKeyboard,
    Markup,
    Reply,
    SendDocument,
    SendMessage,
    SetCommands,
)

log = logging.getLogger(__name__)


# --- the common error vocabulary the adapters map their framework's exceptions onto ---------


# A bot token as it appears in API URLs (`/bot123456:AA...`): never in an error's text, whatever
# the framework or the HTTP library put there (their messages may carry the request URL).
_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")


def redact(text: str) -> str:
    return _TOKEN.sub("<token>", text)


class DeliveryError(Exception):
    """Base of the errors an ApiPort raises."""


class RetryAfter(DeliveryError):
    """429 Too Many Requests: Telegram asks us to wait `seconds` before trying again."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds}s")
        self.seconds = seconds


class Blocked(DeliveryError):
    """403 Forbidden: the user blocked the bot (or never started it); the chat is unreachable."""

    def __init__(self, description: str = "Forbidden") -> None:
        description = redact(description)
        super().__init__(description)
        self.description = description


class Held(DeliveryError):
    """Waiting for the person's window: WhatsApp takes only templates from a business more than
    24 hours after the person last wrote. The template that asks them to write went (or had
    gone for this closed window); the chat's messages wait, like a blocked chat's, until they
    write, but the office has nothing to do about it."""

    def __init__(self, description: str = "window") -> None:
        super().__init__(description)
        self.description = description


class NotModified(DeliveryError):
    """An edit that would leave the message as it is; for us that is success."""


class ApiError(DeliveryError):
    """Any other failed call (Bad Request, network, 5xx): logged, then the batch goes on."""

    def __init__(self, method: str, description: str) -> None:
        description = redact(description)
        super().__init__(f"{method}: {description}")
        self.method = method
        self.description = description


class Rejected(ApiError):
    """400 Bad Request: this call will never succeed as it is (chat not found, bad markup...)."""


NOT_MODIFIED_MARKER = "message is not modified"


def is_not_modified(description: str) -> bool:
    return NOT_MODIFIED_MARKER in description.lower()


class ApiPort(Protocol):
    """The Bot API calls the deliverer needs; each adapter implements it over its framework."""

    async def send_message(
        self, chat_id: int, text: str, markup: Markup, reply_to: int | None = None
    ) -> int: ...

    async def edit_message(
        self, chat_id: int, message_id: int, text: str, markup: InlineKeyboard | None
    ) -> None: ...

    async def answer_callback(self, callback_id: str, text: str | None, alert: bool) -> None: ...

    async def send_document(self, doc: SendDocument) -> int: ...

    async def set_commands(
        self, commands: Sequence[tuple[str, str]], chat_id: int | None
    ) -> None: ...

    async def download(self, file_id: str) -> bytes: ...


# --- in-flight counter, so tests (and shutdown) know when the bot has nothing left to do ------


class InFlight:
    """Counts updates between "received" and "replies delivered"."""

    def __init__(self) -> None:
        self._count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def count(self) -> int:
        return self._count

    @property
    def idle(self) -> bool:
        return self._count == 0

    def enter(self) -> None:
        self._count += 1
        self._idle.clear()

    def leave(self) -> None:
        self._count = max(0, self._count - 1)
        if self._count == 0:
            self._idle.set()

    @contextmanager
    def track(self) -> Iterator[None]:
        self.enter()
        try:
            yield
        finally:
            self.leave()

    async def wait_idle(self, within: float | None = None) -> bool:
        """True once idle; False if `within` seconds passed first."""
        try:
            await asyncio.wait_for(self._idle.wait(), within)
        except TimeoutError:
            return False
        return True


# --- one update at a time per user ----------------------------------------------------------


class KeyedLocks:
    """A FIFO lock per key (a user id), dropped once nobody holds or waits for it.

    Both frameworks start one task per update, in arrival order; taking the sender's lock
    first thing keeps one user's updates in order (a button press is handled after the text
    that came before it) while other users' updates run concurrently.
    """

    def __init__(self) -> None:
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: int | None) -> AsyncIterator[None]:
        if key is None:
            yield
            return
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


# --- per-chat pacing ------------------------------------------------------------------------


class ChatPacer:
    """Telegram allows about one message per second per chat (short bursts are tolerated).

    A GCRA token bucket per chat: `burst` sends go out at once, then one per `interval`.
    Reserving a slot is synchronous (no await between reading and writing the state), so
    concurrent batches for the same chat queue up fairly, while other chats never wait.
    """

    def __init__(
        self,
        burst: int = 3,
        interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self._tolerance = (burst - 1) * interval
        self._interval = interval
        self._clock = clock
        self._sleep = sleep
        self._next: dict[int, float] = {}  # theoretical arrival time of the next send per chat

    def reserve(self, chat_id: int) -> float:
        """Books the next slot for `chat_id`; returns how long to wait before using it."""
        now = self._clock()
        if len(self._next) > 1024:
            self._forget_idle(now)
        tat = max(self._next.get(chat_id, now), now)
        self._next[chat_id] = tat + self._interval
        return max(0.0, tat - self._tolerance - now)

    async def wait(self, chat_id: int) -> None:
        delay = self.reserve(chat_id)
        if delay > 0:
            await self._sleep(delay)

    def _forget_idle(self, now: float) -> None:
        # A chat whose next slot is in the past has a full bucket: same as never seen.
        for chat_id in [c for c, tat in self._next.items() if tat <= now]:
            del self._next[chat_id]


# --- the deliverer ----------------------------------------------------------------------------


class Deliverer:
    """Executes one handle() result: callbacks first, then each chat's replies in order."""

    def __init__(
        self,
        api: ApiPort,
        app: ChatApp,
        *,
        pacer: ChatPacer | None = None,
        max_attempts: int = 4,
        max_retry_after: float = 60.0,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self._api = api
        self._app = app
        self._pacer = pacer or ChatPacer()
        self._max_attempts = max_attempts
        self._max_retry_after = max_retry_after
        self._sleep = sleep

    async def deliver(self, replies: Sequence[Reply]) -> None:
        # The spinner on a pressed button stays until answered, and Telegram refuses answers
        # that come late: answer before anything slower (sends may be paced or retried).
        for reply in replies:
            if isinstance(reply, AnswerCallback):
                with suppress(Blocked, Held):  # a callback belongs to no chat group to skip
                    await self._guarded(reply)
        groups = _by_chat(r for r in replies if not isinstance(r, AnswerCallback))
        # Chats are independent: one chat's pacing or 429 must not delay another's replies.
        await asyncio.gather(*(self._deliver_chat(chat, items) for chat, items in groups.items()))

    async def _deliver_chat(self, chat_id: int | None, replies: list[Reply]) -> None:
        for done, reply in enumerate(replies):
            try:
                await self._guarded(reply)
            except (Blocked, Held) as exc:
                left = len(replies) - done - 1
                log.info("chat %s unreachable (%s): skipping %d more replies", chat_id, exc, left)
                return

    async def _guarded(self, reply: Reply) -> None:
        """One reply, paced and retried; only Blocked escapes (the chat group acts on it)."""
        method = method_name(reply)
        try:
            await self._pace(reply)
            await self._with_retries(reply)
        except (Blocked, Held):
            raise
        except NotModified:
            pass  # the message already shows what we wanted: that is the goal of the edit
        except ApiError as exc:
            log.warning("%s failed: %s", exc.method, exc.description)
        except RetryAfter as exc:
            log.warning("%s dropped: still rate limited (%s)", method, exc)
        except Exception:
            log.exception("%s failed unexpectedly", method)

    async def _pace(self, reply: Reply) -> None:
        # Only new messages count against a chat's flood limit; edits and answers don't.
        if isinstance(reply, SendMessage | SendDocument):
            await self._pacer.wait(reply.chat_id)

    async def _with_retries(self, reply: Reply) -> None:
        for attempt in range(1, self._max_attempts + 1):
            try:
                await self._execute(reply)
                return
            except RetryAfter as exc:
                # A long retry_after means heavy flood control: holding this update's task
                # (and the user's next updates) that long is worse than dropping the reply.
                if attempt == self._max_attempts or exc.seconds > self._max_retry_after:
                    raise
                log.info("%s: 429, retrying in %ss", method_name(reply), exc.seconds)
                await self._sleep(exc.seconds)

    async def _execute(self, reply: Reply) -> None:
        message_id = await execute(self._api, reply)
        if isinstance(reply, SendMessage) and reply.prompt is not None and message_id is not None:
            await self._app.prompt_sent(reply.prompt, reply.chat_id, message_id)


async def execute(api: ApiPort, reply: Reply) -> int | None:
    """One reply as one Bot API call; returns the id of a message it created.

    A port that needs the whole reply (WhatsApp picks the template for a closed window by what
    the reply is: a prompt, a reminder) has ``execute_reply`` and gets it."""
    whole = getattr(api, "execute_reply", None)
    if whole is not None:
        return cast(int | None, await whole(reply))
    match reply:
        case SendMessage(chat_id=chat_id, text=text, markup=markup, reply_to=reply_to):
            return await api.send_message(chat_id, text, markup, reply_to)
        case SendDocument():
            return await api.send_document(reply)
        case EditMessage(chat_id=chat_id, message_id=message_id, text=text, markup=markup):
            if message_id is None:
                raise Rejected("editMessageText", "the message to edit was never sent")
            await api.edit_message(chat_id, message_id, text, markup)
        case AnswerCallback(callback_id=callback_id, text=text, alert=alert):
            await api.answer_callback(callback_id, text, alert)
        case SetCommands(commands=commands, chat_id=chat_id):
            await api.set_commands(commands, chat_id)
    return None


def _by_chat(replies: Iterable[Reply]) -> dict[int | None, list[Reply]]:
    groups: dict[int | None, list[Reply]] = {}
    for reply in replies:
        chat_id = None if isinstance(reply, AnswerCallback) else reply.chat_id
        groups.setdefault(chat_id, []).append(reply)
    return groups


def method_name(reply: Reply) -> str:
    match reply:
        case SendMessage():
            return "sendMessage"
        case SendDocument(as_photo=True):
            return "sendPhoto"
        case SendDocument():
            return "sendDocument"
        case EditMessage():
            return "editMessageText"
        case AnswerCallback():
            return "answerCallbackQuery"
        case SetCommands():
            return "setMyCommands"
    return type(reply).__name__


# --- what both adapters do with one translated update -----------------------------------------


class UpdateRunner:
    """handle() then deliver, never letting an exception reach the framework's polling loop."""

    def __init__(
        self,
        app: ChatApp,
        api: ApiPort,
        inflight: InFlight | None = None,
        deliverer: Deliverer | None = None,
    ) -> None:
        self.app = app
        self.api = api
        self.inflight = inflight or InFlight()
        self.deliverer = deliverer or Deliverer(api, app)

    async def run(self, event: Event | None) -> None:
        """Handles one event; the caller counts it in `inflight` (it knows when it arrived)."""
        if event is None:
            return  # an update kind the chat logic does not deal with
        try:
            replies = await self.app.handle(event, self.api)
        except Exception:
            log.exception("handling %s failed", type(event).__name__)
            return
        await self.deliverer.deliver(replies)

    async def startup(self) -> None:
        try:
            replies = await self.app.startup()
        except Exception:
            log.exception("app.startup() failed")
            return
        await self.deliverer.deliver(replies)

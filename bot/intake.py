"""How updates come in, framework-free: raw JSON in, one update decoded at a time.

Both frameworks decode a whole getUpdates batch at once; one update they cannot read (a field
they type as required is missing, a type they do not know yet) fails the batch, the offset
never moves, and the bot stops answering everyone. Here the batch is fetched as raw JSON (still
through the framework's own HTTP session) and every update is decoded on its own: one that
fails is logged once, answered politely where we know its private chat, and skipped.

`Feeder` turns one raw update into work (decode, then the framework's own dispatch), in order
per user and counted in `InFlight`. `Poller` owns the getUpdates loop (offset, timeout,
allowed_updates, bounded backoff with jitter, failures logged with a count). The webhook server
(`bot.webhook`) feeds the same `Feeder`.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, Protocol

from bot.delivery import Deliverer, InFlight, KeyedLocks
from bot.webhook import WebhookConfig, WebhookServer
from handlers.render import render
from handlers.replies import AnswerCallback, Reply, SendMessage

log = logging.getLogger(__name__)

# The update kinds the bot uses; Telegram sends no others (a smaller surface to misread).
ALLOWED_UPDATES = ("message", "callback_query", "my_chat_member")

RawUpdate = dict[str, Any]


class Transport(Protocol):
    """What an adapter gives the intake: raw fetching, and its framework's decode/dispatch."""

    async def get_updates(
        self, offset: int | None, long_poll: int, allowed_updates: list[str]
    ) -> list[RawUpdate]:
        """One getUpdates call through the framework's session, returning the raw JSON."""
        ...

    def decode(self, raw: RawUpdate) -> object:
        """The framework's Update (already checked to translate); raises if unreadable."""
        ...

    async def dispatch(self, update: object) -> None:
        """Hands a decoded update to the framework's own processing (and so to our handler)."""
        ...

    async def set_webhook(self, url: str, secret: str, allowed_updates: list[str]) -> None: ...

    async def delete_webhook(self) -> None: ...


# --- reading the raw JSON without trusting it ------------------------------------------------


def update_kind(raw: RawUpdate) -> str:
    return next((k for k in raw if k != "update_id"), "?")


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def sender_key(raw: RawUpdate) -> int | None:
    """The user an update comes from, read from the raw JSON (for per-user order)."""
    return _int(_dict(_dict(raw.get(update_kind(raw))).get("from")).get("id"))


def polite_replies(raw: RawUpdate) -> list[Reply]:
    """What the sender of an unreadable update is told, when we can tell where they are.

    The one place that answers an unreadable update; today a direct send through the
    deliverer, later routed through the outbox like every other reply.
    """
    text = render("unreadable")
    kind = update_kind(raw)
    payload = _dict(raw.get(kind))
    if kind == "message":
        chat = _dict(payload.get("chat"))
        chat_id = _int(chat.get("id"))
        if chat_id is not None and chat.get("type") == "private":
            return [SendMessage(chat_id, text)]
    elif kind == "callback_query":
        replies: list[Reply] = []
        if isinstance(payload.get("id"), str):
            replies.append(AnswerCallback(payload["id"]))  # the button's spinner stops
        user_id = _int(_dict(payload.get("from")).get("id"))
        if user_id is not None:
            replies.append(SendMessage(user_id, text))  # a user's private chat id is theirs
        return replies
    return []


def describe_error(exc: BaseException) -> str:
    """The decoding error, without the values it complains about (they may be a user's text)."""
    errors = getattr(exc, "errors", None)
    if callable(errors):  # pydantic (aiogram): where and what, never the input
        with suppress(Exception):
            found = errors(include_url=False, include_input=False, include_context=False)
            parts = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in found[:3]]
            more = f" (+{len(found) - 3} more)" if len(found) > 3 else ""
            return f"{type(exc).__name__}: {'; '.join(parts)}{more}"
    if isinstance(exc, TypeError | KeyError | AttributeError):
        # These name parameters, keys and attributes (field names), not the values.
        return f"{type(exc).__name__}: {exc}"[:300]
    # Others (ValueError...) may quote a value: say only where it was raised.
    where = "?"
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is not None:
        code = tb.tb_frame.f_code
        where = f"{tb.tb_frame.f_globals.get('__name__', '?')}.{code.co_name}"
    return f"{type(exc).__name__} in {where}"


# --- one update: decode, in order per user, counted ------------------------------------------


class Feeder:
    """Feeds raw updates one by one to the framework; never lets an exception escape."""

    def __init__(self, transport: Transport, deliverer: Deliverer, inflight: InFlight) -> None:
        self._transport = transport
        self._deliverer = deliverer
        self.inflight = inflight
        self._in_order = KeyedLocks()
        self._tasks: set[asyncio.Task[None]] = set()

    def submit(self, raw: RawUpdate) -> None:
        """Schedules `feed(raw)` and returns at once; updates submitted in order run in order
        per user (each task takes its user's FIFO lock before its first await)."""
        self.inflight.enter()  # counted from arrival, so nobody sees "idle" in between
        task = asyncio.get_running_loop().create_task(self.feed(raw))
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self.inflight.leave()

    async def feed(self, raw: RawUpdate) -> None:
        """Decodes and handles one raw update; an unreadable one is logged once and answered."""
        with self.inflight.track():
            try:
                await self._feed(raw)
            except Exception:
                log.exception("update %s (%s) failed", raw.get("update_id"), update_kind(raw))

    async def _feed(self, raw: RawUpdate) -> None:
        key = sender_key(raw)
        try:
            update = self._transport.decode(raw)
        except Exception as exc:
            log.warning(
                "update %s (%s) cannot be read, skipped: %s",
                raw.get("update_id"),
                update_kind(raw),
                describe_error(exc),
            )
            async with self._in_order.hold(key):
                await self._deliverer.deliver(polite_replies(raw))
            return
        async with self._in_order.hold(key):
            await self._transport.dispatch(update)


# --- polling -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Backoff:
    """Growing, bounded delays with jitter: `base`·2^(n-1), at most `cap`, times 0.5-1."""

    base: float = 1.0
    cap: float = 60.0

    def delay(self, failures: int, rng: random.Random) -> float:
        exp = min(self.cap, self.base * 2 ** min(failures - 1, 30))
        return exp * rng.uniform(0.5, 1.0)


def _worth_logging(failures: int) -> bool:
    # 1, 2, 4, 8, ... and then every 64th: a count, not a line per retry.
    return failures & (failures - 1) == 0 or failures % 64 == 0


class Poller:
    """The getUpdates loop: offset, long-poll timeout, allowed_updates, backoff on failure."""

    def __init__(
        self,
        transport: Transport,
        submit: Callable[[RawUpdate], None],
        *,
        timeout: int = 10,
        allowed_updates: tuple[str, ...] = ALLOWED_UPDATES,
        backoff: Backoff | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._transport = transport
        self._submit = submit
        self._timeout = timeout
        self._allowed = list(allowed_updates)
        self._backoff = backoff or Backoff()
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.offset: int | None = None
        self.failures = 0
        self._confirmed: int | None = None  # the offset Telegram last heard from us
        self._task: asyncio.Task[None] | None = None
        self.started = asyncio.Event()  # the first getUpdates has been sent

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self.run(), name="getUpdates")

    async def run(self) -> None:
        while True:
            await self.poll_once()

    async def poll_once(self) -> None:
        """One getUpdates and the batch it brought, or one failure and its backoff."""
        try:
            fetch = self._transport.get_updates(self.offset, self._timeout, self._allowed)
            self.started.set()
            batch = await fetch
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            await self._failed(exc)
            return
        self._confirmed = self.offset
        if self.failures:
            log.warning("getUpdates works again after %d failures", self.failures)
            self.failures = 0
        self._take(batch)

    def _take(self, batch: list[RawUpdate]) -> None:
        for raw in batch if isinstance(batch, list) else []:
            update_id = _int(raw.get("update_id")) if isinstance(raw, dict) else None
            if update_id is None:
                log.warning("getUpdates returned an entry without an update_id: skipped")
                continue
            if self.offset is not None and update_id < self.offset:
                continue  # already had it (a repeat after a lost confirmation)
            self.offset = update_id + 1  # moves on whether or not the update can be read
            self._submit(raw)

    async def _failed(self, exc: Exception) -> None:
        self.failures += 1
        delay = self._backoff.delay(self.failures, self._rng)
        if _worth_logging(self.failures):
            log.warning(
                "getUpdates failed %d time(s) in a row (%s: %s); next try in %.1fs",
                self.failures,
                type(exc).__name__,
                str(exc)[:200],
                delay,
            )
        await self._sleep(delay)

    async def stop(self) -> None:
        """Stops polling, then tells Telegram which updates we have taken (so a restart does
        not get them again), like PTB's Updater does on stop."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        if self.offset is not None and self.offset != self._confirmed:
            try:
                await asyncio.wait_for(
                    self._transport.get_updates(self.offset, 0, self._allowed), 5
                )
                self._confirmed = self.offset
            except Exception as exc:
                log.warning("could not confirm the last updates on stop: %s", type(exc).__name__)


# --- the whole intake: polling or webhook, over one Feeder ------------------------------------


class Intake:
    """Starts and stops the adapter's update intake in either mode."""

    def __init__(
        self,
        transport: Transport,
        deliverer: Deliverer,
        inflight: InFlight,
        *,
        polling_timeout: int = 10,
        webhook: WebhookConfig | None = None,
        poller: Callable[[Transport, Callable[[RawUpdate], None]], Poller] | None = None,
    ) -> None:
        self._transport = transport
        self.feeder = Feeder(transport, deliverer, inflight)
        self.webhook = webhook
        self.poller: Poller | None = None
        self.server: WebhookServer | None = None
        make = poller or (lambda t, submit: Poller(t, submit, timeout=polling_timeout))
        if webhook is None:
            self.poller = make(transport, self.feeder.submit)
        else:
            self.server = WebhookServer(webhook, self.feeder.submit)

    async def start(self) -> None:
        if self.server is not None and self.webhook is not None:
            await self.server.start()  # listening before Telegram is told where to post
            await self._transport.set_webhook(
                self.webhook.url, self.webhook.secret, list(ALLOWED_UPDATES)
            )
        elif self.poller is not None:
            await self._transport.delete_webhook()  # getUpdates is refused while one is set
            self.poller.start()
            await self.poller.started.wait()

    async def stop(self, drain_timeout: float = 10.0) -> None:
        """Stops taking updates, then lets the ones already taken finish."""
        if self.poller is not None:
            await self.poller.stop()
        if self.server is not None:
            await self.server.stop()
        if not await self.feeder.inflight.wait_idle(drain_timeout):
            log.warning("stopping with %d updates still in flight", self.feeder.inflight.count)

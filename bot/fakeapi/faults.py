"""Scripted faults for the fake Bot API: what a flaky uplink and Telegram's front do to a bot.

A test arms faults on ``fake.faults`` before the bot calls; each matching HTTP call
consumes one, in the order they were added::

    from bot.fakeapi import faults

    fake.faults.add("sendMessage", faults.status(502), chat_id=ALICE, times=3)
    fake.faults.add("sendMessage", faults.retry_after(90))
    gate = faults.hang_after()
    fake.faults.add("sendMessage", gate)
    ...
    await gate.reached()  # the bot's send is stored and its answer is being held
    gate.release()  # (or kill the bot now: the answer never reaches it)

``status``, ``retry_after``, ``error`` and ``drop`` answer (or hang up) in the server's
place and run nothing; ``hang`` and ``delay`` run the method when they end, if the client
is still waiting. The ``*_after`` kinds (and ``status(..., after=True)``) run the method
first, so the message IS stored and the user sees it though the bot never learns so: the
"did it send?" case, where a retry is a duplicate (the Bot API has no idempotency key).

Every request a fault touched carries its label in ``RecordedRequest.fault``. Its
``ok``/``error_code``/``result`` say what the server did; an answer made up by a fault
sets ``injected``, and ``fake.rejected`` leaves those out, so it keeps meaning "the
strict fake refused something the bot did" while tests inject failures around it
(``fake.faults.injected`` lists them).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from .server import FakeTelegram, RecordedRequest, StoredMessage

log = logging.getLogger(__name__)

# What nginx in front of api.telegram.org sends when the backend is unreachable.
NGINX_PAGE = (
    "<html>\r\n<head><title>{code} {phrase}</title></head>\r\n<body>\r\n"
    "<center><h1>{code} {phrase}</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)
# A dropped connection is noticed by the server's protocol and the handler cancelled;
# this only bounds the wait if that ever fails to happen.
DROP_GRACE = 5.0


class Gate:
    """Holds the requests of a ``hang()`` fault until :meth:`release` (or until the client
    hangs up: a killed bot)."""

    def __init__(self) -> None:
        self._open = asyncio.Event()
        self._arrived = asyncio.Event()
        self._left = asyncio.Event()
        self.total = 0  # requests that reached the gate
        self.held = 0  # requests waiting at it now

    def release(self) -> None:
        """Let every held request (and any later one) through."""
        self._open.set()

    @property
    def released(self) -> bool:
        return self._open.is_set()

    async def reached(self, count: int = 1, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until ``count`` requests in all have reached the gate."""
        async with asyncio.timeout(timeout):
            while self.total < count:
                self._arrived.clear()
                await self._arrived.wait()

    async def drained(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until no request is held: released, or its client hung up and the server
        noticed (a request whose client gave up is then known to have run nothing more)."""
        async with asyncio.timeout(timeout):
            while self.held:
                self._left.clear()
                await self._left.wait()

    async def pass_(self) -> None:
        self.total += 1
        self.held += 1
        self._arrived.set()
        try:
            await self._open.wait()
        finally:
            self.held -= 1
            self._left.set()


@dataclass(frozen=True, eq=False)
class Fault:
    """One kind of failure; build it with the functions below."""

    kind: str
    code: int | None = None
    description: str | None = None
    retry_after: int | None = None
    html: bool = False
    seconds: float = 0.0
    after: bool = False  # run the method first, then fail the answer
    gate: Gate | None = None

    @property
    def label(self) -> str:
        words = [self.kind]
        if self.kind == "status":
            words.append(str(self.code))
            words += ["html"] * self.html + ["after"] * self.after
        elif self.kind == "retry_after":
            words.append(str(self.retry_after))
        elif self.kind == "error":
            words.append(str(self.code))
        elif self.kind.startswith("delay"):
            words.append(f"{self.seconds:g}")
        return " ".join(words)

    # Gate handles for hang() / hang_after().
    def release(self) -> None:
        self._gate().release()

    async def reached(self, count: int = 1, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        await self._gate().reached(count, timeout)

    async def drained(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        await self._gate().drained(timeout)

    def _gate(self) -> Gate:
        if self.gate is None:
            raise TypeError(f"a {self.kind} fault has nothing to release")
        return self.gate


def status(code: int, *, html: bool = False, after: bool = False) -> Fault:
    """A 5xx from Telegram's front: JSON like Telegram's (``{"ok": false, "error_code": 502,
    "description": "Bad Gateway"}``) or, with ``html``, nginx's error page. ``after``: the
    method ran before the gateway failed the answer."""
    if not 500 <= code <= 599:
        raise ValueError(f"status() is for 5xx codes, not {code}; see error()")
    return Fault("status", code=code, description=HTTPStatus(code).phrase, html=html, after=after)


def retry_after(seconds: int) -> Fault:
    """429 Too Many Requests with ``parameters.retry_after`` (any length, 60 s and more too)."""
    if seconds < 1:
        raise ValueError("Telegram's retry_after is a whole number of seconds, at least 1")
    return Fault(
        "retry_after",
        code=429,
        description=f"Too Many Requests: retry after {seconds}",
        retry_after=seconds,
    )


def error(code: int, description: str) -> Fault:
    """A refusal as Telegram words it, e.g. ``error(403, "Forbidden: bot was blocked by the
    user")`` or ``error(400, "Bad Request: chat not found")``."""
    if not 400 <= code <= 499 or code == 429:
        raise ValueError(f"error() is for 4xx refusals, not {code}; 429 is retry_after()")
    return Fault("error", code=code, description=description)


def drop() -> Fault:
    """Close the connection without an answer before the method runs: nothing happened."""
    return Fault("drop")


def drop_after() -> Fault:
    """Run the method (the message is stored and shown), then close without an answer."""
    return Fault("drop_after", after=True)


def delay(seconds: float) -> Fault:
    """Wait ``seconds`` of real time, then run and answer; a client that gives up first sent
    nothing. Keep it short: for client timeouts prefer ``hang()``."""
    return Fault("delay", seconds=seconds)


def delay_after(seconds: float) -> Fault:
    """Run the method at once, answer ``seconds`` later (a client that gives up sent it)."""
    return Fault("delay_after", seconds=seconds, after=True)


def hang() -> Fault:
    """Hold the request before it runs until ``.release()``; nothing is sent if the client
    hangs up (times out, or its process is killed) first."""
    return Fault("hang", gate=Gate())


def hang_after() -> Fault:
    """Run the method, then hold the answer until ``.release()`` or the client hangs up."""
    return Fault("hang_after", after=True, gate=Gate())


BUILDERS = {
    "status": lambda s: status(
        int(s["code"]), html=s.get("html", False), after=s.get("after", False)
    ),
    "retry_after": lambda s: retry_after(int(s["seconds"])),
    "error": lambda s: error(int(s["code"]), str(s["description"])),
    "drop": lambda s: drop(),
    "drop_after": lambda s: drop_after(),
    "delay": lambda s: delay(float(s["seconds"])),
    "delay_after": lambda s: delay_after(float(s["seconds"])),
    "hang": lambda s: hang(),
    "hang_after": lambda s: hang_after(),
}


def from_spec(spec: dict[str, Any]) -> Fault:
    """A fault from JSON, e.g. ``{"kind": "status", "code": 502, "html": true}``."""
    try:
        return BUILDERS[spec["kind"]](spec)
    except KeyError as err:
        raise ValueError(f"fault spec {spec!r}: missing or unknown {err}") from None


@dataclass(eq=False)
class Rule:
    """``fault`` for the next ``times`` calls of ``method`` (to ``chat_id``, if given)."""

    method: str
    fault: Fault
    chat_id: int | str | None = None
    times: int = 1
    hits: list[RecordedRequest] = field(default_factory=list)

    @property
    def exhausted(self) -> bool:
        return len(self.hits) >= self.times

    def matches(self, method: str, raw: dict[str, Any]) -> bool:
        if self.exhausted or method.lower() != self.method.lower():
            return False
        return self.chat_id is None or str(raw.get("chat_id")) == str(self.chat_id)


class FaultPlan:
    """The faults armed on one :class:`~bot.fakeapi.server.FakeTelegram` (``fake.faults``)."""

    def __init__(self, fake: FakeTelegram) -> None:
        self._fake = fake
        self.rules: list[Rule] = []

    def add(
        self,
        method: str,
        kind: Fault,
        *,
        chat_id: int | str | None = None,
        times: int = 1,
    ) -> Rule:
        """Fail the next ``times`` calls of ``method`` (case-insensitive) with ``kind``."""
        if times < 1:
            raise ValueError("times must be at least 1")
        rule = Rule(method, kind, chat_id, times)
        self.rules.append(rule)
        return rule

    def load(self, specs: Iterable[dict[str, Any]]) -> list[Rule]:
        """Arm faults from JSON objects: ``{"method", "kind", ...kind's fields, "chat_id"?,
        "times"?}`` (the format of ``python -m bot.fakeapi --faults FILE``)."""
        return [
            self.add(
                str(spec["method"]),
                from_spec(spec),
                chat_id=spec.get("chat_id"),
                times=int(spec.get("times", 1)),
            )
            for spec in specs
        ]

    def clear(self) -> None:
        """Disarm everything and let held requests through."""
        for rule in self.rules:
            if rule.fault.gate is not None:
                rule.fault.gate.release()
        self.rules.clear()

    @property
    def pending(self) -> list[Rule]:
        return [rule for rule in self.rules if not rule.exhausted]

    @property
    def injected(self) -> list[RecordedRequest]:
        """Requests a fault touched, in arrival order."""
        return [r for r in self._fake.requests if r.fault is not None]

    # -- the hook in FakeTelegram._handle_api ------------------------------------------

    async def intercept(self, request: web.Request, raw: dict[str, Any]) -> web.Response | None:
        """Apply the first armed fault matching this call; None lets the server answer."""
        method = request.match_info["method"]
        rule = next((r for r in self.rules if r.matches(method, raw)), None)
        if rule is None:
            return None
        fault = rule.fault
        log.info("fault %s on %s (chat %s)", fault.label, method, raw.get("chat_id", "-"))
        if fault.after:
            return await self._after(rule, request, method, raw)
        return await self._before(rule, request, method, raw)

    async def _before(
        self, rule: Rule, request: web.Request, method: str, raw: dict[str, Any]
    ) -> web.Response:
        fault = rule.fault
        record = self._record(rule, method, raw)
        if fault.code is not None:
            record.injected = True
            record.error_code, record.description = fault.code, fault.description
            return self._answer(fault)
        if fault.kind == "drop":
            record.aborted, record.description = True, "connection dropped (injected)"
            return await self._drop(request)
        try:
            await self._wait(fault)
        except asyncio.CancelledError:
            record.aborted, record.description = True, "client disconnected"
            raise
        # The client is still there: run the method, its record replacing the placeholder.
        status_code, body = await self._fake.execute(method, raw)
        executed = self._swap(record, raw)
        rule.hits[_index(rule.hits, record)] = executed
        return self._fake._json(body, status_code)

    async def _after(
        self, rule: Rule, request: web.Request, method: str, raw: dict[str, Any]
    ) -> web.Response:
        fault = rule.fault
        status_code, body = await self._fake.execute(method, raw)
        record = self._last_record(raw)
        record.fault = fault.label
        rule.hits.append(record)
        if fault.kind == "status":
            return self._answer(fault)
        if fault.kind == "drop_after":
            return await self._drop(request)
        try:
            await self._wait(fault)
        except asyncio.CancelledError:
            record.aborted, record.description = True, "client disconnected"
            raise
        return self._fake._json(body, status_code)

    # -- pieces ------------------------------------------------------------------------

    def _record(self, rule: Rule, method: str, raw: dict[str, Any]) -> RecordedRequest:
        from .server import RecordedRequest

        entry = self._fake._methods.get(method.lower())
        record = RecordedRequest(entry[0] if entry else method, raw, self._fake.now())
        record.fault = rule.fault.label
        self._fake.requests.append(record)
        rule.hits.append(record)
        self._fake._touch(False)  # counts as activity for settle()'s quiet period
        self._fake._touch(False, leaving=True)
        return record

    def _last_record(self, raw: dict[str, Any]) -> RecordedRequest:
        return next(r for r in reversed(self._fake.requests) if r.params is raw)

    def _swap(self, placeholder: RecordedRequest, raw: dict[str, Any]) -> RecordedRequest:
        requests = self._fake.requests
        executed = self._last_record(raw)
        executed.fault = placeholder.fault
        del requests[_index(requests, executed)]
        requests[_index(requests, placeholder)] = executed
        return executed

    async def _wait(self, fault: Fault) -> None:
        if fault.gate is not None:
            # A held request does not keep settle() waiting: the test holds it on purpose.
            await fault.gate.pass_()
            return
        self._fake._touch(False)
        try:
            await asyncio.sleep(fault.seconds)
        finally:
            self._fake._touch(False, leaving=True)

    def _answer(self, fault: Fault) -> web.Response:
        assert fault.code is not None and fault.description is not None
        if fault.html:
            page = NGINX_PAGE.format(code=fault.code, phrase=fault.description)
            return web.Response(text=page, status=fault.code, content_type="text/html")
        body: dict[str, Any] = {
            "ok": False,
            "error_code": fault.code,
            "description": fault.description,
        }
        if fault.retry_after is not None:
            body["parameters"] = {"retry_after": fault.retry_after}
        return self._fake._json(body, fault.code)

    @staticmethod
    async def _drop(request: web.Request) -> web.Response:
        # Closing the transport makes aiohttp cancel this handler (handler_cancellation):
        # the client reads EOF where the status line should be.
        if request.transport is not None:
            request.transport.close()
        await asyncio.sleep(DROP_GRACE)
        raise ConnectionResetError("the dropped connection was not noticed")


def _index(requests: list[RecordedRequest], record: RecordedRequest) -> int:
    # By identity: RecordedRequest compares by value, and two calls may look alike.
    return next(i for i, r in enumerate(requests) if r is record)


# ---------------------------------------------------------------------------------------
# "exactly once, in order" checks
# ---------------------------------------------------------------------------------------


def sent_text(message: StoredMessage) -> str:
    """The text (or caption) a message had when it arrived, before any edit."""
    if message.edits:
        first = message.edits[0]
        return first.text if first.text is not None else (first.caption or "")
    return message.content_text


def delivered_texts(fake: FakeTelegram, chat_id: int) -> list[str]:
    """What the bot's messages in ``chat_id`` said on arrival, in arrival order (messages the
    bot deleted later included: the person was notified all the same)."""
    return [sent_text(m) for m in fake.chat(chat_id).messages if m.from_bot]


def duplicates(texts: Sequence[str]) -> list[str]:
    return [text for text, count in Counter(texts).items() if count > 1]


def assert_delivered_once(fake: FakeTelegram, chat_id: int, *fragments: str) -> None:
    """Each fragment is in exactly one delivered message, in the given order; with no
    fragments, no two of the bot's messages in the chat say the same."""
    texts = delivered_texts(fake, chat_id)
    if not fragments:
        twice = duplicates(texts)
        assert not twice, f"chat {chat_id} got these more than once: {twice}"
        return
    positions = []
    for fragment in fragments:
        found = [i for i, text in enumerate(texts) if fragment in text]
        assert len(found) == 1, (
            f"chat {chat_id}: {fragment!r} arrived {len(found)} times, not once; got {texts}"
        )
        positions.append(found[0])
    assert positions == sorted(positions), (
        f"chat {chat_id}: {list(fragments)} arrived out of order; got {texts}"
    )

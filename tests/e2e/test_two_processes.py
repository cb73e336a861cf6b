"""Two bot processes on one PostgreSQL behind one webhook URL work as one (issue 8).

In process, but apart as two deployments are: each has its own engine and sessions, adapter,
webhook server (own port) and outbox sender; they share only the database, the clock and the
secret. A small load balancer in front takes the fake Telegram's POSTs on the one public URL
and passes them round-robin to the two, or to both (what a redelivery looks like).

Two admins press the same task's button at the same moment in different processes: exactly
one wins and the other is told politely; each update is processed once; both processes sweep
at once and each task gets one reminder; both senders run and no message arrives twice.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import func, select

from bot.delivery import InFlight
from bot.factory import Product, build_product
from bot.fakeapi import faults
from bot.outbox_sender import OutboxSender, sender_for
from bot.runtime import BotAdapter, build_adapter
from bot.scheduler import SlaScheduler
from bot.webhook import WebhookConfig
from storage.models import AuditEvent, Outbox, ProcessedUpdate
from tests.e2e.conftest import BotUnderTest
from tests.e2e.helpers import button_data, message_with
from tests.e2e.test_sanggau import SANGGAU
from tests.e2e.test_webhook import SECRET, free_port


@dataclass
class Balancer:
    """One public URL in front of several webhook ports, like nginx's upstream block."""

    backends: list[str] = field(default_factory=list)
    both: bool = False  # every request to every backend: a redelivery to the other process
    forwarded: list[int] = field(default_factory=list)  # the backend index of each request
    update_ids: list[int] = field(default_factory=list)  # of each request, as forwarded
    port: int = field(default_factory=free_port)
    _turn: itertools.count[int] = field(default_factory=itertools.count)
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/tg/hook"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/tg/hook", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        self._client = aiohttp.ClientSession()

    async def stop(self) -> None:
        await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _forward(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower().startswith("x-")}
        headers["Content-Type"] = "application/json"
        turn = next(self._turn) % len(self.backends)
        targets = range(len(self.backends)) if self.both else [turn]
        statuses = []
        update_id = json.loads(body).get("update_id")
        for index in targets:
            self.forwarded.append(index)
            self.update_ids.append(update_id)
            async with self._client.post(self.backends[index], data=body, headers=headers) as r:
                statuses.append(r.status)
        return web.json_response({"ok": True}, status=min(statuses))


@pytest.fixture
async def balancer() -> AsyncIterator[Balancer]:
    front = Balancer()
    await front.start()
    yield front
    await front.stop()


@pytest.fixture
def bot_webhook(balancer: Balancer, db_url: str) -> WebhookConfig:
    if not db_url.startswith("postgresql"):
        pytest.skip("several processes share one PostgreSQL; SQLite is one process by design")
    port = free_port()
    balancer.backends.append(f"http://127.0.0.1:{port}/tg/hook")
    return WebhookConfig(balancer.url, "127.0.0.1", port, SECRET)


@dataclass
class Second:
    product: Product
    adapter: BotAdapter
    sender: OutboxSender
    inflight: InFlight


@pytest.fixture
async def second(bot: BotUnderTest, balancer: Balancer) -> AsyncIterator[Second]:
    """Process B: same settings, database and secret; its own everything else."""
    port = free_port()
    balancer.backends.append(f"http://127.0.0.1:{port}/tg/hook")
    product = await build_product(bot.settings, clock=bot.clock)
    inflight = InFlight()
    config = WebhookConfig(balancer.url, "127.0.0.1", port, SECRET)
    adapter = build_adapter(bot.settings, product.app, inflight, polling_timeout=1, webhook=config)
    sender = sender_for(product, adapter.api, bot.settings)
    await adapter.start()
    await sender.start()
    first = bot.fake.idle_probe
    assert first is not None
    bot.fake.idle_probe = lambda: first() and inflight.idle and sender.idle
    await bot.fake.settle()
    try:
        yield Second(product, adapter, sender, inflight)
    finally:
        await adapter.drain()
        await sender.stop()
        await adapter.stop()
        await product.close()


async def test_two_processes_behind_one_url_act_as_one(
    bot: BotUnderTest, second: Second, balancer: Balancer
) -> None:
    fake = bot.fake
    who = await bot.officials(SANGGAU)
    budi = who["admin"]
    ani = await bot.official(2100, "Ani Admin", "admin")
    rina = await bot.seeded_journalist(3601)
    await rina.send("/ajukan")
    await rina.press("Lewati")
    assert set(balancer.forwarded) == {0, 1}, balancer.forwarded  # both processes took some

    # Both admins got the task; each opens its checklist question on their own copy.
    questions = {}
    for admin in (budi, ani):
        prompt = message_with(admin, "Terima")
        await admin.press("Terima", message_id=prompt.message_id)
        questions[admin.id] = message_with(admin, "Semua lengkap")
    # The same moment: two presses, consecutive updates, so one goes to each process.
    presses = [
        fake.inject_callback_query(
            admin.id, questions[admin.id].message_id, button_data(questions[admin.id], "Semua")
        )
        for admin in (budi, ani)
    ]
    await fake.settle()
    assert balancer.forwarded[-2:] in ([0, 1], [1, 0])

    case = await bot.case()
    assert case.current_step == 3
    async with bot.session() as s:
        taken = list(await s.scalars(select(AuditEvent).where(AuditEvent.action == "receive")))
    # Once, not twice: before the engine re-read the locked task, both presses passed its
    # "still open?" check (the session's stale copy) and two agenda numbers were drawn.
    assert len(taken) == 1, [(e.actor_id, e.data) for e in taken]
    answers = [fake.callback_queries[p.id].answer for p in presses]
    assert all(a is not None for a in answers)  # nobody's button spins
    refused = [a for a in answers if a is not None and a.show_alert]
    assert len(refused) == 1, answers  # the loser is told, politely
    assert refused[0].text == "Tugas ini sudah selesai ditangani; tidak ada yang diubah."

    # A redelivery: the next update reaches both processes; it is handled once.
    balancer.both = True
    mark = rina.mark()
    await rina.send("/bantuan")
    assert len(rina.texts(since=mark)) == 1
    balancer.both = False

    # Both processes sweep at the same moment: one reminder for the overdue task.
    fungsional = who["fungsional"]
    mark = fungsional.mark()
    bot.clock.advance(minutes=6)  # step 3's standard is 5 minutes
    assert bot.sender is not None
    sweeps = [
        SlaScheduler(p.sessions, bot.clock, p.app.deps.spec, wake)
        for p, wake in ((bot.product, bot.sender.wake), (second.product, second.sender.wake))
    ]
    await asyncio.gather(*(s.tick() for s in sweeps))
    await fake.settle()
    reminders = [t for t in fungsional.texts(since=mark) if "terlambat" in t.lower()]
    assert len(reminders) == 1, fungsional.texts(since=mark)

    async with bot.session() as s:
        handled = await s.scalar(select(func.count(ProcessedUpdate.id)))
        pending = await s.scalar(select(func.count(Outbox.id)).where(Outbox.state != "sent"))
    assert len(balancer.update_ids) > len(set(balancer.update_ids))  # some came twice...
    # ...each recorded once, but for the losing press: a refused button press changes nothing
    # and is never recorded (a redelivery of it would only repeat the toast).
    assert handled == len(set(balancer.update_ids)) - 1
    assert pending == 0
    for person in (*who.values(), ani):  # (Rina asked for her menu twice: /start, /bantuan)
        faults.assert_delivered_once(fake, person.chat_id)  # no message went twice
    bot.assert_clean()

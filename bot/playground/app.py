"""The playground's web app (aiohttp, one port): the page, its script and styles, the sample
files, a Server-Sent Events stream of chat changes, and a small JSON API that acts as the
people in the chats.

    GET  /?sop=<id>                    the page (the default SOP without ?sop=)
    GET  /api/state?sop=               personas with unread counts, SOPs, samples, clock
    GET  /api/chat/<persona>?sop=      one chat: messages, reply keyboard, command menu
    GET  /api/events?sop=              SSE: message / toast / clock / panel events
    GET  /api/panel?sop=               open cases: step, holders, time left, history
    GET  /api/file/<persona>/<msg>     a document or photo from a chat (download)
    POST /api/send|press|contact|upload|read|clock?sop=   what a person or the trainer does

One journalist persona writes on WhatsApp (the bot's WhatsApp adapter against the in-repo fake
Cloud API): her chat's messages carry WhatsApp's shapes (reply buttons, a list's rows, a
template's quick reply) and /api/press takes a choice's index for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from importlib import resources
from typing import Any

from aiohttp import web
from jinja2 import Environment, PackageLoader, select_autoescape

from bot.config import Settings
from bot.playground.world import PLAYGROUND_DIR, Persona, World
from workflow.loader import builtin_sops, load_spec, resolve_sop

STATIC = {"app.js": "text/javascript", "style.css": "text/css"}
SAMPLES = {
    "kartu-pers.png": "image/png",
    "akta-pendirian-media.pdf": "application/pdf",
    "surat-permohonan.pdf": "application/pdf",
    "tangkapan-layar-berita.png": "image/png",
}
WORLDS = web.AppKey("worlds", dict)


def _package_file(folder: str, name: str) -> bytes:
    return (resources.files("bot.playground") / folder / name).read_bytes()


class Playground:
    """The worlds (one per SOP, started on first visit) behind one web app."""

    def __init__(self, settings: Settings, default_sop: str, root: Any = PLAYGROUND_DIR) -> None:
        self.settings = settings
        self.default_sop = load_spec(resolve_sop(default_sop)).id
        self.root = root
        self.worlds: dict[str, World] = {}
        self._lock = asyncio.Lock()
        self.env = Environment(
            loader=PackageLoader("templates", "playground"),
            autoescape=select_autoescape(default=True),
        )

    async def world(self, request: web.Request) -> World:
        wanted = request.query.get("sop") or self.default_sop
        try:
            sop_id = load_spec(resolve_sop(wanted)).id
        except Exception:
            raise web.HTTPNotFound(text=f"SOP {wanted!r} tidak dikenal") from None
        async with self._lock:
            world = self.worlds.get(sop_id)
            if world is None:
                world = World(sop_id, self.settings, root=self.root)
                await world.start()
                self.worlds[sop_id] = world
        return world

    async def start_default(self) -> World:
        async with self._lock:
            world = World(self.default_sop, self.settings, root=self.root)
            await world.start()
            self.worlds[world.spec.id] = world
            return world

    async def close(self) -> None:
        for world in self.worlds.values():
            await world.stop()
        self.worlds.clear()

    # -- the page --------------------------------------------------------------------------

    async def page(self, request: web.Request) -> web.Response:
        world = await self.world(request)
        sops = []
        for sop_id, path in builtin_sops().items():
            sops.append({"id": sop_id, "title": load_spec(path).title})
        html = self.env.get_template("index.html.j2").render(
            spec=world.spec, sops=sops, samples=list(SAMPLES)
        )
        return web.Response(text=html, content_type="text/html")

    async def static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in STATIC:
            raise web.HTTPNotFound()
        return web.Response(body=_package_file("static", name), content_type=STATIC[name])

    async def sample(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in SAMPLES:
            raise web.HTTPNotFound()
        return web.Response(body=_package_file("samples", name), content_type=SAMPLES[name])

    # -- reading -----------------------------------------------------------------------------

    async def state(self, request: web.Request) -> web.Response:
        world = await self.world(request)
        return web.json_response(
            {
                "sop": {"id": world.spec.id, "title": world.spec.title},
                "personas": world.personas_view(),
                "clock": world.clock_view(),
            }
        )

    async def chat(self, request: web.Request) -> web.Response:
        world = await self.world(request)
        persona = _persona(world, request.match_info["persona"])
        return web.json_response(world.chat_view(persona))

    async def panel(self, request: web.Request) -> web.Response:
        world = await self.world(request)
        return web.json_response(await world.panel_view())

    async def file(self, request: web.Request) -> web.Response:
        world = await self.world(request)
        persona = _persona(world, request.match_info["persona"])
        found = world.file_of(persona, _int(request.match_info["message"]))
        if found is None:
            raise web.HTTPNotFound()
        content, name, mime = found
        inline = mime.startswith("image/")
        disposition = "inline" if inline else "attachment"
        return web.Response(
            body=content,
            content_type=mime or "application/octet-stream",
            headers={"Content-Disposition": f'{disposition}; filename="{_ascii(name)}"'},
        )

    async def events(self, request: web.Request) -> web.StreamResponse:
        world = await self.world(request)
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        world.listeners.add(queue)
        try:
            await response.write(b": mitramedia playground\n\n")
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), timeout=15)
                except TimeoutError:
                    await response.write(b": keep-alive\n\n")
                    continue
                data = json.dumps(event, ensure_ascii=False)
                await response.write(f"data: {data}\n\n".encode())
        except ConnectionResetError:
            pass  # the page was closed
        finally:
            world.listeners.discard(queue)
        return response

    # -- acting --------------------------------------------------------------------------------

    async def send(self, request: web.Request) -> web.Response:
        world, persona, body = await self._acting(request)
        text = str(body.get("text") or "").strip()
        if not text:
            raise web.HTTPBadRequest(text="empty message")
        await world.say(persona, text[:4096])
        return web.json_response({"ok": True})

    async def press(self, request: web.Request) -> web.Response:
        """A Telegram inline button (message, row, col), or on WhatsApp a reply button or list
        row (message, choice: its buttons counted first, then its rows)."""
        world, persona, body = await self._acting(request)
        label = str(body["label"]) if "label" in body else None
        if persona.wa is not None:
            try:
                await world.choose(
                    persona, _int(body.get("message")), _int(body.get("choice")), label
                )
            except LookupError as err:
                raise web.HTTPConflict(text=str(err)) from None
            return web.json_response({"ok": True})
        try:
            world.press(
                persona,
                _int(body.get("message")),
                _int(body.get("row")),
                _int(body.get("col")),
                label,
            )
        except (LookupError, AssertionError) as err:
            raise web.HTTPConflict(text=str(err)) from None
        return web.json_response({"ok": True})

    async def contact(self, request: web.Request) -> web.Response:
        world, persona, _body = await self._acting(request)
        if persona.wa is not None:  # WhatsApp tells the bot the number it writes from
            raise web.HTTPBadRequest(text="no contact sharing on WhatsApp")
        world.share_contact(persona)
        return web.json_response({"ok": True})

    async def read(self, request: web.Request) -> web.Response:
        world, persona, _body = await self._acting(request)
        world.mark_read(persona)
        return web.json_response({"ok": True})

    async def upload(self, request: web.Request) -> web.Response:
        world = await self.world(request)
        if request.content_type == "multipart/form-data":
            form = await request.post()
            persona = _persona(world, str(form.get("persona", "")))
            field = form.get("file")
            if not isinstance(field, web.FileField):
                raise web.HTTPBadRequest(text="no file")
            content = field.file.read()
            name, mime = field.filename or "berkas", field.content_type or ""
        else:
            body = await _json(request)
            persona = _persona(world, str(body.get("persona", "")))
            name = str(body.get("sample", ""))
            if name not in SAMPLES:
                raise web.HTTPNotFound()
            content, mime = _package_file("samples", name), SAMPLES[name]
        await world.send_file(persona, content, name, mime)
        return web.json_response({"ok": True})

    async def clock(self, request: web.Request) -> web.Response:
        world = await self.world(request)
        body = await _json(request)
        action = body.get("action")
        if action == "fast":
            world.set_fast(True)
        elif action == "normal":
            world.set_fast(False)
        elif action == "jump":
            moved = await world.jump_to_next_deadline()
            return web.json_response({"ok": True, "moved": moved is not None})
        else:
            raise web.HTTPBadRequest(text="unknown clock action")
        return web.json_response({"ok": True})

    async def _acting(self, request: web.Request) -> tuple[World, Persona, dict[str, Any]]:
        world = await self.world(request)
        body = await _json(request)
        return world, _persona(world, str(body.get("persona", ""))), body


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise web.HTTPBadRequest(text="a number was expected") from None


def _persona(world: World, value: str) -> Persona:
    try:
        return world.persona(_int(value))
    except LookupError:
        raise web.HTTPNotFound(text="no such persona") from None


def _ascii(name: str) -> str:
    return "".join(c if c.isascii() and c not in '"\\' else "_" for c in name)


async def _json(request: web.Request) -> dict[str, Any]:
    with contextlib.suppress(ValueError):
        body = await request.json()
        if isinstance(body, dict):
            return body
    raise web.HTTPBadRequest(text="a JSON object was expected")


def build_app(playground: Playground) -> web.Application:
    app = web.Application(client_max_size=25 * 1024 * 1024)
    app[WORLDS] = playground.worlds
    routes = [
        web.get("/", playground.page),
        web.get("/static/{name}", playground.static),
        web.get("/samples/{name}", playground.sample),
        web.get("/api/state", playground.state),
        web.get("/api/chat/{persona}", playground.chat),
        web.get("/api/panel", playground.panel),
        web.get("/api/events", playground.events),
        web.get("/api/file/{persona}/{message}", playground.file),
        web.post("/api/send", playground.send),
        web.post("/api/press", playground.press),
        web.post("/api/contact", playground.contact),
        web.post("/api/read", playground.read),
        web.post("/api/upload", playground.upload),
        web.post("/api/clock", playground.clock),
    ]
    app.add_routes(routes)

    async def _close(_app: web.Application) -> None:
        await playground.close()

    app.on_cleanup.append(_close)
    return app


async def serve(
    settings: Settings, sop: str, host: str = "127.0.0.1", port: int = 8080, root: Any = None
) -> tuple[web.AppRunner, str, Playground]:
    """Starts the playground (its default SOP's world first) and returns its runner and URL."""
    playground = Playground(settings, sop, root=root or PLAYGROUND_DIR)
    await playground.start_default()
    runner = web.AppRunner(build_app(playground), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1]
    return runner, f"http://{host}:{bound}/", playground

"""A strict in-process stand-in for Telegram's Bot API server.

Real bot libraries (aiogram, python-telegram-bot) talk to it over HTTP exactly as they
talk to api.telegram.org, so anything the real server refuses is refused here too, with
Telegram's status codes and error texts. The harness side (``user()``, ``settle()``, ...)
plays the humans on the other end.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import ipaddress
import itertools
import json
import logging
import math
import mimetypes
import re
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from aiohttp import BodyPartReader, ClientSession, ClientTimeout, MultipartReader, web

from .faults import FaultPlan
from .harness import CallbackAnswer, FakeUser
from .html import (
    Entity,
    HtmlParseError,
    ParsedText,
    detect_entities,
    parse_html,
    trim_text,
    utf16_len,
)

log = logging.getLogger(__name__)

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_ANSWER_TEXT = 200
CALLBACK_ANSWER_WINDOW = 15.0
MAX_DOWNLOAD = 20 * 1024 * 1024
MAX_UPLOAD = 50 * 1024 * 1024
PHOTO_SIZES = (90, 320, 800, 1280, 2560)
TOKEN_RE = re.compile(r"^\d+:[\w-]+$")
COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")

CONFLICT_POLLING = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"

INLINE_ACTIONS = tuple(
    "url callback_data web_app login_url switch_inline_query "
    "switch_inline_query_current_chat switch_inline_query_chosen_chat copy_text "
    "callback_game pay".split()
)
REPLY_BUTTON_REQUESTS = tuple(
    "request_contact request_location request_poll request_users request_chat web_app".split()
)
CHAT_ACTIONS = frozenset(
    "typing upload_photo record_video upload_video record_voice upload_voice "
    "upload_document choose_sticker find_location record_video_note upload_video_note".split()
)
# Telegram leaves these out unless a bot asks for them by name.
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


# ---------------------------------------------------------------------------------------
# errors and request parameters
# ---------------------------------------------------------------------------------------


class ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            out["parameters"] = {"retry_after": self.retry_after}
        return out


def bad_request(text: str) -> ApiError:
    return ApiError(400, f"Bad Request: {text}")


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    data: bytes
    filename: str | None
    content_type: str | None

    def __repr__(self) -> str:
        return f"Upload({self.filename!r}, {len(self.data)} bytes)"


class Params:
    """Request parameters as sent: JSON values, or strings (forms nest JSON as strings)."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw

    def present(self, name: str) -> bool:
        return self.raw.get(name) not in (None, "")

    def str_(self, name: str) -> str | None:
        value = self.raw.get(name)
        if value is None or isinstance(value, Upload):
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float | str):
            return str(value)
        raise bad_request(f'field "{name}" must be of type String')

    def int_(self, name: str) -> int | None:
        value = self.raw.get(name)
        if isinstance(value, bool) or value is None:
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            return int(value)
        return None

    def bool_(self, name: str) -> bool:
        value = self.raw.get(name)
        if isinstance(value, str):
            return value.strip().lower() in {"true", "1"}
        return bool(value) and not isinstance(value, dict | list)

    def json_(self, name: str, error: str) -> Any:
        value = self.raw.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(error) from None
        return value

    def file_(self, name: str) -> Upload | str | None:
        value = self.raw.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            attached = self.raw.get(value[len("attach://") :])
            if not isinstance(attached, Upload):
                raise bad_request(f"file {value!r} not found in the request")
            return attached
        if value is None or value == "" or isinstance(value, Upload | str):
            return value or None
        raise bad_request(f'field "{name}" must be of type String')


@dataclass(frozen=True)
class _Described:
    """A successful result that also carries a ``description`` (setWebhook does that)."""

    result: Any
    description: str


# ---------------------------------------------------------------------------------------
# stored state
# ---------------------------------------------------------------------------------------


@dataclass
class UserAccount:
    id: int
    first_name: str
    username: str | None = None
    last_name: str | None = None
    language_code: str = "id"
    blocked: bool = False
    started: bool = False
    kind: str = "private"  # or "group": a group chat the bot was added to (fake.group)
    title: str | None = None

    def as_user(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            out["last_name"] = self.last_name
        if self.username:
            out["username"] = self.username
        out["language_code"] = self.language_code
        return out

    def as_chat(self) -> dict[str, Any]:
        if self.kind != "private":
            return {"id": self.id, "title": self.title or self.first_name, "type": self.kind}
        out: dict[str, Any] = {"id": self.id, "first_name": self.first_name}
        if self.last_name:
            out["last_name"] = self.last_name
        if self.username:
            out["username"] = self.username
        out["type"] = "private"
        return out


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: str  # "document" or "photo"
    data: bytes
    file_name: str | None = None
    mime_type: str | None = None
    width: int = 0
    height: int = 0
    file_path: str | None = None

    @property
    def size(self) -> int:
        return len(self.data)

    def document_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.file_name:
            out["file_name"] = self.file_name
        if self.mime_type:
            out["mime_type"] = self.mime_type
        out.update(file_id=self.file_id, file_unique_id=self.file_unique_id, file_size=self.size)
        return out

    def photo_size_json(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
            "width": self.width,
            "height": self.height,
        }


@dataclass
class Edit:
    """What a message looked like before one edit."""

    at: float
    text: str | None
    raw_text: str | None
    entities: list[Entity]
    caption: str | None
    reply_markup: dict[str, Any] | None


@dataclass
class StoredMessage:
    message_id: int
    chat_id: int
    from_bot: bool
    date: int
    seq: int
    text: str | None = None
    raw_text: str | None = None
    parse_mode: str | None = None
    entities: list[Entity] = field(default_factory=list)
    caption: str | None = None
    raw_caption: str | None = None
    caption_entities: list[Entity] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    document: StoredFile | None = None
    photo: list[StoredFile] | None = None
    original_photo: bytes | None = None
    contact: dict[str, Any] | None = None
    reply_to_message_id: int | None = None
    edits: list[Edit] = field(default_factory=list)
    edit_date: int | None = None
    deleted: bool = False
    sender_id: int | None = None  # in a group: the member who wrote it

    @property
    def html(self) -> str | None:
        """The text (or caption) exactly as the bot sent it, markup included."""
        return self.raw_text if self.raw_text is not None else self.raw_caption

    @property
    def content_text(self) -> str:
        """What a person reads: the text, else the caption, else nothing."""
        return self.text if self.text is not None else (self.caption or "")

    @property
    def document_bytes(self) -> bytes | None:
        return self.document.data if self.document else None

    @property
    def photo_bytes(self) -> bytes | None:
        """The image as the bot uploaded it (Telegram re-encodes the sizes it serves)."""
        if self.original_photo is not None:
            return self.original_photo
        return self.photo[-1].data if self.photo else None

    @property
    def inline_keyboard(self) -> list[list[dict[str, Any]]]:
        rows = (self.reply_markup or {}).get("inline_keyboard")
        return rows if isinstance(rows, list) else []

    def button_labels(self) -> list[str]:
        return [button["text"] for row in self.inline_keyboard for button in row]


@dataclass
class RecordedRequest:
    """One call the bot made; ``ok`` stays False while it is still being answered."""

    method: str
    params: dict[str, Any]
    at: float
    ok: bool = False
    error_code: int | None = None
    description: str | None = None
    result: Any = None
    aborted: bool = False  # the client hung up before an answer (bot shutting down)
    fault: str | None = None  # label of the injected fault that hit it (faults.py)
    injected: bool = False  # error_code/description are the fault's, not a refusal


@dataclass
class CallbackQueryRecord:
    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    created_at: float
    answer: CallbackAnswer | None = None

    @property
    def answered(self) -> bool:
        return self.answer is not None


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class ChatState:
    user: UserAccount
    messages: list[StoredMessage] = field(default_factory=list)
    next_message_id: int = 1
    reply_keyboard: dict[str, Any] | None = None
    actions: list[str] = field(default_factory=list)
    forced_retry_after: list[int] = field(default_factory=list)
    bucket: _Bucket | None = None
    chat_instance: str = field(default_factory=lambda: str(-secrets.randbits(62)))

    def find(self, message_id: int) -> StoredMessage | None:
        for message in self.messages:
            if message.message_id == message_id:
                return message
        return None


@dataclass
class _Webhook:
    url: str
    secret_token: str | None
    max_connections: int
    last_error_date: int | None = None
    last_error_message: str | None = None


Handler = Callable[[Params], Awaitable[Any]]


def _new_file_id(kind: str) -> tuple[str, str]:
    prefix = "BQACAgIAAxkBAAI" if kind == "document" else "AgACAgIAAxkBAAI"
    return prefix + secrets.token_urlsafe(48)[:56], "AQAD" + secrets.token_urlsafe(12)[:12]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# ---------------------------------------------------------------------------------------
# the server
# ---------------------------------------------------------------------------------------


class FakeTelegram:
    """Bot API server double. See the package docstring for the harness API."""

    def __init__(
        self,
        token: str = "123456:TEST-token",
        bot_username: str = "mitramedia_bot",
        bot_name: str = "Mitra Media",
        host: str = "127.0.0.1",
        port: int = 0,
        flood_control: bool = True,
        *,
        strict_html: bool = False,
        flood_burst: int = 4,
        flood_rate: float = 1.0,
        global_rate: int = 30,
        user_think_time: float = 2.0,
        first_update_id: int = 100_000_001,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.bot_name = bot_name
        self.host = host
        self.port = port
        self.flood_control = flood_control
        self.strict_html = strict_html
        self.flood_burst = flood_burst
        self.flood_rate = flood_rate
        self.global_rate = global_rate
        self.user_think_time = user_think_time
        self.idle_probe: Callable[[], bool] | None = None
        self.requests: list[RecordedRequest] = []
        self.faults = FaultPlan(self)
        self.callback_queries: dict[str, CallbackQueryRecord] = {}
        self._users: dict[int, UserAccount] = {}
        self._harness_users: dict[int, FakeUser] = {}
        self._chats: dict[int, ChatState] = {}
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._photo_sets: dict[str, list[StoredFile]] = {}
        self._commands: dict[tuple[tuple[Any, ...], str], list[dict[str, str]]] = {}
        self._queue: list[dict[str, Any]] = []
        # A bot's update ids only grow: a server standing in for one that already served this
        # bot (the playground's next run on the same database) starts above what it has seen.
        self._next_update_id = first_update_id
        self._allowed_updates: frozenset[str] | None = None
        self._seq = itertools.count(1)
        self._last_seq = 0
        self._time_offset = 0.0
        self._global_window: deque[float] = deque()
        self._poller: asyncio.Future[str] | None = None
        self._poll_parked = asyncio.Event()
        self._bot_spoke = asyncio.Event()
        self._wakeup: asyncio.Future[None] | None = None
        self._webhook: _Webhook | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._webhook_busy = False
        self._inflight = 0
        self._last_activity = 0.0
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._client: ClientSession | None = None
        self._methods: dict[str, tuple[str, Handler]] = {
            name.lower(): (name, handler) for name, handler in self._method_table().items()
        }

    # -- lifecycle ------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=MAX_UPLOAD + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        # Cancel handlers of clients that hung up, so a bot that stops polling mid-request
        # doesn't leave a zombie getUpdates that would "conflict" with its successor.
        self._runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=0.5
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self._closing = False

    async def stop(self) -> None:
        self._closing = True
        self._notify()
        if self._poller is not None and not self._poller.done():
            self._poller.set_result("closing")
        await self._stop_webhook_worker()
        if self._client is not None:
            await self._client.close()
            self._client = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # -- clock ----------------------------------------------------------------------

    def now(self) -> float:
        """Server time (monotonic seconds); ``advance_time`` moves it forward."""
        return time.monotonic() + self._time_offset

    def unix_time(self) -> int:
        return int(time.time() + self._time_offset)

    def advance_time(self, seconds: float) -> None:
        """Pretend ``seconds`` passed: ages callback queries and refills flood buckets."""
        self._time_offset += seconds

    # -- HTTP entry points ----------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if not TOKEN_RE.match(token):
            return self._json(ApiError(404, "Not Found").body(), 404)
        if token != self.token:
            return self._json(ApiError(401, "Unauthorized").body(), 401)
        try:
            raw = await self._read_params(request)
        except ApiError as err:
            return self._json(err.body(), err.code)
        if (faulted := await self.faults.intercept(request, raw)) is not None:
            return faulted
        status, body = await self.execute(request.match_info["method"], raw)
        return self._json(body, status)

    async def _handle_file(self, request: web.Request) -> web.Response:
        stored = self._files_by_path.get(request.match_info["path"])
        if request.match_info["token"] != self.token or stored is None:
            return self._json(ApiError(404, "Not Found").body(), 404)
        return web.Response(body=stored.data, content_type="application/octet-stream")

    @staticmethod
    def _json(body: dict[str, Any], status: int) -> web.Response:
        return web.Response(
            text=json.dumps(body, ensure_ascii=False),
            status=status,
            content_type="application/json",
        )

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        raw: dict[str, Any] = dict(request.query)
        if not request.body_exists:
            return raw
        try:
            if request.content_type == "application/json":
                body = await request.json()
                if not isinstance(body, dict):
                    raise bad_request("JSON object expected")
                raw.update(body)
            elif request.content_type in (
                "multipart/form-data",
                "application/x-www-form-urlencoded",
            ):
                form = await request.post()
                for key, value in form.items():
                    raw[key] = self._form_value(value)
        except web.HTTPRequestEntityTooLarge:
            raise ApiError(413, "Request Entity Too Large") from None
        except ValueError:
            raise bad_request("can't parse JSON object") from None
        return raw

    @staticmethod
    def _form_value(value: Any) -> Any:
        if isinstance(value, web.FileField):
            return Upload(value.file.read(), value.filename, value.content_type)
        return value

    async def execute(self, method: str, raw: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Run one Bot API call as if it came over HTTP; returns (status, JSON body)."""
        entry = self._methods.get(method.lower())
        record = RecordedRequest(entry[0] if entry else method, raw, self.now())
        self.requests.append(record)
        if entry is None:
            log.warning("fake Telegram has no method %r", method)
            return self._finish(record, ApiError(404, "Not Found"))
        polling = entry[0] == "getUpdates"
        self._touch(polling)
        try:
            result = await entry[1](Params(raw))
        except ApiError as err:
            return self._finish(record, err)
        except asyncio.CancelledError:
            record.aborted, record.description = True, "client disconnected"
            raise
        finally:
            self._touch(polling, leaving=True)
        record.ok = True
        body: dict[str, Any] = {"ok": True}
        if isinstance(result, _Described):
            body["result"], body["description"] = result.result, result.description
        else:
            body["result"] = result
        record.result = body["result"]
        return 200, body

    def _touch(self, polling: bool, leaving: bool = False) -> None:
        if polling:
            return
        self._inflight += -1 if leaving else 1
        self._last_activity = self.now()

    @staticmethod
    def _finish(record: RecordedRequest, err: ApiError) -> tuple[int, dict[str, Any]]:
        record.ok, record.error_code, record.description = False, err.code, err.description
        return err.code, err.body()

    @property
    def rejected(self) -> list[RecordedRequest]:
        """Requests Telegram answered with an error (not those still waiting or abandoned,
        nor failures injected by ``self.faults``: see ``faults.injected``)."""
        return [r for r in self.requests if r.error_code is not None and not r.injected]

    def calls(self, method: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method.lower() == method.lower()]

    # -- method table ---------------------------------------------------------------

    def _method_table(self) -> dict[str, Handler]:
        return {
            "getMe": self._get_me,
            "logOut": self._true,
            "close": self._true,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendChatAction": self._send_chat_action,
            "getFile": self._get_file,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
        }

    async def _true(self, p: Params) -> bool:
        return True

    def bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_name,
            "username": self.bot_username,
        }

    async def _get_me(self, p: Params) -> dict[str, Any]:
        return {
            **self.bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    # -- updates: long polling --------------------------------------------------------

    def _notify(self) -> None:
        if self._wakeup is not None and not self._wakeup.done():
            self._wakeup.set_result(None)
        self._wakeup = None

    def _wakeup_future(self) -> asyncio.Future[None]:
        if self._wakeup is None:
            self._wakeup = asyncio.get_running_loop().create_future()
        return self._wakeup

    async def _get_updates(self, p: Params) -> list[dict[str, Any]]:
        if self._webhook is not None:
            raise ApiError(409, CONFLICT_WEBHOOK)
        allowed = p.json_("allowed_updates", "can't parse allowed updates JSON array")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(str(a) for a in allowed) or None
        self._confirm(p.int_("offset") or 0)
        limit = min(max(p.int_("limit") or 100, 1), 100)
        timeout = max(p.int_("timeout") or 0, 0)
        if self._poller is not None and not self._poller.done():
            self._poller.set_result("conflict")
        me: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._poller = me
        self._poll_parked.set()
        try:
            return await self._poll(me, limit, self.now() + timeout)
        finally:
            if self._poller is me:
                self._poller = None

    async def _poll(self, me: asyncio.Future[str], limit: int, deadline: float) -> list[Any]:
        while True:
            if me.done() and me.result() == "conflict":
                raise ApiError(409, CONFLICT_POLLING)
            if self._webhook is not None:
                raise ApiError(409, CONFLICT_WEBHOOK)
            updates = self._deliverable(limit)
            remaining = deadline - self.now()
            if updates or remaining <= 0 or self._closing or me.done():
                if updates:
                    self._last_activity = self.now()
                return updates
            waiters: set[asyncio.Future[Any]] = {self._wakeup_future(), me}
            await asyncio.wait(waiters, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)

    def _confirm(self, offset: int) -> None:
        if offset > 0:
            self._queue = [u for u in self._queue if u["update_id"] >= offset]
        elif offset < 0:
            self._queue = self._queue[offset:]
        else:
            return
        self._last_activity = self.now()

    def _allowed(self, update: dict[str, Any]) -> bool:
        kind = next(k for k in update if k != "update_id")
        if self._allowed_updates is None:
            return kind not in OPT_IN_UPDATES
        return kind in self._allowed_updates

    def _deliverable(self, limit: int) -> list[dict[str, Any]]:
        # Telegram never produces updates a bot opted out of; drop them, they can't be fetched.
        self._queue = [u for u in self._queue if self._allowed(u)]
        return [json.loads(json.dumps(u)) for u in self._queue[:limit]]

    def _enqueue(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": self._next_update_id, kind: payload}
        self._next_update_id += 1
        self._queue.append(update)
        self._notify()
        return update

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates injected but not yet confirmed by the bot (or delivered to its webhook)."""
        return list(self._queue)

    # -- updates: webhook -------------------------------------------------------------

    async def _set_webhook(self, p: Params) -> _Described:
        url = p.str_("url") or ""
        if not url:
            return await self._remove_webhook(
                p, "Webhook was deleted", "Webhook is already deleted"
            )
        self._check_webhook_url(url)
        secret = p.str_("secret_token")
        if secret is not None and not SECRET_RE.match(secret):
            raise bad_request("secret token contains unallowed characters")
        allowed = p.json_("allowed_updates", "can't parse allowed updates JSON array")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(str(a) for a in allowed) or None
        if p.bool_("drop_pending_updates"):
            self._queue.clear()
        same = self._webhook is not None and self._webhook.url == url
        self._webhook = _Webhook(url, secret, p.int_("max_connections") or 40)
        if self._poller is not None and not self._poller.done():
            self._poller.set_result("webhook")
        self._ensure_webhook_worker()
        return _Described(True, "Webhook is already set" if same else "Webhook was set")

    @staticmethod
    def _check_webhook_url(url: str) -> None:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if not host:
            raise bad_request("bad webhook: Failed to resolve host: Name or service not known")
        # Loopback URLs are a test bot listening locally: no TLS or port rules for them.
        if _is_loopback(host):
            return
        if parts.scheme != "https":
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if (parts.port or 443) not in (80, 88, 443, 8443):
            raise bad_request(
                "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
            )

    async def _delete_webhook(self, p: Params) -> _Described:
        return await self._remove_webhook(p, "Webhook was deleted", "Webhook is already deleted")

    async def _remove_webhook(self, p: Params, done: str, already: str) -> _Described:
        if p.bool_("drop_pending_updates"):
            self._queue.clear()
        existed = self._webhook is not None
        self._webhook = None
        await self._stop_webhook_worker()
        return _Described(True, done if existed else already)

    async def _get_webhook_info(self, p: Params) -> dict[str, Any]:
        hook = self._webhook
        info: dict[str, Any] = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
        }
        if hook is None:
            return info
        if hook.last_error_date is not None:
            info["last_error_date"] = hook.last_error_date
            info["last_error_message"] = hook.last_error_message
        info["max_connections"] = hook.max_connections
        info["ip_address"] = "127.0.0.1"
        if self._allowed_updates is not None:
            info["allowed_updates"] = sorted(self._allowed_updates)
        return info

    def _ensure_webhook_worker(self) -> None:
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.get_running_loop().create_task(self._webhook_worker())

    async def _stop_webhook_worker(self) -> None:
        task, self._webhook_task = self._webhook_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._webhook_busy = False

    async def _webhook_worker(self) -> None:
        backoff = 0.1
        while self._webhook is not None and not self._closing:
            self._queue = [u for u in self._queue if self._allowed(u)]
            if not self._queue:
                await self._wakeup_future()
                continue
            update = self._queue[0]
            self._webhook_busy = True
            try:
                error = await self._post_update(self._webhook, update)
            finally:
                self._webhook_busy = False
                self._last_activity = self.now()
            if error is None:
                backoff = 0.1
                if self._queue and self._queue[0] is update:
                    self._queue.pop(0)
                continue
            self._webhook.last_error_date, self._webhook.last_error_message = (
                self.unix_time(),
                error,
            )
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 2.0)

    async def _post_update(self, hook: _Webhook, update: dict[str, Any]) -> str | None:
        if not _is_loopback(urlsplit(hook.url).hostname or ""):
            return "the fake Telegram server delivers webhooks to loopback addresses only"
        if self._client is None:
            self._client = ClientSession(timeout=ClientTimeout(total=30))
        headers = (
            {"X-Telegram-Bot-Api-Secret-Token": hook.secret_token} if hook.secret_token else {}
        )
        try:
            async with self._client.post(hook.url, json=update, headers=headers) as resp:
                if resp.status >= 300:
                    return f"Wrong response from the webhook: {resp.status} {resp.reason}"
                reply = await self._webhook_reply(resp)
        except (TimeoutError, OSError) as err:
            return f"Connection refused ({type(err).__name__})"
        if reply is not None:
            await self.execute(str(reply.pop("method")), reply)
        return None

    @staticmethod
    async def _webhook_reply(resp: Any) -> dict[str, Any] | None:
        """A webhook may answer with a method call, which Telegram then executes."""
        if resp.content_type == "application/json":
            body = await resp.json()
        elif resp.content_type == "multipart/form-data":
            body = {}
            reader = MultipartReader.from_response(resp)
            async for part in reader:
                if not isinstance(part, BodyPartReader):
                    continue
                data = await part.read()
                name = part.name or ""
                body[name] = (
                    Upload(bytes(data), part.filename, part.headers.get("Content-Type"))
                    if part.filename
                    else bytes(data).decode("utf-8")
                )
        else:
            return None
        return body if isinstance(body, dict) and body.get("method") else None

    # -- chats and validation helpers -------------------------------------------------

    def _chat(self, p: Params) -> ChatState:
        raw = p.raw.get("chat_id")
        if raw is None or raw == "":
            raise bad_request("chat_id is empty")
        chat_id = p.int_("chat_id")
        chat = self._chats.get(chat_id) if chat_id is not None else None
        if chat is None or not chat.user.started:
            raise bad_request("chat not found")
        if chat.user.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _format(
        self,
        text: str,
        p: Params,
        *,
        entities_field: str,
        limit: int,
        too_long: str,
        empty: str | None,
    ) -> ParsedText:
        parsed = self._parse_text(text, p.str_("parse_mode"), p, entities_field)
        parsed = trim_text(parsed.text, parsed.entities)
        if not parsed.text and empty is not None:
            raise bad_request(empty)
        if utf16_len(parsed.text) > limit:
            raise bad_request(too_long)
        return ParsedText(
            parsed.text, self._with_users(detect_entities(parsed.text, parsed.entities))
        )

    def _parse_text(
        self, text: str, mode: str | None, p: Params, entities_field: str
    ) -> ParsedText:
        if mode:
            if mode.lower() != "html":
                if mode.lower() in {"markdown", "markdownv2"}:
                    raise bad_request(
                        f"can't parse entities: parse_mode {mode} is not implemented by the "
                        "fake Telegram server; use HTML"
                    )
                raise bad_request("unsupported parse_mode")
            try:
                return parse_html(text, strict_ampersand=self.strict_html)
            except HtmlParseError as err:
                raise bad_request(f"can't parse entities: {err}") from None
        explicit = p.json_(entities_field, "can't parse entities JSON object")
        return ParsedText(text, self._explicit_entities(text, explicit))

    @staticmethod
    def _explicit_entities(text: str, entities: Any) -> list[Entity]:
        if entities is None:
            return []
        if not isinstance(entities, list):
            raise bad_request("can't parse entities JSON object")
        size = utf16_len(text)
        out: list[Entity] = []
        for entity in entities:
            if not isinstance(entity, dict) or not isinstance(entity.get("type"), str):
                raise bad_request('can\'t parse MessageEntity: Field "type" must be of type String')
            offset, length = entity.get("offset"), entity.get("length")
            if not isinstance(offset, int) or not isinstance(length, int):
                raise bad_request(
                    'can\'t parse MessageEntity: Field "offset" must be of type Number'
                )
            if offset < 0 or length <= 0 or offset + length > size:
                continue  # Telegram quietly drops entities that don't fit the text
            out.append(dict(entity))
        return out

    def _with_users(self, entities: list[Entity]) -> list[Entity]:
        for entity in entities:
            if entity["type"] == "text_mention":
                account = self._users.get(int(entity["user"]["id"]))
                if account is not None:
                    entity["user"] = account.as_user()
        return entities

    def _caption(self, p: Params) -> ParsedText | None:
        caption = p.str_("caption")
        if not caption:
            return None
        parsed = self._format(
            caption,
            p,
            entities_field="caption_entities",
            limit=MAX_CAPTION,
            too_long="message caption is too long",
            empty=None,
        )
        return parsed if parsed.text else None

    def _check_rate(self, chat: ChatState) -> None:
        if chat.forced_retry_after:
            retry = chat.forced_retry_after.pop(0)
            raise ApiError(429, f"Too Many Requests: retry after {retry}", retry_after=retry)
        if not self.flood_control:
            return
        now = self.now()
        while self._global_window and self._global_window[0] <= now - 1.0:
            self._global_window.popleft()
        if len(self._global_window) >= self.global_rate:
            wait = max(1, math.ceil(self._global_window[0] + 1.0 - now))
            raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
        bucket = chat.bucket or _Bucket(float(self.flood_burst), now)
        bucket.tokens = min(
            self.flood_burst, bucket.tokens + (now - bucket.updated) * self.flood_rate
        )
        bucket.updated = now
        chat.bucket = bucket
        if bucket.tokens < 1.0:
            wait = max(1, math.ceil((1.0 - bucket.tokens) / self.flood_rate))
            raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
        bucket.tokens -= 1.0
        self._global_window.append(now)

    def _reply_target(self, chat: ChatState, p: Params) -> int | None:
        target = p.int_("reply_to_message_id")
        allow_missing = p.bool_("allow_sending_without_reply")
        params = p.json_("reply_parameters", "can't parse reply parameters JSON object")
        if isinstance(params, dict):
            target = params.get("message_id") if isinstance(params.get("message_id"), int) else None
            allow_missing = bool(params.get("allow_sending_without_reply"))
        if not target:
            return None
        found = chat.find(target)
        if found is None or found.deleted:
            if allow_missing:
                return None
            raise bad_request("message to be replied not found")
        return target

    # -- reply markup -----------------------------------------------------------------

    def _markup(self, p: Params, *, inline_only: bool = False) -> dict[str, Any] | None:
        markup = p.json_("reply_markup", "can't parse reply keyboard markup JSON object")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            return self._inline_keyboard(markup["inline_keyboard"])
        if inline_only:
            raise bad_request("inline keyboard expected")
        if "keyboard" in markup:
            return self._reply_keyboard(markup)
        if "remove_keyboard" in markup:
            if markup["remove_keyboard"] is not True:
                raise bad_request("can't parse reply keyboard markup JSON object")
            return {"remove_keyboard": True}
        if "force_reply" in markup:
            if markup["force_reply"] is not True:
                raise bad_request("can't parse reply keyboard markup JSON object")
            return {
                k: v for k, v in markup.items() if k in {"force_reply", "input_field_placeholder"}
            }
        raise bad_request("can't parse reply keyboard markup JSON object")

    def _inline_keyboard(self, rows: Any) -> dict[str, Any] | None:
        if not isinstance(rows, list):
            raise bad_request('Field "inline_keyboard" must be of type Array')
        result: list[list[dict[str, Any]]] = []
        for row in rows:
            if not isinstance(row, list):
                raise bad_request('Field "inline_keyboard" must be an Array of Arrays')
            if row:
                result.append([self._inline_button(button) for button in row])
        if sum(len(row) for row in result) > 100:
            raise bad_request("reply markup is too long")
        return {"inline_keyboard": result} if result else None

    @staticmethod
    def _inline_button(button: Any) -> dict[str, Any]:
        prefix = "can't parse InlineKeyboardButton: "
        if not isinstance(button, dict):
            raise bad_request(prefix + "Object expected")
        text = button.get("text")
        if text is None:
            raise bad_request(prefix + 'Can\'t find field "text"')
        if not isinstance(text, str):
            raise bad_request(prefix + 'Field "text" must be of type String')
        actions = {k: button[k] for k in INLINE_ACTIONS if button.get(k) not in (None, "")}
        for key in (
            "url",
            "callback_data",
            "switch_inline_query",
            "switch_inline_query_current_chat",
        ):
            if key in actions and not isinstance(actions[key], str):
                raise bad_request(prefix + f'Field "{key}" must be of type String')
        if not actions:
            raise bad_request(prefix + "Text buttons are not allowed in the inline keyboard")
        if len(actions) > 1:
            raise bad_request("BUTTON_TYPE_INVALID")
        if not text.strip():
            raise bad_request("BUTTON_TEXT_INVALID")
        data = actions.get("callback_data")
        if data is not None and len(data.encode("utf-8")) > MAX_CALLBACK_DATA:
            raise bad_request("BUTTON_DATA_INVALID")
        url = actions.get("url")
        if url is not None and _checked_button_url(url) is None:
            raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")
        return {"text": text, **actions}

    @staticmethod
    def _reply_keyboard(markup: dict[str, Any]) -> dict[str, Any]:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request('Field "keyboard" must be an Array of Arrays')
        keyboard = [[_reply_button(b) for b in row] for row in rows if row]
        if not keyboard:
            raise bad_request("keyboard must be non-empty")
        options: dict[str, Any] = {
            k: markup[k]
            for k in (
                "is_persistent",
                "resize_keyboard",
                "one_time_keyboard",
                "input_field_placeholder",
                "selective",
            )
            if k in markup
        }
        placeholder = options.get("input_field_placeholder")
        if isinstance(placeholder, str) and len(placeholder) > 64:
            raise bad_request("input field placeholder is too long")
        return {"keyboard": keyboard, **options}

    # -- sending ----------------------------------------------------------------------

    def _store(self, chat: ChatState, *, from_bot: bool, **content: Any) -> StoredMessage:
        message = StoredMessage(
            message_id=chat.next_message_id,
            chat_id=chat.user.id,
            from_bot=from_bot,
            date=self.unix_time(),
            seq=self._bump(),
            **content,
        )
        chat.next_message_id += 1
        chat.messages.append(message)
        if from_bot:
            self._bot_spoke.set()
        return message

    def _bump(self) -> int:
        self._last_seq = next(self._seq)
        return self._last_seq

    def _apply_keyboard(self, chat: ChatState, markup: dict[str, Any] | None) -> None:
        if markup is None:
            return
        if "keyboard" in markup:
            chat.reply_keyboard = markup
        elif "remove_keyboard" in markup:
            chat.reply_keyboard = None

    async def _send_message(self, p: Params) -> dict[str, Any]:
        markup = self._markup(p)
        chat = self._chat(p)
        text = p.str_("text")
        if not text:
            raise bad_request("message text is empty")
        parsed = self._format(
            text,
            p,
            entities_field="entities",
            limit=MAX_TEXT,
            too_long="message is too long",
            empty="message text is empty",
        )
        reply_to = self._reply_target(chat, p)
        self._check_rate(chat)
        message = self._store(
            chat,
            from_bot=True,
            text=parsed.text,
            raw_text=text,
            parse_mode=p.str_("parse_mode"),
            entities=parsed.entities,
            reply_markup=markup,
            reply_to_message_id=reply_to,
        )
        self._apply_keyboard(chat, markup)
        return self.message_json(message)

    async def _send_document(self, p: Params) -> dict[str, Any]:
        markup = self._markup(p)
        chat = self._chat(p)
        document = self._input_file(p, "document", "document")
        caption = self._caption(p)
        reply_to = self._reply_target(chat, p)
        stored = (
            self._files[document] if isinstance(document, str) else self._new_document(document)
        )
        self._check_rate(chat)
        message = self._store(
            chat,
            from_bot=True,
            document=stored,
            reply_markup=markup,
            reply_to_message_id=reply_to,
            **self._caption_fields(p, caption),
        )
        self._apply_keyboard(chat, markup)
        return self.message_json(message)

    async def _send_photo(self, p: Params) -> dict[str, Any]:
        markup = self._markup(p)
        chat = self._chat(p)
        photo = self._input_file(p, "photo", "photo")
        caption = self._caption(p)
        reply_to = self._reply_target(chat, p)
        if isinstance(photo, str):
            sizes, original = self._photo_sets[photo], None
        else:
            sizes, original = self.process_photo(photo.data), photo.data
        self._check_rate(chat)
        message = self._store(
            chat,
            from_bot=True,
            photo=sizes,
            original_photo=original,
            reply_markup=markup,
            reply_to_message_id=reply_to,
            **self._caption_fields(p, caption),
        )
        self._apply_keyboard(chat, markup)
        return self.message_json(message)

    @staticmethod
    def _caption_fields(p: Params, caption: ParsedText | None) -> dict[str, Any]:
        if caption is None:
            return {}
        return {
            "caption": caption.text,
            "raw_caption": p.str_("caption"),
            "caption_entities": caption.entities,
            "parse_mode": p.str_("parse_mode"),
        }

    def _input_file(self, p: Params, name: str, kind: str) -> Upload | str:
        value = p.file_(name)
        if value is None:
            raise bad_request(f"there is no {name} in the request")
        if isinstance(value, Upload):
            if not value.data:
                raise bad_request("file must be non-empty")
            return value
        if re.match(r"^https?://", value, flags=re.IGNORECASE):
            # No internet here: a URL can't be fetched, so it fails like an unreachable one.
            raise bad_request("failed to get HTTP URL content")
        stored = self._files.get(value)
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if stored.kind != kind:
            raise bad_request(
                f"can't use file of type {stored.kind.capitalize()} as {kind.capitalize()}"
            )
        return value

    def _new_document(self, upload: Upload) -> StoredFile:
        name = upload.filename or "document"
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return self.register_file("document", upload.data, file_name=name, mime_type=mime)

    def register_file(self, kind: str, data: bytes, **info: Any) -> StoredFile:
        file_id, unique_id = _new_file_id(kind)
        stored = StoredFile(file_id, unique_id, kind, data, **info)
        self._files[file_id] = stored
        return stored

    def process_photo(self, data: bytes) -> list[StoredFile]:
        """Validate an image and cut it into PhotoSizes the way Telegram does (JPEG sizes)."""
        sizes = [
            self.register_file("photo", jpeg, width=w, height=h)
            for jpeg, w, h in _photo_sizes(data)
        ]
        for size in sizes:
            self._photo_sets[size.file_id] = sizes
        return sizes

    # -- editing and deleting ---------------------------------------------------------

    def _target_message(self, p: Params, missing: str) -> tuple[ChatState, StoredMessage]:
        if p.present("inline_message_id") and not p.present("chat_id"):
            raise bad_request(missing)
        chat = self._chat(p)
        message_id = p.int_("message_id")
        if not message_id:
            raise bad_request("message identifier is not specified")
        message = chat.find(message_id)
        if message is None or message.deleted:
            raise bad_request(missing)
        return chat, message

    def _editable(self, p: Params) -> StoredMessage:
        _, message = self._target_message(p, "message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return message

    def _apply_edit(self, message: StoredMessage, **changes: Any) -> dict[str, Any]:
        message.edits.append(
            Edit(
                at=self.now(),
                text=message.text,
                raw_text=message.raw_text,
                entities=message.entities,
                caption=message.caption,
                reply_markup=message.reply_markup,
            )
        )
        for key, value in changes.items():
            setattr(message, key, value)
        message.edit_date = self.unix_time()
        message.seq = self._bump()
        return self.message_json(message)

    async def _edit_message_text(self, p: Params) -> dict[str, Any]:
        markup = self._markup(p, inline_only=True)
        message = self._editable(p)
        text = p.str_("text")
        if not text:
            raise bad_request("message text is empty")
        parsed = self._format(
            text,
            p,
            entities_field="entities",
            limit=MAX_TEXT,
            too_long="message is too long",
            empty="message text is empty",
        )
        if message.text is None:
            raise bad_request("there is no text in the message to edit")
        if (parsed.text, parsed.entities, markup) == (
            message.text,
            message.entities,
            message.reply_markup,
        ):
            raise bad_request(NOT_MODIFIED)
        return self._apply_edit(
            message,
            text=parsed.text,
            raw_text=text,
            parse_mode=p.str_("parse_mode"),
            entities=parsed.entities,
            reply_markup=markup,
        )

    async def _edit_message_caption(self, p: Params) -> dict[str, Any]:
        markup = self._markup(p, inline_only=True)
        message = self._editable(p)
        caption = self._caption(p)
        if message.text is not None:
            raise bad_request("there is no caption in the message to edit")
        text, entities = (caption.text, caption.entities) if caption else (None, [])
        if (text, entities, markup) == (
            message.caption,
            message.caption_entities,
            message.reply_markup,
        ):
            raise bad_request(NOT_MODIFIED)
        return self._apply_edit(
            message,
            caption=text,
            raw_caption=p.str_("caption"),
            caption_entities=entities,
            reply_markup=markup,
        )

    async def _edit_message_reply_markup(self, p: Params) -> dict[str, Any]:
        markup = self._markup(p, inline_only=True)
        message = self._editable(p)
        if markup == message.reply_markup:
            raise bad_request(NOT_MODIFIED)
        return self._apply_edit(message, reply_markup=markup)

    async def _delete_message(self, p: Params) -> bool:
        _, message = self._target_message(p, "message to delete not found")
        if self.unix_time() - message.date > 48 * 3600:
            raise bad_request("message can't be deleted for everyone")
        message.deleted = True
        message.seq = self._bump()
        return True

    # -- callbacks, actions, files, commands --------------------------------------------

    async def _answer_callback_query(self, p: Params) -> bool:
        text = p.str_("text")
        if text is not None and len(text) > MAX_ANSWER_TEXT:
            raise bad_request("MESSAGE_TOO_LONG")
        query = self.callback_queries.get(p.str_("callback_query_id") or "")
        if (
            query is None
            or query.answered
            or self.now() - query.created_at > CALLBACK_ANSWER_WINDOW
        ):
            raise bad_request(QUERY_TOO_OLD)
        query.answer = CallbackAnswer(
            text=text or None,
            show_alert=p.bool_("show_alert"),
            url=p.str_("url"),
            cache_time=p.int_("cache_time") or 0,
        )
        return True

    async def _send_chat_action(self, p: Params) -> bool:
        chat = self._chat(p)
        action = p.str_("action") or ""
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        chat.actions.append(action)
        return True

    async def _get_file(self, p: Params) -> dict[str, Any]:
        stored = self._files.get(p.str_("file_id") or "")
        if stored is None:
            raise bad_request("invalid file_id")
        if stored.size > MAX_DOWNLOAD:
            raise bad_request("file is too big")
        if stored.file_path is None:
            folder, default_ext = (
                ("photos", ".jpg") if stored.kind == "photo" else ("documents", "")
            )
            ext = _extension(stored.file_name) or default_ext
            stored.file_path = f"{folder}/file_{len(self._files_by_path)}{ext}"
            self._files_by_path[stored.file_path] = stored
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": stored.file_path,
        }

    def _scope_key(self, p: Params) -> tuple[tuple[Any, ...], str]:
        scope = p.json_("scope", "can't parse BotCommandScope JSON object") or {"type": "default"}
        if not isinstance(scope, dict) or not isinstance(scope.get("type"), str):
            raise bad_request("can't parse BotCommandScope JSON object")
        language = p.str_("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise bad_request("invalid language code specified")
        kind = scope["type"]
        if kind in {"default", "all_private_chats", "all_group_chats", "all_chat_administrators"}:
            return (kind,), language
        if kind in {"chat", "chat_administrators", "chat_member"}:
            chat = self._chat(Params({"chat_id": scope.get("chat_id")}))
            key: tuple[Any, ...] = (kind, chat.user.id)
            if kind == "chat_member":
                key += (scope.get("user_id"),)
            return key, language
        raise bad_request("unsupported bot command scope type")

    async def _set_my_commands(self, p: Params) -> bool:
        commands = p.json_("commands", "can't parse commands JSON object")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad_request("too many commands specified")
        normalized = [_bot_command(command) for command in commands]
        key = self._scope_key(p)
        if normalized:
            self._commands[key] = normalized
        else:
            self._commands.pop(key, None)
        return True

    async def _get_my_commands(self, p: Params) -> list[dict[str, str]]:
        return list(self._commands.get(self._scope_key(p), []))

    async def _delete_my_commands(self, p: Params) -> bool:
        self._commands.pop(self._scope_key(p), None)
        return True

    # -- JSON views -------------------------------------------------------------------

    def message_json(self, message: StoredMessage, *, with_reply: bool = True) -> dict[str, Any]:
        """``message`` as the Bot API's Message object."""
        account = self._chats[message.chat_id].user
        author = self._users[message.sender_id] if message.sender_id is not None else account
        out: dict[str, Any] = {
            "message_id": message.message_id,
            "from": self.bot_user() if message.from_bot else author.as_user(),
            "chat": account.as_chat(),
            "date": message.date,
        }
        if message.edit_date is not None:
            out["edit_date"] = message.edit_date
        if with_reply and message.reply_to_message_id is not None:
            target = self._chats[message.chat_id].find(message.reply_to_message_id)
            if target is not None and not target.deleted:
                out["reply_to_message"] = self.message_json(target, with_reply=False)
        out.update(self._content_json(message))
        # Only inline keyboards belong to a message; reply keyboards live in the client.
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            out["reply_markup"] = json.loads(json.dumps(message.reply_markup))
        return out

    @staticmethod
    def _content_json(message: StoredMessage) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if message.text is not None:
            out["text"] = message.text
            if message.entities:
                out["entities"] = json.loads(json.dumps(message.entities))
        if message.document is not None:
            out["document"] = message.document.document_json()
        if message.photo:
            out["photo"] = [size.photo_size_json() for size in message.photo]
        if message.contact is not None:
            out["contact"] = dict(message.contact)
        if message.caption:
            out["caption"] = message.caption
            if message.caption_entities:
                out["caption_entities"] = json.loads(json.dumps(message.caption_entities))
        return out

    # -- harness: users and what they do ------------------------------------------------

    def user(self, user_id: int, first_name: str, username: str | None = None) -> FakeUser:
        """The simulated person ``user_id`` (created on first use)."""
        existing = self._harness_users.get(user_id)
        if existing is not None:
            return existing
        account = UserAccount(user_id, first_name, username)
        self._users[user_id] = account
        self._chats[user_id] = ChatState(account)
        handle = FakeUser(self, account)
        self._harness_users[user_id] = handle
        return handle

    def account(self, user_id: int) -> UserAccount:
        try:
            return self._users[user_id]
        except KeyError:
            raise KeyError(f"no simulated user {user_id}; create one with fake.user()") from None

    def chat(self, chat_id: int) -> ChatState:
        self.account(chat_id)
        return self._chats[chat_id]

    def block(self, user_id: int) -> None:
        """The user blocks the bot: sends fail with 403 and the bot gets my_chat_member."""
        self._set_blocked(user_id, True)

    def unblock(self, user_id: int) -> None:
        self._set_blocked(user_id, False)

    def _set_blocked(self, user_id: int, blocked: bool) -> None:
        account = self.account(user_id)
        if account.blocked == blocked:
            return
        account.blocked = blocked
        if not account.started:
            return
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        bot_member: dict[str, Any] = {"user": self.bot_user(), "status": new}
        if blocked:
            bot_member["until_date"] = 0
        self._enqueue(
            "my_chat_member",
            {
                "chat": account.as_chat(),
                "from": account.as_user(),
                "date": self.unix_time(),
                "old_chat_member": {
                    "user": self.bot_user(),
                    "status": old,
                    **({"until_date": 0} if old == "kicked" else {}),
                },
                "new_chat_member": bot_member,
            },
        )

    def rate_limit(self, chat_id: int, times: int = 1, retry_after: int = 1) -> None:
        """Make the next ``times`` sends to ``chat_id`` fail with 429 ``retry_after``."""
        self.chat(chat_id).forced_retry_after.extend([retry_after] * times)

    def commands(
        self, scope_chat_id: int | None = None, language_code: str | None = None
    ) -> list[dict[str, str]]:
        """The command menu a private chat sees, resolved the way Telegram clients do."""
        scopes: list[tuple[Any, ...]] = [("all_private_chats",), ("default",)]
        if scope_chat_id is not None:
            scopes.insert(0, ("chat", scope_chat_id))
        languages = [language_code, ""] if language_code else [""]
        for scope in scopes:
            for language in languages:
                found = self._commands.get((scope, language))
                if found:
                    return list(found)
        return []

    def unanswered_callbacks(self) -> list[CallbackQueryRecord]:
        return [q for q in self.callback_queries.values() if not q.answered]

    def mark(self) -> int:
        return self._last_seq

    def _human_pause(self, chat: ChatState) -> None:
        # A person needs seconds between two actions and the chat's flood bucket refills
        # meanwhile; tests act within milliseconds, which would otherwise turn a bot's
        # modest per-action replies into 429s that real users never cause.
        if chat.bucket is not None:
            refill = self.user_think_time * self.flood_rate
            chat.bucket.tokens = min(float(self.flood_burst), chat.bucket.tokens + refill)

    async def wait_for_poll(self, timeout: float = 120.0) -> None:  # noqa: ASYNC109
        """Wait until a getUpdates long poll is parked on the server (the bot is up and
        listening), instead of guessing how long a bot takes to start."""
        async with asyncio.timeout(timeout):
            while self._poller is None or self._poller.done():
                self._poll_parked.clear()
                await self._poll_parked.wait()

    async def wait_for_bot_messages(
        self,
        chat_id: int,
        count: int = 1,
        timeout: float = 120.0,  # noqa: ASYNC109
    ) -> None:
        """Wait until the bot has sent `count` messages in all to `chat_id`: for a bot in
        another process, whose idleness the harness cannot probe."""
        async with asyncio.timeout(timeout):
            while sum(m.from_bot for m in self.chat(chat_id).messages) < count:
                self._bot_spoke.clear()
                await self._bot_spoke.wait()

    def drop_pending_updates(self) -> None:
        """Forget updates the bot has not fetched (like deleteWebhook(drop_pending_updates))."""
        self._queue.clear()

    def inject_message(self, user_id: int, **content: Any) -> StoredMessage:
        """The user sends a message (text=..., document=..., photo=..., contact=...)."""
        account = self.account(user_id)
        if account.blocked:
            raise AssertionError(f"user {user_id} has blocked the bot; call fake.unblock() first")
        account.started = True
        chat = self._chats[user_id]
        self._human_pause(chat)
        message = self._store(chat, from_bot=False, **content)
        self._enqueue("message", self.message_json(message))
        return message

    def group(self, chat_id: int, title: str) -> ChatState:
        """A group chat (negative id) the bot is a member of; members write with
        inject_group_text, and what the bot posts there is in group_messages."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        if chat_id not in self._chats:
            account = UserAccount(chat_id, title, kind="group", title=title, started=True)
            self._users[chat_id] = account
            self._chats[chat_id] = ChatState(account)
        return self._chats[chat_id]

    def inject_group_text(self, chat_id: int, user_id: int, text: str) -> StoredMessage:
        """Member ``user_id`` writes ``text`` in group ``chat_id`` (e.g. `/start@bot payload`,
        which Telegram posts when the bot is added through a startgroup link)."""
        self.account(user_id)
        chat = self._chats.get(chat_id)
        if chat is None or chat.user.kind == "private":
            raise AssertionError(f"no group {chat_id}; create it with fake.group()")
        message = self._store(
            chat, from_bot=False, text=text, entities=detect_entities(text, []), sender_id=user_id
        )
        self._enqueue("message", self.message_json(message))
        return message

    def group_messages(self, chat_id: int) -> list[StoredMessage]:
        return [m for m in self._chats[chat_id].messages if m.from_bot and not m.deleted]

    def inject_raw_update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Queue an update exactly as given (shapes a framework may not read); returns it."""
        return self._enqueue(kind, json.loads(json.dumps(payload)))

    def inject_text(self, user_id: int, text: str) -> StoredMessage:
        entities = detect_entities(text, [])
        return self.inject_message(user_id, text=text, entities=entities)

    def inject_callback_query(
        self, user_id: int, message_id: int, data: str
    ) -> CallbackQueryRecord:
        account = self.account(user_id)
        chat = self._chats[user_id]
        self._human_pause(chat)
        message = chat.find(message_id)
        if message is None or message.deleted or not message.from_bot:
            raise AssertionError(f"chat {user_id} has no bot message {message_id} to press on")
        query = CallbackQueryRecord(
            id=str(secrets.randbits(63)),
            user_id=user_id,
            chat_id=user_id,
            message_id=message_id,
            data=data,
            created_at=self.now(),
        )
        self.callback_queries[query.id] = query
        self._enqueue(
            "callback_query",
            {
                "id": query.id,
                "from": account.as_user(),
                "message": self.message_json(message),
                "chat_instance": chat.chat_instance,
                "data": data,
            },
        )
        return query

    # -- harness: waiting for the bot ---------------------------------------------------

    def _is_settled(self, quiet: float) -> bool:
        if self._queue or self._inflight > 0 or self._webhook_busy:
            return False
        if self.now() - self._last_activity < quiet:
            return False
        return self.idle_probe is None or bool(self.idle_probe())

    # The harness API promised to tests takes a plain timeout argument.
    async def settle(self, timeout: float = 10.0, quiet: float = 0.05) -> None:  # noqa: ASYNC109
        """Wait until the bot has dealt with everything the users did.

        Settled means: every injected update was fetched (offset confirmed, or delivered to
        the webhook), no bot request is in flight, none arrived in the last ``quiet``
        seconds, and ``idle_probe()`` (if set) is True. Raises TimeoutError listing what
        is still pending otherwise.
        """
        deadline = self.now() + timeout
        while not self._is_settled(quiet):
            if self.now() >= deadline:
                raise TimeoutError(self._settle_report(timeout))
            await asyncio.sleep(0.005)

    def _settle_report(self, timeout: float) -> str:
        lines = [f"the bot did not settle within {timeout:.1f}s"]
        for update in self._queue:
            kind = next(k for k in update if k != "update_id")
            lines.append(f"  pending update {update['update_id']} ({kind}): {_brief(update[kind])}")
        if self._inflight:
            lines.append(f"  {self._inflight} bot request(s) still in flight")
        if self._webhook is not None and self._webhook.last_error_message:
            lines.append(f"  webhook delivery failing: {self._webhook.last_error_message}")
        if self.idle_probe is not None and not self.idle_probe():
            lines.append("  idle_probe() is still False")
        if self._queue and self._webhook is None and not self.calls("getUpdates"):
            lines.append(
                "  nobody is polling getUpdates and no webhook is set: is the bot running?"
            )
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------


def _brief(payload: dict[str, Any]) -> str:
    for key in ("text", "data", "caption"):
        if key in payload:
            return f"{key}={payload[key]!r}"
    return ", ".join(sorted(payload))


def _extension(file_name: str | None) -> str:
    if not file_name or "." not in file_name:
        return ""
    ext = "." + file_name.rsplit(".", 1)[1].lower()
    return ext if re.fullmatch(r"\.[a-z0-9]{1,8}", ext) else ""


def _checked_button_url(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme.lower() == "tg":
        return url
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        return None
    return url


def _reply_button(button: Any) -> dict[str, Any]:
    if isinstance(button, str):
        button = {"text": button}
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request('can\'t parse KeyboardButton: Field "text" must be of type String')
    if not button["text"].strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    requests = [k for k in REPLY_BUTTON_REQUESTS if button.get(k) not in (None, False)]
    if len(requests) > 1:
        raise bad_request("BUTTON_TYPE_INVALID")
    return {"text": button["text"], **{k: button[k] for k in requests}}


def _bot_command(command: Any) -> dict[str, str]:
    if not isinstance(command, dict):
        raise bad_request("can't parse BotCommand: Object expected")
    name, description = command.get("command"), command.get("description")
    if not isinstance(name, str) or not COMMAND_RE.match(name.removeprefix("/")):
        raise bad_request("BOT_COMMAND_INVALID")
    if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
        raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    return {"command": name.removeprefix("/"), "description": description}


def _photo_sizes(data: bytes) -> list[tuple[bytes, int, int]]:
    """JPEG renditions of an image (90..2560 px on the long side), smallest first."""
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:  # pragma: no cover - Pillow ships with matplotlib, a project dependency
        raise bad_request("IMAGE_PROCESS_FAILED") from None
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
            image_format = probe.format
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise bad_request("IMAGE_PROCESS_FAILED") from None
    if image_format not in {"JPEG", "PNG", "WEBP"}:
        raise bad_request("IMAGE_PROCESS_FAILED")
    width, height = image.size
    if width + height > 10000 or max(width, height) > 20 * min(width, height):
        raise bad_request("PHOTO_INVALID_DIMENSIONS")
    rgb = image.convert("RGB")
    longest = max(width, height)
    limits = [limit for limit in PHOTO_SIZES if limit < longest] + [min(longest, PHOTO_SIZES[-1])]
    out: list[tuple[bytes, int, int]] = []
    for limit in limits:
        copy = rgb.copy()
        copy.thumbnail((limit, limit))
        buffer = io.BytesIO()
        copy.save(buffer, format="JPEG", quality=87)
        out.append((buffer.getvalue(), copy.width, copy.height))
    return out


def validate_image(data: bytes) -> None:
    """Raise ValueError unless ``data`` is an image Telegram would accept as a photo."""
    try:
        _photo_sizes(data)
    except ApiError as err:
        raise ValueError(err.description) from None

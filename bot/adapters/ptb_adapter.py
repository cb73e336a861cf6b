"""The ChatApp over python-telegram-bot 22: translate updates in, execute replies out."""

from __future__ import annotations

import asyncio
import datetime as dtm
import logging
import warnings
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import telegram
from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.error import RetryAfter as PtbRetryAfter
from telegram.ext import Application, BaseUpdateProcessor, Defaults, TypeHandler

from bot.adapters.translate import to_callback_event, to_inline, to_markup, to_message_event
from bot.delivery import (
    ApiError,
    Blocked,
    ChatPacer,
    Deliverer,
    InFlight,
    KeyedLocks,
    NotModified,
    RetryAfter,
    UpdateRunner,
    is_not_modified,
)
from handlers.events import CallbackEvent, MessageEvent
from handlers.ports import ChatApp
from handlers.replies import (
    InlineKeyboard,
    Markup,
    Reply,
    SendDocument,
)

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query"]
PtbMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None
AnyApplication = Application[Any, Any, Any, Any, Any, Any]


def to_event(update: Update) -> MessageEvent | CallbackEvent | None:
    if update.message is not None:
        return to_message_event(update.message)
    if update.callback_query is not None:
        return to_callback_event(update.callback_query)
    return None


def retry_seconds(exc: PtbRetryAfter) -> float:
    # PTB 22 returns int or timedelta depending on PTB_TIMEDELTA, warning about the int form.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


@contextmanager
def api_errors(method: str) -> Iterator[None]:
    """Maps PTB's exceptions onto the deliverer's vocabulary."""
    try:
        yield
    except PtbRetryAfter as exc:
        raise RetryAfter(retry_seconds(exc)) from exc
    except Forbidden as exc:
        raise Blocked(exc.message) from exc
    except BadRequest as exc:
        if is_not_modified(exc.message):
            raise NotModified(exc.message) from exc
        raise ApiError(method, exc.message) from exc
    except TelegramError as exc:
        raise ApiError(method, f"{type(exc).__name__}: {exc.message}") from exc


class PtbApi:
    """The deliverer's ApiPort (and the handlers' FileFetcher) over a PTB Bot."""

    def __init__(self, application: AnyApplication) -> None:
        self.bot = application.bot

    async def send_message(self, chat_id: int, text: str, markup: Markup) -> int:
        with api_errors("sendMessage"):
            sent = await self.bot.send_message(
                chat_id, text, reply_markup=to_markup(markup, telegram)
            )
        return int(sent.message_id)

    async def edit_message(
        self, chat_id: int, message_id: int, text: str, markup: InlineKeyboard | None
    ) -> None:
        reply_markup = to_inline(markup, telegram) if markup is not None else None
        with api_errors("editMessageText"):
            await self.bot.edit_message_text(
                text, chat_id=chat_id, message_id=message_id, reply_markup=reply_markup
            )

    async def answer_callback(self, callback_id: str, text: str | None, alert: bool) -> None:
        with api_errors("answerCallbackQuery"):
            await self.bot.answer_callback_query(callback_id, text=text, show_alert=alert)

    async def send_document(self, doc: SendDocument) -> int:
        source: str | bytes
        if doc.telegram_file_id:
            source = doc.telegram_file_id
        else:
            source = await asyncio.to_thread(Path(doc.path).read_bytes)
        if doc.as_photo:
            with api_errors("sendPhoto"):
                sent = await self.bot.send_photo(
                    doc.chat_id, source, caption=doc.caption, filename=doc.file_name
                )
        else:
            with api_errors("sendDocument"):
                sent = await self.bot.send_document(
                    doc.chat_id, source, caption=doc.caption, filename=doc.file_name
                )
        return int(sent.message_id)

    async def set_commands(self, commands: Sequence[tuple[str, str]], chat_id: int | None) -> None:
        menu = [BotCommand(name, text) for name, text in commands]
        scope = BotCommandScopeChat(chat_id) if chat_id is not None else None
        with api_errors("setMyCommands"):
            await self.bot.set_my_commands(menu, scope=scope)

    async def download(self, file_id: str) -> bytes:
        with api_errors("getFile"):
            remote = await self.bot.get_file(file_id)
            return bytes(await remote.download_as_bytearray())


class CountingQueue(asyncio.Queue[object]):
    """PTB's update queue, counting updates from "fetched" until "processed".

    PTB puts each fetched update here, and calls task_done() once its handlers ran. Counting
    there (not in our handler) closes the window in which an update sits in the queue while
    the next getUpdates is already out, which would look idle to a test harness.
    """

    def __init__(self, inflight: InFlight) -> None:
        super().__init__()
        self._inflight = inflight

    def put_nowait(self, item: object) -> None:
        super().put_nowait(item)
        self._inflight.enter()

    def task_done(self) -> None:
        super().task_done()
        self._inflight.leave()


class PerUserInOrder(BaseUpdateProcessor):
    """Concurrent across users, one at a time (in arrival order) for the same user."""

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._locks = KeyedLocks()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        user = update.effective_user if isinstance(update, Update) else None
        async with self._locks.hold(user.id if user is not None else None):
            await coroutine

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


class PtbAdapter:
    """Long polling with python-telegram-bot's Application and Updater."""

    def __init__(
        self,
        token: str,
        app: ChatApp,
        *,
        api_base: str,
        inflight: InFlight | None = None,
        polling_timeout: int = 10,
        pacer: ChatPacer | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        inflight = inflight or InFlight()
        base = api_base.rstrip("/")
        self.application: AnyApplication = (
            Application.builder()
            .token(token)
            .base_url(f"{base}/bot")
            .base_file_url(f"{base}/file/bot")
            .defaults(Defaults(parse_mode=ParseMode.HTML))
            .concurrent_updates(PerUserInOrder())
            .update_queue(CountingQueue(inflight))
            .job_queue(None)  # scheduling is the workflow's business, not the adapter's
            .build()
        )
        self.api = PtbApi(self.application)
        self.runner = UpdateRunner(
            app, self.api, inflight, Deliverer(self.api, app, pacer=pacer, sleep=sleep)
        )
        self._polling_timeout = polling_timeout
        self.application.add_handler(TypeHandler(Update, self._on_update))

    @property
    def inflight(self) -> InFlight:
        return self.runner.inflight

    async def deliver(self, replies: Sequence[Reply]) -> None:
        """Messages the bot starts itself (reminders, digests), through the same paced path."""
        with self.inflight.track():
            await self.runner.deliverer.deliver(replies)

    async def _on_update(self, update: Update, _context: object) -> None:
        await self.runner.run(to_event(update))  # counted by CountingQueue

    async def start(self) -> None:
        await self.application.initialize()  # getMe: fails fast on a bad token
        await self.application.bot.delete_webhook()  # getUpdates is refused while one is set
        await self.runner.startup()
        updater = self.application.updater
        assert updater is not None  # the builder always makes one unless told not to
        await updater.start_polling(timeout=self._polling_timeout, allowed_updates=ALLOWED_UPDATES)
        await self.application.start()

    async def stop(self) -> None:
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.application.running:
            await self.application.stop()  # waits for the updates already fetched
        await self.application.shutdown()


async def fetch_username(token: str, api_base: str) -> str:
    """getMe through python-telegram-bot's own Bot (for the CLI's invite link)."""
    base = api_base.rstrip("/")
    bot = telegram.Bot(token, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot")
    with api_errors("getMe"):
        async with bot:  # initialize() calls getMe; shutdown() closes the HTTP client
            return bot.username

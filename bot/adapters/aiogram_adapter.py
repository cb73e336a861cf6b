"""The ChatApp over aiogram 3: translate updates in, execute replies out. No chat logic here."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager, suppress

import aiohttp
from aiogram import Bot, Dispatcher
from aiogram import types as aiogram_types
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    AiogramError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    CallbackQuery,
    FSInputFile,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

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
from handlers.ports import ChatApp
from handlers.replies import (
    InlineKeyboard,
    Markup,
    Reply,
    SendDocument,
)

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query"]
AiogramMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None


@contextmanager
def api_errors(method: str) -> Iterator[None]:
    """Maps aiogram's exceptions onto the deliverer's vocabulary."""
    try:
        yield
    except TelegramRetryAfter as exc:
        raise RetryAfter(exc.retry_after) from exc
    except TelegramForbiddenError as exc:
        raise Blocked(exc.message) from exc
    except TelegramBadRequest as exc:
        if is_not_modified(exc.message):
            raise NotModified(exc.message) from exc
        raise ApiError(method, exc.message) from exc
    except TelegramAPIError as exc:
        raise ApiError(method, exc.message) from exc
    except (AiogramError, aiohttp.ClientError, TimeoutError) as exc:
        raise ApiError(method, f"{type(exc).__name__}: {exc}") from exc


class AiogramApi:
    """The deliverer's ApiPort (and the handlers' FileFetcher) over an aiogram Bot."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send_message(self, chat_id: int, text: str, markup: Markup) -> int:
        with api_errors("sendMessage"):
            sent = await self.bot.send_message(
                chat_id, text, reply_markup=to_markup(markup, aiogram_types)
            )
        return sent.message_id

    async def edit_message(
        self, chat_id: int, message_id: int, text: str, markup: InlineKeyboard | None
    ) -> None:
        reply_markup = to_inline(markup, aiogram_types) if markup is not None else None
        with api_errors("editMessageText"):
            await self.bot.edit_message_text(
                text, chat_id=chat_id, message_id=message_id, reply_markup=reply_markup
            )

    async def answer_callback(self, callback_id: str, text: str | None, alert: bool) -> None:
        with api_errors("answerCallbackQuery"):
            await self.bot.answer_callback_query(callback_id, text=text, show_alert=alert)

    async def send_document(self, doc: SendDocument) -> int:
        source = doc.telegram_file_id or FSInputFile(doc.path, filename=doc.file_name)
        if doc.as_photo:
            with api_errors("sendPhoto"):
                sent = await self.bot.send_photo(doc.chat_id, source, caption=doc.caption)
        else:
            with api_errors("sendDocument"):
                sent = await self.bot.send_document(doc.chat_id, source, caption=doc.caption)
        return sent.message_id

    async def set_commands(self, commands: Sequence[tuple[str, str]], chat_id: int | None) -> None:
        menu = [BotCommand(command=name, description=text) for name, text in commands]
        scope = BotCommandScopeChat(chat_id=chat_id) if chat_id is not None else None
        with api_errors("setMyCommands"):
            await self.bot.set_my_commands(menu, scope=scope)

    async def download(self, file_id: str) -> bytes:
        with api_errors("getFile"):
            buffer = await self.bot.download(file_id)
        if buffer is None:
            raise ApiError("getFile", "no content")
        return buffer.read()


class AiogramAdapter:
    """Long polling with aiogram; one task per update (aiogram's default), in order per user."""

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
        session = AiohttpSession(api=TelegramAPIServer.from_base(api_base))
        self.bot = Bot(
            token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML)
        )
        self.api = AiogramApi(self.bot)
        self.runner = UpdateRunner(
            app, self.api, inflight, Deliverer(self.api, app, pacer=pacer, sleep=sleep)
        )
        self._polling_timeout = polling_timeout
        self._in_order = KeyedLocks()  # one user's updates in order, as with the PTB adapter
        self._dispatcher = Dispatcher(disable_fsm=True)  # state lives in the database, not here
        self._dispatcher.message.register(self._on_message)
        self._dispatcher.callback_query.register(self._on_callback)
        self._dispatcher.startup.register(self._on_polling_started)
        self._polling_started = asyncio.Event()
        self._polling: asyncio.Task[None] | None = None

    @property
    def inflight(self) -> InFlight:
        return self.runner.inflight

    async def deliver(self, replies: Sequence[Reply]) -> None:
        """Messages the bot starts itself (reminders, digests), through the same paced path."""
        with self.inflight.track():
            await self.runner.deliverer.deliver(replies)

    async def _on_message(self, message: Message) -> None:
        user_id = message.from_user.id if message.from_user else None
        with self.inflight.track():
            async with self._in_order.hold(user_id):
                await self.runner.run(to_message_event(message))

    async def _on_callback(self, callback_query: CallbackQuery) -> None:
        with self.inflight.track():
            async with self._in_order.hold(callback_query.from_user.id):
                await self.runner.run(to_callback_event(callback_query))

    async def _on_polling_started(self) -> None:
        self._polling_started.set()

    async def start(self) -> None:
        await self.bot.me()  # fails fast on a bad token instead of retrying getUpdates forever
        await self.bot.delete_webhook()  # getUpdates is refused while a webhook is set
        await self.runner.startup()
        self._polling = asyncio.create_task(
            self._dispatcher.start_polling(
                self.bot,
                polling_timeout=self._polling_timeout,
                allowed_updates=ALLOWED_UPDATES,
                handle_signals=False,  # the runtime owns signals
                close_bot_session=False,  # closed in stop(), after handlers have finished
            ),
            name="aiogram-polling",
        )

    async def stop(self, drain_timeout: float = 10.0) -> None:
        if self._polling is not None and not self._polling.done():
            # stop_polling() refuses to run before polling has begun: wait for that first.
            started = asyncio.ensure_future(self._polling_started.wait())
            await asyncio.wait({started, self._polling}, return_when=asyncio.FIRST_COMPLETED)
            started.cancel()
            with suppress(asyncio.CancelledError):
                await started
            if not self._polling.done():
                await self._dispatcher.stop_polling()
        if self._polling is not None:
            await asyncio.wait({self._polling})  # never raises; the outcome is read below
            if not self._polling.cancelled() and self._polling.exception() is not None:
                log.error("aiogram polling ended with an error", exc_info=self._polling.exception())
        # Updates already received still get their replies before the session closes.
        if not await self.inflight.wait_idle(drain_timeout):
            log.warning("stopping with %d updates still in flight", self.inflight.count)
        await asyncio.sleep(0)  # let aiogram's per-update tasks return after our handler did
        await self.bot.session.close()


async def fetch_username(token: str, api_base: str) -> str:
    """getMe through aiogram's own Bot (the CLI's invite link needs the bot's username)."""
    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(api_base)))
    try:
        with api_errors("getMe"):
            me = await bot.get_me()
    finally:
        await bot.session.close()
    return me.username or ""

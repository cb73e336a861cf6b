"""The ChatApp over aiogram 3: translate updates in, execute replies out. No chat logic here."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

import aiohttp

# isort: split
import bot.adapters.aiogram_lazy  # noqa: F401  (first: aiogram's types built when first used)

# isort: split
from aiogram import Bot, Dispatcher
from aiogram import methods as aiogram_methods
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
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    FSInputFile,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)

from bot.adapters.translate import to_event, to_inline, to_markup
from bot.delivery import (
    ApiError,
    Blocked,
    ChatPacer,
    Deliverer,
    InFlight,
    NotModified,
    Rejected,
    RetryAfter,
    UpdateRunner,
    is_not_modified,
)
from bot.intake import Intake, RawUpdate
from bot.webhook import WebhookConfig
from handlers.ports import ChatApp
from handlers.replies import (
    InlineKeyboard,
    Markup,
    Reply,
    SendDocument,
)

log = logging.getLogger(__name__)

# aiogram reads every answer as Response[<the method's type>], a pydantic generic that pydantic
# caches only weakly: once the garbage collector took it, the next call built the class again
# (about 4 % of the bot's time under load). Holding the ones we call keeps them built.
_RESPONSES = tuple(
    Response[method.__returning__]  # type: ignore[name-defined]
    for method in (
        aiogram_methods.SendMessage,
        aiogram_methods.SendDocument,
        aiogram_methods.SendPhoto,
        aiogram_methods.EditMessageText,
        aiogram_methods.AnswerCallbackQuery,
        aiogram_methods.SetMyCommands,
        aiogram_methods.GetFile,
    )
)

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
        raise Rejected(method, exc.message) from exc
    except TelegramAPIError as exc:
        raise ApiError(method, exc.message) from exc
    except (AiogramError, aiohttp.ClientError, TimeoutError) as exc:
        # Not chained: the library's exception may carry the request URL, token included.
        raise ApiError(method, f"{type(exc).__name__}: {exc}") from None


class GetRawUpdates(TelegramMethod[list[dict[str, Any]]]):
    """getUpdates through aiogram's own session, but answered as raw JSON: each update is
    then decoded on its own (bot.intake), so one aiogram cannot read spoils nothing else."""

    __returning__: ClassVar[Any] = list[dict[str, Any]]
    __api_method__: ClassVar[str] = "getUpdates"

    offset: int | None = None
    timeout: int | None = None
    allowed_updates: list[str] | None = None


class AiogramApi:
    """The deliverer's ApiPort (and the handlers' FileFetcher) over an aiogram Bot."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send_message(
        self, chat_id: int, text: str, markup: Markup, reply_to: int | None = None
    ) -> int:
        # A reply whose original was deleted is still sent, as a plain message.
        reply = (
            aiogram_types.ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)
            if reply_to
            else None
        )
        with api_errors("sendMessage"):
            sent = await self.bot.send_message(
                chat_id,
                text,
                reply_markup=to_markup(markup, aiogram_types),
                reply_parameters=reply,
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
    """aiogram's Bot and Dispatcher, fed one raw update at a time by bot.intake (polling or
    webhook): concurrent across users, in order per user."""

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
        webhook: WebhookConfig | None = None,
    ) -> None:
        session = AiohttpSession(api=TelegramAPIServer.from_base(api_base))
        self.bot = Bot(
            token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML)
        )
        self.api = AiogramApi(self.bot)
        self.runner = UpdateRunner(
            app, self.api, inflight, Deliverer(self.api, app, pacer=pacer, sleep=sleep)
        )
        self._dispatcher = Dispatcher(disable_fsm=True)  # state lives in the database, not here
        for observer in (
            self._dispatcher.message,
            self._dispatcher.callback_query,
            self._dispatcher.my_chat_member,
        ):
            observer.register(self._on_update)
        self.intake = Intake(
            self,
            self.runner.deliverer,
            self.runner.inflight,
            polling_timeout=polling_timeout,
            webhook=webhook,
        )

    @property
    def inflight(self) -> InFlight:
        return self.runner.inflight

    async def deliver(self, replies: Sequence[Reply]) -> None:
        """Messages the bot starts itself (reminders, digests), through the same paced path."""
        with self.inflight.track():
            await self.runner.deliverer.deliver(replies)

    async def feed(self, raw: RawUpdate) -> None:
        """One raw update, decoded on its own; never raises (see bot.intake.Feeder)."""
        await self.intake.feeder.feed(raw)

    # -- bot.intake.Transport -------------------------------------------------------------

    async def get_updates(
        self, offset: int | None, long_poll: int, allowed_updates: list[str]
    ) -> list[RawUpdate]:
        method = GetRawUpdates(offset=offset, timeout=long_poll, allowed_updates=allowed_updates)
        return await self.bot(method, request_timeout=int(self.bot.session.timeout + long_poll))

    def decode(self, raw: RawUpdate) -> object:
        update = Update.model_validate(raw, context={"bot": self.bot})
        to_event(update)  # what aiogram reads, our translation must read too
        return update

    async def dispatch(self, update: object) -> None:
        assert isinstance(update, Update)
        await self._dispatcher.feed_update(self.bot, update)

    async def set_webhook(self, url: str, secret: str, allowed_updates: list[str]) -> None:
        await self.bot.set_webhook(url, secret_token=secret, allowed_updates=allowed_updates)

    async def delete_webhook(self) -> None:
        await self.bot.delete_webhook()

    # --------------------------------------------------------------------------------------

    async def _on_update(self, _event: object, event_update: Update) -> None:
        await self.runner.run(to_event(event_update))  # ordered and counted by the Feeder

    async def start(self) -> None:
        await self.bot.me()  # fails fast on a bad token instead of retrying getUpdates forever
        await self.runner.startup()
        await self.intake.start()

    async def drain(self, drain_timeout: float = 10.0) -> None:
        """Stops taking updates and lets the ones already received finish; Telegram can still
        be called afterwards (the outbox sender's last sends)."""
        await self.intake.stop(drain_timeout)

    async def stop(self, drain_timeout: float = 10.0) -> None:
        # Updates already received still get their replies before the session closes.
        await self.drain(drain_timeout)
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

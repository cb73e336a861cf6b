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
from telegram.ext import Application, Defaults, TypeHandler

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

PtbMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None
AnyApplication = Application[Any, Any, Any, Any, Any, Any]


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
        raise Rejected(method, exc.message) from exc
    except TelegramError as exc:
        # Not chained: the library's exception may carry the request URL, token included.
        raise ApiError(method, f"{type(exc).__name__}: {exc.message}") from None


class PtbApi:
    """The deliverer's ApiPort (and the handlers' FileFetcher) over a PTB Bot."""

    def __init__(self, application: AnyApplication) -> None:
        self.bot = application.bot

    async def send_message(
        self, chat_id: int, text: str, markup: Markup, reply_to: int | None = None
    ) -> int:
        # A reply whose original was deleted is still sent, as a plain message.
        reply = (
            telegram.ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)
            if reply_to
            else None
        )
        with api_errors("sendMessage"):
            sent = await self.bot.send_message(
                chat_id, text, reply_markup=to_markup(markup, telegram), reply_parameters=reply
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


class PtbAdapter:
    """python-telegram-bot's Application (no Updater), fed one raw update at a time by
    bot.intake (polling or webhook): concurrent across users, in order per user."""

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
        base = api_base.rstrip("/")
        self.application: AnyApplication = (
            Application.builder()
            .token(token)
            .base_url(f"{base}/bot")
            .base_file_url(f"{base}/file/bot")
            .defaults(Defaults(parse_mode=ParseMode.HTML))
            .updater(None)  # bot.intake fetches raw updates and decodes them one by one
            .job_queue(None)  # scheduling is the workflow's business, not the adapter's
            .build()
        )
        self.api = PtbApi(self.application)
        self.runner = UpdateRunner(
            app, self.api, inflight, Deliverer(self.api, app, pacer=pacer, sleep=sleep)
        )
        self.application.add_handler(TypeHandler(Update, self._on_update))
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
        kwargs: dict[str, Any] = {"timeout": long_poll, "allowed_updates": allowed_updates}
        if offset is not None:
            kwargs["offset"] = offset
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PTB's note that do_api_request is for new methods
            result = await self.application.bot.do_api_request(
                "getUpdates", api_kwargs=kwargs, read_timeout=long_poll + 10
            )
        return list(result) if isinstance(result, list | tuple) else []

    def decode(self, raw: RawUpdate) -> object:
        update = Update.de_json(raw, self.application.bot)
        to_event(update)  # what PTB reads, our translation must read too
        return update

    async def dispatch(self, update: object) -> None:
        await self.application.process_update(update)

    async def set_webhook(self, url: str, secret: str, allowed_updates: list[str]) -> None:
        await self.application.bot.set_webhook(
            url, secret_token=secret, allowed_updates=allowed_updates
        )

    async def delete_webhook(self) -> None:
        await self.application.bot.delete_webhook()

    # --------------------------------------------------------------------------------------

    async def _on_update(self, update: Update, _context: object) -> None:
        await self.runner.run(to_event(update))  # ordered and counted by the Feeder

    async def start(self) -> None:
        await self.application.initialize()  # getMe: fails fast on a bad token
        await self.runner.startup()
        await self.intake.start()

    async def drain(self, drain_timeout: float = 10.0) -> None:
        """Stops taking updates and lets the ones already received finish; Telegram can still
        be called afterwards (the outbox sender's last sends)."""
        await self.intake.stop(drain_timeout)

    async def stop(self, drain_timeout: float = 10.0) -> None:
        await self.drain(drain_timeout)  # updates already received finish first
        await self.application.shutdown()  # then the HTTP client is closed


async def fetch_username(token: str, api_base: str) -> str:
    """getMe through python-telegram-bot's own Bot (for the CLI's invite link)."""
    base = api_base.rstrip("/")
    bot = telegram.Bot(token, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot")
    with api_errors("getMe"):
        async with bot:  # initialize() calls getMe; shutdown() closes the HTTP client
            return bot.username

"""Running the bot: pick the framework, keep the token out of the logs, poll until told to stop."""

from __future__ import annotations

import asyncio
import importlib
import logging
import signal
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from types import ModuleType
from typing import TYPE_CHECKING, Protocol

from bot.config import Settings
from bot.delivery import ApiPort, ChatPacer, InFlight
from handlers.ports import ChatApp
from handlers.replies import Reply

if TYPE_CHECKING:
    from bot.factory import Product
    from bot.webhook import WebhookConfig

log = logging.getLogger(__name__)

# httpx logs every request URL — which contains the bot token — at INFO; the others log each
# update or request body at INFO/DEBUG (noise, and users' messages have no place in logs).
CHATTY_LOGGERS = (
    "httpx",
    "httpcore",
    "aiogram.event",
    "telegram.Bot",
    "telegram.ext.ExtBot",
    "telegram.BaseRequest",
    "telegram.HTTPXRequest",
)
MASK = "<BOT_TOKEN>"


class BotAdapter(Protocol):
    @property
    def inflight(self) -> InFlight: ...

    @property
    def api(self) -> ApiPort:
        """The Bot API calls over this framework (the outbox sender's way out)."""
        ...

    async def deliver(self, replies: Sequence[Reply]) -> None:
        """Sends replies the bot starts itself (reminders, digests), paced like the others."""
        ...

    async def start(self) -> None:
        """Deletes any webhook, sends the app's startup replies, then begins long polling."""
        ...

    async def drain(self) -> None:
        """Stops taking updates and lets those already received finish; sends still work."""
        ...

    async def stop(self) -> None:
        """Drains, then closes the HTTP session (nothing can be sent after it)."""
        ...


class TokenMaskFilter(logging.Filter):
    """Replaces bot tokens in log records; sits on handlers, so it sees every library's records."""

    def __init__(self) -> None:
        super().__init__("token-mask")
        self.tokens: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.tokens:
            return True
        message = record.getMessage()
        masked = self._mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            # Exceptions from HTTP clients may carry the request URL; format them once, masked.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._mask(record.exc_text)
        return True

    def _mask(self, text: str) -> str:
        for token in self.tokens:
            text = text.replace(token, MASK)
        return text


TOKEN_FILTER = TokenMaskFilter()


def protect_token(token: str) -> None:
    """Quiets the URL-logging libraries and masks `token` on every root handler (idempotent)."""
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    TOKEN_FILTER.tokens.add(token)
    for handler in logging.getLogger().handlers:
        if TOKEN_FILTER not in handler.filters:
            handler.addFilter(TOKEN_FILTER)


# framework setting -> (adapter module, the framework's top-level package, the extra to install)
FRAMEWORKS = {
    "aiogram": ("bot.adapters.aiogram_adapter", "aiogram", "aiogram"),
    "ptb": ("bot.adapters.ptb_adapter", "telegram", "ptb"),
}


class FrameworkMissing(RuntimeError):
    """The configured Telegram framework is not installed (each one is an extra)."""

    def __init__(self, framework: str) -> None:
        package = FRAMEWORKS[framework][1]
        extra = FRAMEWORKS[framework][2]
        super().__init__(
            f"Kerangka {package} belum terpasang: pip install 'mitramedia[{extra}]' "
            f"(atau atur BOT_FRAMEWORK ke kerangka yang terpasang)."
        )


def adapter_module(framework: str) -> ModuleType:
    """Imports the adapter of `framework` (and so the framework itself, only that one)."""
    module, package, _ = FRAMEWORKS[framework]
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        if exc.name is not None and exc.name.split(".")[0] == package:
            raise FrameworkMissing(framework) from None
        raise


def build_adapter(
    settings: Settings,
    app: ChatApp,
    inflight: InFlight | None = None,
    *,
    polling_timeout: int = 10,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    webhook: WebhookConfig | None = None,
) -> BotAdapter:
    """The adapter for `settings.bot_framework`; only that framework gets imported. `clock` and
    `sleep` pace sends and wait out 429s (tests pass virtual ones)."""
    token = settings.token()
    protect_token(token)
    module = adapter_module(settings.bot_framework)
    adapter_class = module.PtbAdapter if settings.bot_framework == "ptb" else module.AiogramAdapter
    pacer = ChatPacer(
        burst=settings.pace_burst, interval=settings.pace_interval, clock=clock, sleep=sleep
    )
    adapter: BotAdapter = adapter_class(
        token,
        app,
        api_base=settings.telegram_api_base,
        inflight=inflight or InFlight(),
        polling_timeout=polling_timeout,
        pacer=pacer,
        sleep=sleep,
        webhook=webhook,
    )
    return adapter


async def bot_username(settings: Settings) -> str | None:
    """The bot's @username from getMe, through the configured adapter's own Bot; None without a
    token or when Telegram cannot be reached (callers then show a placeholder)."""
    if settings.bot_token is None:
        return None
    protect_token(settings.token())
    module = adapter_module(settings.bot_framework)
    try:
        return str(await module.fetch_username(settings.token(), settings.telegram_api_base))
    except Exception as exc:  # the adapter maps its errors; the token is masked in any log
        log.warning("getMe failed: %s", str(exc).replace(settings.token(), MASK))
        return None


def build_whatsapp_adapter(
    settings: Settings, product: Product, inflight: InFlight | None = None
) -> BotAdapter:
    """The WhatsApp adapter (bot/whatsapp/adapter.py) over the product's database; its token,
    app secret and verify token are masked in every log from here on."""
    from bot.whatsapp.adapter import WhatsAppAdapter

    whatsapp = settings.whatsapp()
    for secret in whatsapp.secrets():
        protect_token(secret)
    adapter: BotAdapter = WhatsAppAdapter(
        whatsapp,
        product.app,
        product.sessions,
        product.clock,
        inflight=inflight,
        office=product.app.deps.spec.office.name,
        spec=product.app.deps.spec,
    )
    return adapter


async def run_polling(
    settings: Settings,
    app: ChatApp,
    *,
    inflight: InFlight | None = None,
    stop_event: asyncio.Event | None = None,
    with_scheduler: Product | None = None,
) -> None:
    """Polls until `stop_event` is set — or, without one, until SIGINT/SIGTERM. With a product,
    the outbox sender and the SLA sweep run in the same process. With WEBHOOK_URL set, updates
    come in on a webhook instead of long polling (same handling, see bot.intake).

    BOT_PLATFORMS picks the apps: an adapter and an outbox sender for each (WhatsApp needs the
    product: its message ids live in the database)."""
    platforms = settings.platforms()
    adapters: dict[str, BotAdapter] = {}
    if "whatsapp" in platforms:  # first: its settings are checked before anything is opened
        if with_scheduler is None:
            raise ValueError("WhatsApp runs with the product (its database)")
        adapters["whatsapp"] = build_whatsapp_adapter(settings, with_scheduler, inflight)
    webhook = None
    if "telegram" in platforms:
        if settings.webhook_url:
            from bot.webhook import webhook_from_settings

            webhook = webhook_from_settings(settings)
            TOKEN_FILTER.tokens.add(webhook.secret)  # the secret is a credential too
        adapters["telegram"] = build_adapter(settings, app, inflight, webhook=webhook)
    scheduler = None
    senders = []
    if with_scheduler is not None:
        from bot.outbox_sender import sender_for
        from bot.scheduler import SlaScheduler

        senders = [
            sender_for(with_scheduler, adapter.api, settings, platform=platform)
            for platform, adapter in adapters.items()
        ]

        scheduler = SlaScheduler(
            with_scheduler.sessions,
            with_scheduler.clock,
            with_scheduler.app.deps.spec,
            with_scheduler.app.on_queued,  # every platform's sender (sender_for added each)
            settings.sweep_seconds,
            archive=with_scheduler.app.deps.archive,
        )
        if webhook is not None:
            from bot.health import product_health, rules_for

            webhook.health = product_health(
                with_scheduler.sessions,
                with_scheduler.clock,
                scheduler,
                rules_for(settings.sweep_seconds),
            )
    own_signals = stop_event is None
    stop = stop_event or asyncio.Event()
    if own_signals:
        _on_signals(stop.set)
    try:
        for adapter in adapters.values():
            await adapter.start()
        for sender in senders:
            await sender.start()
        if scheduler is not None:
            scheduler.start()
        log.info("bot running (%s; %s)", ", ".join(platforms), settings.bot_framework)
        await stop.wait()
    finally:
        if scheduler is not None:
            scheduler.stop()
        for adapter in adapters.values():
            await adapter.drain()  # updates in flight finish and queue their replies
        if with_scheduler is not None:
            # After the drain: every drawing of the updates in flight is done and stored (the
            # replies it queued go out with the sender's last round below).
            await asyncio.to_thread(with_scheduler.app.deps.drawing.close)
        for sender in senders:
            await sender.stop()  # then what is due goes out, while the session is open
        for adapter in adapters.values():
            await adapter.stop()
        if own_signals:
            _on_signals(None)
        log.info("bot stopped")


def _on_signals(callback: Callable[[], object] | None) -> None:
    """Installs `callback` for SIGINT/SIGTERM, or removes ours when it is None."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError, RuntimeError):  # not on Windows / not main thread
            if callback is None:
                loop.remove_signal_handler(sig)
            else:
                loop.add_signal_handler(sig, callback)

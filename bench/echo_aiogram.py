"""A bare aiogram 3 echo bot, the yardstick of bench/load.py: BOT_TOKEN, TELEGRAM_API_BASE."""

from __future__ import annotations

import asyncio
import os

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import CallbackQuery, Message


async def main() -> None:
    session = AiohttpSession(api=TelegramAPIServer.from_base(os.environ["TELEGRAM_API_BASE"]))
    bot = Bot(os.environ["BOT_TOKEN"], session=session)
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> None:
        await bot.send_message(message.chat.id, message.text or "?")

    @dispatcher.callback_query()
    async def pressed(query: CallbackQuery) -> None:
        await bot.answer_callback_query(query.id)

    await dispatcher.start_polling(bot, handle_signals=True, polling_timeout=10)


if __name__ == "__main__":
    asyncio.run(main())

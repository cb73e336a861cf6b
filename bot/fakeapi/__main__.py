"""Run the fake Bot API server on its own: ``python -m bot.fakeapi --port 8081``.

Point a bot at ``http://127.0.0.1:8081`` (aiogram: ``TelegramAPIServer.from_base``,
python-telegram-bot: ``base_url=.../bot``) and, with ``--chat``, talk to it from this
terminal as a simulated user: type text to send it, ``!press LABEL`` to tap an inline
button, ``!tap LABEL`` for a reply-keyboard button, ``!contact`` to share the contact.

``--faults FILE`` arms injected faults (see ``bot.fakeapi.faults``) from a JSON list such as
``[{"method": "sendMessage", "kind": "status", "code": 502, "times": 3},
{"method": "sendMessage", "chat_id": 1001, "kind": "hang_after"}]``; each one applied is
logged on stderr. Held requests (``hang``, ``hang_after``) wait until their client hangs
up, or ``!release`` in the ``--chat`` console.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys
from pathlib import Path

from .harness import FakeUser
from .server import FakeTelegram


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot.fakeapi", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456:TEST-token")
    parser.add_argument("--username", default="mitramedia_bot")
    parser.add_argument("--name", default="Mitra Media")
    parser.add_argument("--no-flood-control", action="store_true")
    parser.add_argument("--faults", metavar="FILE", type=Path, help="JSON list of faults to arm")
    parser.add_argument(
        "--chat",
        metavar="USER_ID:NAME",
        help="chat with the bot from this terminal as the given simulated user",
    )
    return parser.parse_args(argv)


def _print_new(user: FakeUser, since: int) -> None:
    for message in user.visible_bot_messages:
        if message.seq <= since:
            continue
        edited = " (edited)" if message.edits else ""
        print(f"bot #{message.message_id}{edited}: {message.content_text}")
        if message.document is not None:
            print(f"   [document {message.document.file_name}, {message.document.size} bytes]")
        if message.button_labels():
            print(f"   buttons: {message.button_labels()}")


async def _act(user: FakeUser, line: str) -> None:
    if line.startswith("!press "):
        answer = await user.press(line.removeprefix("!press ").strip())
        if answer is not None and answer.text:
            print(f"   [{'alert' if answer.show_alert else 'toast'}: {answer.text}]")
    elif line.startswith("!tap "):
        await user.tap_reply_button(line.removeprefix("!tap ").strip())
    elif line.strip() == "!contact":
        await user.share_contact()
    elif line.strip() == "!release":
        for rule in user.fake.faults.rules:
            if rule.fault.gate is not None:
                rule.fault.gate.release()
    else:
        await user.send(line)


async def _console(fake: FakeTelegram, spec: str) -> None:
    user_id, _, name = spec.partition(":")
    user = fake.user(int(user_id), name or "Tester")
    loop = asyncio.get_running_loop()
    print(f"chatting as {user!r}; Ctrl-D to quit")
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            return
        if not line.strip():
            continue
        since = user.mark()
        try:
            await _act(user, line.rstrip("\n"))
        except (AssertionError, TimeoutError, ValueError) as err:
            print(f"   !! {err}")
        _print_new(user, since)


def build(args: argparse.Namespace) -> FakeTelegram:
    fake = FakeTelegram(
        token=args.token,
        bot_username=args.username,
        bot_name=args.name,
        host=args.host,
        port=args.port,
        flood_control=not args.no_flood_control,
    )
    if args.faults is not None:
        fake.faults.load(json.loads(args.faults.read_text()))
    return fake


async def _main(args: argparse.Namespace) -> None:
    if args.faults is not None:
        logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    fake = build(args)
    async with fake:
        print(f"fake Telegram Bot API at {fake.base_url} (token {fake.token})", flush=True)
        if args.chat:
            await _console(fake, args.chat)
        else:
            await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> None:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(_parse_args(argv)))


if __name__ == "__main__":
    main()

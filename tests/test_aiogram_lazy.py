"""aiogram imported with its types built on first use (bot/adapters/aiogram_lazy.py) still reads
every answer and builds every method: a newer aiogram that breaks the trick fails here, not in
front of a user."""

from __future__ import annotations

import subprocess
import sys
import textwrap

CHECK = textwrap.dedent(
    """
    import bot.adapters.aiogram_adapter  # imports aiogram the lazy way
    import aiogram.methods as methods
    from aiogram.methods.base import Response, TelegramMethod
    from aiogram.types import Update

    def check():
        broken = []
        for name in methods.__all__:
            method = getattr(methods, name)
            if not (isinstance(method, type) and issubclass(method, TelegramMethod)):
                continue
            if method is TelegramMethod or not hasattr(method, "__returning__"):
                continue
            try:
                for model in (Response[method.__returning__], method):
                    assert model.__pydantic_validator__.validate_python  # builds it, or raises
                    assert model.__pydantic_complete__
            except Exception as error:
                broken.append(f"{name}: {error}"[:200])
        update = Update.model_validate({
            "update_id": 1,
            "message": {"message_id": 1, "date": 1, "chat": {"id": 5, "type": "private"},
                        "from": {"id": 5, "is_bot": False, "first_name": "A"}, "text": "/x",
                        "reply_to_message": {"message_id": 0, "date": 1,
                                             "chat": {"id": 5, "type": "private"}}},
        })
        assert update.message.reply_to_message.chat.id == 5
        assert Update.__pydantic_complete__
        return broken

    broken = check()
    print("\\n".join(broken))
    raise SystemExit(1 if broken else 0)
    """
)


def test_lazily_imported_aiogram_builds_every_method_and_answer() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def test_the_lazy_import_defers_the_types() -> None:
    probe = (
        "import bot.adapters.aiogram_adapter\n"
        "from aiogram.types import Message, Sticker\n"
        "print(Message.__pydantic_complete__, Sticker.__pydantic_complete__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.stdout.split() == ["False", "False"], done.stderr[-3000:]

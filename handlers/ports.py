"""What chat logic needs from the outside world, as protocols the bot layer implements."""

from __future__ import annotations

from typing import Protocol

from handlers.events import Event
from handlers.replies import PromptRef, Reply


class FileFetcher(Protocol):
    async def download(self, file_id: str) -> bytes: ...


class ChatApp(Protocol):
    """The framework-free chat logic an adapter drives."""

    async def handle(self, event: Event, files: FileFetcher) -> list[Reply]: ...

    async def prompt_sent(
        self, ref: PromptRef, chat_id: int, message_id: int, platform: str = "telegram"
    ) -> None: ...

    async def startup(self) -> list[Reply]: ...

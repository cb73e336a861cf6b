"""The playground's clock: real time by default, which a trainer may run fast or jump ahead.

It is the product's injected clock (workflow.clock.Clock), so the engine, the SLA sweep and the
working-time calendar read the same "now" as in production, only moved on by hand.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta


class PlaygroundClock:
    def __init__(self, start: datetime, monotonic: Callable[[], float] = time.monotonic) -> None:
        if start.tzinfo is None:
            raise ValueError("PlaygroundClock needs an aware datetime")
        self._monotonic = monotonic
        self._base = start
        self._anchor = monotonic()

    def now(self) -> datetime:
        return self._base + timedelta(seconds=self._monotonic() - self._anchor)

    def jump_to(self, when: datetime) -> datetime:
        """Moves to ``when``; time never runs backwards (deadlines and claims assume it)."""
        current = self.now()
        self._base, self._anchor = max(when, current), self._monotonic()
        return self._base

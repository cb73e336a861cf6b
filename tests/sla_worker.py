"""One bot process's SLA sweep, for the two-process test: waits for a shared start instant,
sweeps once at a fixed 'now', prints the notice keys it claimed as JSON."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from datetime import datetime

from handlers.sla import sweep
from storage.db import create_engine, session_factory
from workflow.loader import builtin_sops, load_spec


async def main(url: str, now: str, start_at: float, sop: str) -> None:
    engine = create_engine(url)
    sessions = session_factory(engine)
    spec = load_spec(builtin_sops()[sop])
    async with sessions() as session:  # connect before the start line, so both race fairly
        await session.connection()
    await asyncio.sleep(max(0.0, start_at - time.time()))
    result = await sweep(sessions, datetime.fromisoformat(now), spec, worker=sys.argv[0])
    print(json.dumps({"claimed": result.claimed, "messages": len(result.replies)}))
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]))

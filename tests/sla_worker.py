"""One bot process's SLA sweep, for the two-process test: connects, says "ready", waits for
"go" on stdin (the test's start line for both), sweeps once at a fixed 'now', prints the notice
keys it claimed as JSON."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime

from handlers.sla import sweep
from storage.db import create_engine, session_factory
from workflow.loader import builtin_sops, load_spec


async def main(url: str, now: str, sop: str) -> None:
    engine = create_engine(url)
    sessions = session_factory(engine)
    spec = load_spec(builtin_sops()[sop])
    async with sessions() as session:  # connect before the start line, so both race fairly
        await session.connection()
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    result = await sweep(sessions, datetime.fromisoformat(now), spec, worker=sys.argv[0])
    print(json.dumps({"claimed": result.claimed, "messages": len(result.replies)}))
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))

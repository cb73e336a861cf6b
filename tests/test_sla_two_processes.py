"""Two bot processes sweep one PostgreSQL database at the same instant: no notice twice."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storage.models import Notice
from tests.conftest import POSTGRES_URL
from tests.test_sla import START, _case_at_step, wib

ROOT = Path(__file__).resolve().parent.parent


async def test_two_processes_sweeping_together_send_each_notice_once(sessions, db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("the multi-process deployment runs on PostgreSQL")
    cases = []
    for _ in range(4):
        cases.append(await _case_at_step(sessions, "sanggau-hubungan-media", 9, START))
    now = wib(2027, 1, 12, 13, 31).isoformat()  # past escalation: overdue + repeat + escalate
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.sla_worker",
            POSTGRES_URL,
            now,
            "sanggau-hubungan-media",
            cwd=ROOT,
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]
    for worker in workers:  # both connected: then one start line for both, no clock involved
        assert worker.stdout is not None
        ready = await asyncio.wait_for(worker.stdout.readline(), 60)
        assert ready.strip() == b"ready", ready
    outputs = []
    for worker in workers:
        out, err = await asyncio.wait_for(worker.communicate(b"go\n"), 60)
        assert worker.returncode == 0, err.decode()
        outputs.append(json.loads(out.decode().strip().splitlines()[-1]))
    first, second = (set(o["claimed"]) for o in outputs)
    assert not first & second  # nothing claimed by both
    task_keys = {k for k in first | second if k.startswith("task:")}
    assert len(task_keys) == 4 * 3  # overdue, the latest repeat and the escalation per task
    async with sessions() as s:
        assert await s.scalar(select(func.count(Notice.id))) == len(first | second)

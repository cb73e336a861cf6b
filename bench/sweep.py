"""The scheduler and the report at size, on PostgreSQL: 100,000 open tasks (20 % overdue, their
notices already claimed, as on any tick after the first), one SLA sweep, then /laporan's month.

    .venv/bin/python bench/sweep.py --url postgresql+asyncpg://postgres@127.0.0.1:5432/bench_h11
    .venv/bin/python bench/sweep.py --url ... --tasks 10000 --now now --bot-memory

The database is emptied and rebuilt (it must be named bench_*). Open tasks come from 200 start
moments spread over the last 30 days across the Sanggau SOP's steps, one case each; a tenth as
many tasks closed this month feed the report. `--bot-memory` then runs `mitramedia run`
(aiogram) on that database through the fake Bot API and reads its memory once it answers,
after an SLA tick over the open tasks, and after the head of office's month report (seed with
`--now now`: the bot runs on the real clock, and the seeded notices must be as of then).
Prints JSON figures; nothing here is a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.load import ObservedFake, children, first_reply, running, status_kb  # noqa: E402
from handlers.reports import _write, month_start  # noqa: E402
from handlers.sla import sweep  # noqa: E402
from storage.db import create_engine, reading, session_factory, transaction  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Case, Notice, Task, User, UserRole  # noqa: E402
from workflow.clock import ManualClock  # noqa: E402
from workflow.compliance import compute  # noqa: E402
from workflow.loader import load_spec, resolve_sop  # noqa: E402
from workflow.registry import calendar_of, install  # noqa: E402
from workflow.sla import due_notices  # noqa: E402
from workflow.sla_schedule import next_notice_at, policy_of, window_of  # noqa: E402

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # Thursday 10:00 WIB, a working day
CHUNK = 5000


async def reset(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()
    await asyncio.to_thread(upgrade, url)


async def seed(url: str, tasks: int, overdue_share: float, now: datetime) -> dict[str, float]:
    rng = random.Random(11)
    spec = load_spec(resolve_sop("sanggau-hubungan-media"))
    calendar = calendar_of(spec)
    engine = create_engine(url)
    sessions = session_factory(engine)
    began = time.perf_counter()
    async with transaction(sessions) as session:
        version = await install(session, spec, ManualClock(now))
        people = []
        for n, role in enumerate(spec.roles):
            user = User(telegram_id=10_000 + n, name=f"Petugas {role}", created_at=now)
            user.roles = [UserRole(role=role, granted_at=now)]
            people.append(user)
        applicants = [
            User(telegram_id=20_000 + n, name=f"Wartawan {n}", is_journalist=True, created_at=now)
            for n in range(200)
        ]
        session.add_all(people + applicants)
        await session.flush()
        applicant_ids = [a.id for a in applicants]
        version_id = version.id
    steps = [s for s in spec.steps if s.role != spec.applicant_role]
    # A few window shapes, each computed once: (start, step) -> due, next moment, claimed keys.
    shapes = []
    for n in range(200):
        overdue = n < int(200 * overdue_share)
        step = steps[n % len(steps)]
        start = now - (timedelta(days=30) * (n + 1) / 200 if overdue else timedelta(minutes=n))
        due = calendar.add(start, step.time, step.clock)
        if overdue and due >= now:
            start = now - timedelta(days=60)
            due = calendar.add(start, step.time, step.clock)
        probe = Task(
            id=0, kind="step", step_number=step.number, created_at=start, sla_start_at=start,
            due_at=due, clock=step.clock,
        )  # fmt: skip
        window, policy = window_of(probe), policy_of(spec, probe)
        kinds = [n.key.split(":")[2:] for n in due_notices(window, policy, calendar, now)]
        shapes.append((step, start, due, next_notice_at(spec, probe, now), kinds))
    case_rows, task_rows, notice_rows = [], [], []
    for n in range(tasks):
        step, start, due, next_at, kinds = shapes[rng.randrange(len(shapes))]
        case_rows.append(
            {
                "id": n + 1,
                "sop_version_id": version_id,
                "applicant_id": applicant_ids[n % len(applicant_ids)],
                "status": "open",
                "current_step": step.number,
                "period": 0,
                "subject": f"Permohonan {n}",
                "created_at": start,
            }
        )
        common = {
            "case_id": n + 1, "step_number": step.number, "kind": "step", "role": step.role,
            "period": 0, "checklist": {}, "created_at": start, "sla_start_at": start,
            "due_at": due, "clock": step.clock, "paused_seconds": 0,
        }  # fmt: skip
        task_rows.append({"id": n + 1, "status": "open", "next_notice_at": next_at, **common})
        for parts in kinds:
            key = ":".join(["task", str(n + 1), *parts])
            notice_rows.append(
                {"key": key, "kind": parts[0], "task_id": n + 1, "claimed_at": now,
                 "claimed_by": "seed", "recipients": 1}
            )  # fmt: skip
    # Closed this month, for the report: a tenth as many, some late.
    since = month_start(now, spec.office.timezone)
    for m in range(tasks // 10):
        step = steps[m % len(steps)]
        start = since + timedelta(hours=rng.randrange(min(24 * 20, _hours(now - since) - 1)))
        due = calendar.add(start, step.time, step.clock)
        closed = min(start + (due - start) * rng.uniform(0.2, 1.6), now - timedelta(minutes=1))
        case_id = rng.randrange(tasks) + 1
        task_rows.append(
            {
                "id": tasks + m + 1, "case_id": case_id, "step_number": step.number,
                "kind": "step", "role": step.role, "period": 0, "checklist": {},
                "created_at": start, "sla_start_at": start, "due_at": due, "clock": step.clock,
                "paused_seconds": 0, "status": "done", "closed_at": closed,
                "closed_by": people[list(spec.roles).index(step.role)].id,
                "action": "forward", "next_notice_at": None,
            }
        )  # fmt: skip
    async with transaction(sessions) as session:
        for table, rows in ((Case, case_rows), (Task, task_rows), (Notice, notice_rows)):
            for start_at in range(0, len(rows), CHUNK):
                await session.execute(insert(table), rows[start_at : start_at + CHUNK])
        for name in ("case", "task", "notice"):
            await session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
                    f'(SELECT max(id) FROM "{name}"))'
                )
            )
    async with engine.begin() as connection:
        await connection.execute(text("ANALYZE"))
    await engine.dispose()
    return {
        "seed_s": round(time.perf_counter() - began, 1),
        "open_tasks": tasks,
        "closed_tasks": tasks // 10,
        "claimed_notices": len(notice_rows),
    }


def _hours(span: timedelta) -> int:
    return max(2, int(span.total_seconds() // 3600))


async def measure(url: str, repeats: int, now: datetime) -> dict[str, object]:
    spec = load_spec(resolve_sop("sanggau-hubungan-media"))
    engine = create_engine(url)
    sessions = session_factory(engine)
    out: dict[str, object] = {}
    sweeps = []
    for n in range(repeats):
        began = time.perf_counter()
        result = await sweep(sessions, now + timedelta(seconds=30 * n), spec, worker="bench")
        sweeps.append(round(time.perf_counter() - began, 3))
        out[f"sweep_{n}_claimed"] = len(result.claimed)
    out["sweep_s"] = sweeps  # the first one also claims the day's digest (20 oldest rows)
    reports = []
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(repeats):
            began = time.perf_counter()
            async with reading(sessions) as session:
                since = month_start(now, spec.office.timezone)
                report = await compute(
                    session, since=since, until=now, now=now, sops=[spec], tz="Asia/Jakarta"
                )
            computed = time.perf_counter() - began
            await asyncio.to_thread(_write, report, Path(folder), "bench", "Asia/Jakarta")
            reports.append((round(computed, 3), round(time.perf_counter() - began, 3)))
    out["report_compute_s"] = [c for c, _ in reports]
    out["report_with_png_xlsx_s"] = [t for _, t in reports]
    await engine.dispose()
    return out


def _mb(pid: int, field: str) -> float:
    return round(status_kb(pid, field) / 1024, 1)


async def bot_memory(url: str) -> dict[str, object]:
    """`mitramedia run` on the seeded database: its memory once it answers, after an SLA tick
    (every 30 s) over the open tasks, and after the head of office's /laporan for this month
    (computed in the bot, drawn as PNG and XLSX in its drawing worker)."""
    spec = load_spec(resolve_sop("sanggau-hubungan-media"))
    head = 10_000 + list(spec.roles).index(spec.report_roles[0])  # as seed() numbered them
    fake = ObservedFake(flood_control=False)
    out: dict[str, object] = {}
    async with fake, running("mitra-aiogram", fake, url) as bot:
        pid = bot.process.pid
        out["bot_first_reply_s"] = round(await first_reply(fake, bot), 2)
        out["bot_rss_answering_mb"] = _mb(pid, "VmRSS")
        await asyncio.sleep(35)
        out["bot_rss_after_sweep_mb"] = _mb(pid, "VmRSS")
        fake.user(head, "Kadis")
        await asyncio.wait_for(fake.send(head, "/laporan"), 60)
        menu = next(m for m in reversed(fake.chat(head).messages) if m.inline_keyboard)
        began = time.perf_counter()
        fake.inject_callback_query(
            head, menu.message_id, menu.inline_keyboard[0][0]["callback_data"]
        )
        while len(fake.calls("sendPhoto")) + len(fake.calls("sendDocument")) < 2:
            if time.perf_counter() - began > 180:
                raise TimeoutError("the report never came")
            await asyncio.sleep(0.1)
        out["bot_report_s"] = round(time.perf_counter() - began, 2)
        out["bot_rss_after_report_mb"] = _mb(pid, "VmRSS")
        out["bot_peak_rss_mb"] = _mb(pid, "VmHWM")
        workers = children(pid)
        out["drawing_worker_peak_rss_mb"] = max((_mb(w, "VmHWM") for w in workers), default=0)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="postgresql+asyncpg://.../bench_*")
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--overdue", type=float, default=0.2)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--reuse", action="store_true", help="measure the seeded database again")
    parser.add_argument(
        "--now", default=NOW.isoformat(), help="the seeded moment: ISO, or 'now' (the real clock)"
    )
    parser.add_argument(
        "--bot-memory", action="store_true", help="then run the bot on it and read its memory"
    )
    args = parser.parse_args()
    name = make_url(args.url).database or ""
    if not name.startswith("bench"):
        sys.exit(f"refusing to empty database {name!r}: its name must start with 'bench'")
    figures: dict[str, object] = {"load_before": Path("/proc/loadavg").read_text().split()[0]}
    now = datetime.now(UTC) if args.now == "now" else datetime.fromisoformat(args.now)
    if not args.reuse:
        asyncio.run(reset(args.url))
        figures.update(asyncio.run(seed(args.url, args.tasks, args.overdue, now)))
    figures.update(asyncio.run(measure(args.url, args.repeats, now)))
    if args.bot_memory:
        figures.update(asyncio.run(bot_memory(args.url)))
    figures["load_after"] = Path("/proc/loadavg").read_text().split()[0]
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

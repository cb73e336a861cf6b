"""When a task's SLA notices fall due: a warning before the standard runs out, 'overdue' at
100 %, escalation up the chain at 200 %, and a repeat reminder every N working hours after.

Pure functions of the task's window [sla_start_at, due_at] on the office calendar, so the
sweep, the tests and a restarted process all agree on the moments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from workflow.calendar import WorkingCalendar
from workflow.durations import Duration
from workflow.spec import SlaPolicy

Kind = Literal["warn", "overdue", "escalate", "repeat"]
MAX_REPEATS = 500


@dataclass(frozen=True)
class Notice:
    kind: Kind
    key: str  # unique per task and moment: claiming it twice is impossible
    at: datetime


@dataclass(frozen=True)
class Window:
    task_id: int
    start: datetime
    due: datetime
    clock: Literal["working", "calendar"]


def moments(window: Window, policy: SlaPolicy, calendar: WorkingCalendar) -> dict[str, datetime]:
    """The instants each notice becomes due (warn omitted for short standards)."""
    clock = window.clock
    standard = calendar.elapsed(window.start, window.due, clock)
    points = {
        "overdue": calendar.point_at(window.start, window.due, policy.overdue_at, clock),
        "escalate": calendar.point_at(window.start, window.due, policy.escalate_at, clock),
    }
    if standard >= _span(policy.warn_min_standard):
        points["warn"] = calendar.point_at(window.start, window.due, policy.warn_at, clock)
    return points


def due_notices(
    window: Window, policy: SlaPolicy, calendar: WorkingCalendar, now: datetime
) -> list[Notice]:
    """Every notice whose moment has passed. The caller claims each key once; a warning that
    was missed (the bot was down) is dropped once the task is already overdue."""
    points = moments(window, policy, calendar)
    out: list[Notice] = []
    overdue_at = points["overdue"]
    if "warn" in points and points["warn"] <= now < overdue_at:
        out.append(Notice("warn", f"task:{window.task_id}:warn", points["warn"]))
    if now >= overdue_at:
        out.append(Notice("overdue", f"task:{window.task_id}:overdue", overdue_at))
        repeat = latest_repeat(overdue_at, policy.repeat_every, window.clock, calendar, now)
        if repeat is not None:
            number, at = repeat
            out.append(Notice("repeat", f"task:{window.task_id}:repeat:{number}", at))
    if now >= points["escalate"]:
        out.append(Notice("escalate", f"task:{window.task_id}:escalate", points["escalate"]))
    return out


def latest_repeat(
    overdue_at: datetime,
    every: Duration,
    clock: Literal["working", "calendar"],
    calendar: WorkingCalendar,
    now: datetime,
) -> tuple[int, datetime] | None:
    """The newest repeat moment passed: only that one is sent, so a restart after a long
    stop sends one reminder, not a backlog."""
    found: tuple[int, datetime] | None = None
    at = overdue_at
    for number in range(1, MAX_REPEATS):
        at = calendar.add(at, every, clock)
        if at > now:
            break
        found = (number, at)
    return found


def _span(duration: Duration) -> timedelta:
    # Compared with working time elapsed: a working day is counted as its office hours.
    return timedelta(minutes=duration.minutes) + timedelta(hours=8) * duration.days


def next_moment(
    window: Window, policy: SlaPolicy, calendar: WorkingCalendar, after: datetime | None, kind: str
) -> datetime | None:
    """The first notice moment later than `after` (any moment at all when `after` is None): the
    sweep need not look at the task before then, since no new notice key can fall due sooner.
    None when none is left (past escalation and the last repeat). A revision task is never
    escalated, so its escalation moment does not count."""
    points = moments(window, policy, calendar)
    if kind == "revision":
        points.pop("escalate")
    candidates: list[datetime | None] = [
        at for at in points.values() if after is None or at > after
    ]
    overdue_at = points["overdue"]
    if after is not None and after >= overdue_at:
        candidates.append(
            _next_repeat(overdue_at, policy.repeat_every, window.clock, calendar, after)
        )
    found = [at for at in candidates if at is not None]
    return min(found) if found else None


def _next_repeat(
    overdue_at: datetime,
    every: Duration,
    clock: Literal["working", "calendar"],
    calendar: WorkingCalendar,
    after: datetime,
) -> datetime | None:
    # The same walk as latest_repeat: the first repeat moment past `after`, if within the cap.
    at = overdue_at
    for _number in range(1, MAX_REPEATS):
        at = calendar.add(at, every, clock)
        if at > after:
            return at
    return None

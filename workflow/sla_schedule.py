"""A task's stored next notice moment (`task.next_notice_at`), so a sweep reads only due tasks.

Set when a task opens or resumes (its first moment) and by the sweep after it claimed what was
due (the first moment still ahead). Only an open task's value means anything; NULL on an open
task (rows from before the column, tasks made outside the engine) means "look now", and the
sweep fills it in.
"""

from __future__ import annotations

from datetime import datetime

from storage.models import Task
from workflow.registry import calendar_of
from workflow.sla import Window, next_moment
from workflow.spec import SlaPolicy, SopSpec


def window_of(task: Task) -> Window:
    return Window(task.id, task.sla_start_at or task.created_at, task.due_at, task.clock)  # type: ignore[arg-type]


def policy_of(spec: SopSpec, task: Task) -> SlaPolicy:
    return spec.sla if task.kind == "revision" else spec.sla_for(spec.step(task.step_number))


def next_notice_at(spec: SopSpec, task: Task, after: datetime | None) -> datetime | None:
    """The first notice moment later than `after`; with None, the task's first moment at all
    (a resumed task may have moments already passed whose keys were never claimed)."""
    return next_moment(window_of(task), policy_of(spec, task), calendar_of(spec), after, task.kind)


def schedule(spec: SopSpec, task: Task, after: datetime | None = None) -> None:
    task.next_notice_at = next_notice_at(spec, task, after)

"""SLA compliance: how long each SOP step really takes against its time standard, and who is slow.

Definitions (fixed here, because the head of office compares months with each other):

* Only *step* tasks count. Revision tasks are the applicant's turn after a return, not the
  office's work; cancelled tasks never finished. Both are left out everywhere.
* A task belongs to the period when it was closed (status ``done``) at an instant in
  ``[since, until)``.
* Time taken = ``calendar.elapsed(sla_start_at or created_at, closed_at, task.clock)``. The
  engine moves ``sla_start_at`` later by the time a task waited on the applicant, so a return
  is not counted against the official; old rows without it fall back to ``created_at``.
* The task's standard span = ``calendar.elapsed(sla_start_at or created_at, due_at, clock)``:
  the same clock and units as the time taken, so ``taken / standard`` is a fair ratio even when
  "2 hari" crosses a weekend.
* Within standard: ``closed_at <= due_at`` (``due_at`` is extended by waiting time too).
* Median: :func:`statistics.median` (the mean of the two middle values when n is even).
* P90: nearest rank — the ``ceil(0.9 * n)``-th smallest value (1-based), so it is always a
  time that really happened (with n < 10 it is the maximum).
* Overdue now: a step task with status ``open`` and ``due_at < now``. A task waiting on the
  applicant is paused and never overdue.
* Delay of a closed task: ``calendar.elapsed(due_at, closed_at, clock)`` when it closed after
  its due time, else zero. A person's *typical delay* is the median of their delays (zero when
  most of their tasks were on time) and the *worst delay* the largest; both are shown, so a
  3 h 20 min delay is never hidden behind "usually on time".
* Slowest first: people are ranked by typical delay, then overdue work now, then worst delay,
  then the lowest on-time share.
* Headline: only the officials' steps; the applicant's own steps are counted apart.
* Per person: the official who closed the task (``closed_by``); steps of the applicant's own
  role (e.g. "Pers mengirimkan berita") appear per step but not per person, because the table
  is there to show the office's officials. "Overdue now" of a person counts every overdue open
  task of any role they hold (anyone holding the role could pick it up).
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Case, Task, User, UserRole
from workflow.calendar import ClockKind, WorkingCalendar
from workflow.durations import Duration
from workflow.registry import calendar_of, spec_of
from workflow.spec import SopSpec, Step
from workflow.timefmt import format_duration

ACTIVITY_MAX = 60
DEFAULT_TZ = "Asia/Jakarta"

StepKey = tuple[str, int]  # (SOP id, step number)


@dataclass(frozen=True)
class StepRow:
    """One SOP step's figures for the period."""

    sop_id: str
    step_number: int
    role: str  # role key
    role_name: str  # full role name from the SOP
    role_label: str  # the role's short name when it has one (for charts and tables)
    activity: str  # shortened
    standard: str  # the sheet's text: "5 menit", "2 hari"
    clock: str  # working / calendar
    standard_span: timedelta  # nominal length of the standard on its clock (see nominal_span)
    applicant: bool  # a step of the applicant (Pers), not of an official
    closed: int
    on_time: int
    median: timedelta | None
    p90: timedelta | None
    overdue_now: int
    sop_title: str = ""  # the SOP's title, as the office names it (not its id)

    @property
    def within(self) -> float | None:
        """Share of closed tasks finished within the standard (0..1); None when none closed."""
        return self.on_time / self.closed if self.closed else None


@dataclass(frozen=True)
class PersonRow:
    """One official's figures for the period."""

    user_id: int
    name: str
    roles: tuple[str, ...]  # role labels of the roles they hold now
    closed: int
    on_time: int
    median_ratio: float | None  # median of time taken / standard span; 1.0 = exactly on time
    overdue_now: int
    # Lateness of each closed task (zero when on time), on the task's own clock.
    typical_delay: timedelta | None = None  # the median lateness: what usually happens
    worst_delay: timedelta | None = None  # the longest lateness: what must not go unmentioned

    @property
    def within(self) -> float | None:
        return self.on_time / self.closed if self.closed else None

    @property
    def late(self) -> int:
        return self.closed - self.on_time

    def slowness(self) -> tuple[float, int, float, float]:
        """Sort key, slowest first: usual delay, then open overdue work, then the worst delay,
        then the lowest on-time share."""
        return (
            -(self.typical_delay or timedelta(0)).total_seconds(),
            -self.overdue_now,
            -(self.worst_delay or timedelta(0)).total_seconds(),
            self.within if self.within is not None else 1.0,
        )


@dataclass(frozen=True)
class Report:
    since: datetime
    until: datetime
    now: datetime
    timezone: str  # the office zone, for showing the period as dates
    steps: tuple[StepRow, ...]
    people: tuple[PersonRow, ...]

    # The headline figures are the office's: the applicant's own steps (sending news, confirming
    # payment) are the journalist's time, not an official's, and are reported apart.

    @property
    def office_steps(self) -> tuple[StepRow, ...]:
        return tuple(r for r in self.steps if not r.applicant)

    @property
    def applicant_steps(self) -> tuple[StepRow, ...]:
        return tuple(r for r in self.steps if r.applicant)

    @property
    def closed(self) -> int:
        return sum(r.closed for r in self.office_steps)

    @property
    def on_time(self) -> int:
        return sum(r.on_time for r in self.office_steps)

    @property
    def within(self) -> float | None:
        return self.on_time / self.closed if self.closed else None

    @property
    def overdue_now(self) -> int:
        return sum(r.overdue_now for r in self.office_steps)

    @property
    def applicant_closed(self) -> int:
        return sum(r.closed for r in self.applicant_steps)

    @property
    def applicant_late(self) -> int:
        return sum(r.closed - r.on_time for r in self.applicant_steps)

    @property
    def applicant_overdue_now(self) -> int:
        return sum(r.overdue_now for r in self.applicant_steps)


@dataclass(frozen=True)
class _Sample:
    """One closed step task, measured."""

    key: StepKey
    role: str
    applicant: bool
    closed_by: int | None
    taken: timedelta
    standard: timedelta
    on_time: bool
    delay: timedelta  # how late it closed (zero when on time), on the task's clock


# ---------------------------------------------------------------- statistics


def nearest_rank(values: Sequence[float], percent: int) -> float:
    """The nearest-rank percentile: the ``ceil(percent/100 * n)``-th smallest value (1-based).

    Integer arithmetic on purpose: ``0.9 * 70`` is 63.00000000000001 in floating point, which
    would round the rank up to 64.
    """
    if not values:
        raise ValueError("percentile of no values")
    if not 0 < percent <= 100:
        raise ValueError(f"percent must be in (0, 100]: {percent}")
    ordered = sorted(values)
    rank = -(-percent * len(ordered) // 100)  # ceiling division
    return ordered[rank - 1]


def _median_span(spans: Sequence[timedelta]) -> timedelta | None:
    if not spans:
        return None
    return timedelta(seconds=statistics.median(s.total_seconds() for s in spans))


def _p90_span(spans: Sequence[timedelta]) -> timedelta | None:
    if not spans:
        return None
    return timedelta(seconds=nearest_rank([s.total_seconds() for s in spans], 90))


def nominal_span(duration: Duration, clock: str, calendar: WorkingCalendar) -> timedelta:
    """The length of a standard independent of when it starts, for charts and exports.

    Calendar clock: plain days and minutes. Working clock: a working day counts as a typical
    office day (the median of the open weekdays' hours, 8 h 30 m for the default hours), so
    "2 hari" reads as 17 office hours — the same units the time taken is measured in.
    """
    if clock == "calendar":
        return duration.as_calendar_timedelta()
    return duration.days * typical_day(calendar) + timedelta(minutes=duration.minutes)


def typical_day(calendar: WorkingCalendar) -> timedelta:
    lengths = [
        datetime.combine(date.min, span[1]) - datetime.combine(date.min, span[0])
        for span in calendar.hours.values()
        if span is not None
    ]
    return timedelta(seconds=statistics.median(x.total_seconds() for x in lengths))


# ---------------------------------------------------------------- the report


async def compute(
    session: AsyncSession,
    *,
    since: datetime,
    until: datetime,
    now: datetime,
    sops: Iterable[SopSpec] = (),
    tz: str | None = None,
) -> Report:
    """Figures per SOP step and per official for tasks closed in ``[since, until)``.

    ``sops``: specs whose every step is listed even without any task (the bot passes its
    active SOP so a quiet month still shows the standards); without it an empty period gives
    empty rows. ``tz``: the zone the period is shown in; defaults to the office's.
    """
    for value in (since, until, now):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"waktu harus memiliki zona waktu (aware datetime): {value!r}")
    if until < since:
        raise ValueError("akhir periode sebelum awalnya")
    included = list(sops)
    closed = await _step_tasks(
        session, Task.status == "done", Task.closed_at >= since, Task.closed_at < until
    )
    overdue = await _overdue_counts(session, now)
    versions = {v for _, v in closed} | {v for v, _step, _role, _n in overdue}
    specs = {v: await spec_of(session, v) for v in sorted(versions)}

    steps = _step_index(specs.values(), included)
    samples = [_measure(task, specs[v]) for task, v in closed]
    overdue_steps: Counter[StepKey] = Counter()
    overdue_roles: Counter[str] = Counter()
    for v, step_number, role, count in overdue:
        overdue_steps[(specs[v].id, step_number)] += count
        if role != specs[v].applicant_role:
            overdue_roles[role] += count
    labels = _role_labels([*specs.values(), *included])
    people = await _people(session, samples, overdue_roles, labels)
    zone = tz or next((s.office.timezone for s in [*included, *specs.values()]), DEFAULT_TZ)
    return Report(
        since=since,
        until=until,
        now=now,
        timezone=zone,
        steps=tuple(
            _step_row(key, step, spec, samples, overdue_steps[key])
            for key, (step, spec) in sorted(steps.items())
        ),
        people=people,
    )


@dataclass(frozen=True)
class _Closed:
    """The columns of a closed step task the figures need (not the ORM object: thousands of
    them a month, and identity-map bookkeeping cost more than the arithmetic)."""

    step_number: int
    role: str
    closed_by: int | None
    clock: str
    start: datetime
    due_at: datetime
    closed_at: datetime


async def _step_tasks(session: AsyncSession, *conditions: Any) -> list[tuple[_Closed, int]]:
    rows = await session.execute(
        select(
            Task.step_number,
            Task.role,
            Task.closed_by,
            Task.clock,
            func.coalesce(Task.sla_start_at, Task.created_at),
            Task.due_at,
            Task.closed_at,
            Case.sop_version_id,
        )
        .join(Case, Case.id == Task.case_id)
        .where(Task.kind == "step", *conditions)
        .order_by(Task.id)
    )
    return [
        (_Closed(step, role, by, clock, start, due, closed), version_id)
        for step, role, by, clock, start, due, closed, version_id in rows.tuples()
        if closed is not None  # a done task always has one
    ]


async def _overdue_counts(session: AsyncSession, now: datetime) -> list[tuple[int, int, str, int]]:
    """Open step tasks past due, counted per (version, step, role) in the database: an office
    with thousands of them would otherwise load each as an object only to count it."""
    rows = await session.execute(
        select(Case.sop_version_id, Task.step_number, Task.role, func.count(Task.id))
        .join(Case, Case.id == Task.case_id)
        .where(Task.kind == "step", Task.status == "open", Task.due_at < now)
        .group_by(Case.sop_version_id, Task.step_number, Task.role)
    )
    return [(v, step, role, count) for v, step, role, count in rows.tuples()]


def _step_index(
    seen: Iterable[SopSpec], included: Iterable[SopSpec]
) -> dict[StepKey, tuple[Step, SopSpec]]:
    """Which step definition labels each row: the newest version seen, the included spec last.

    ``seen`` comes in ascending version id, so a later version's wording overwrites an older
    one; a step that only an old version has still gets its row.
    """
    index: dict[StepKey, tuple[Step, SopSpec]] = {}
    for spec in [*seen, *included]:
        for step in spec.steps:
            index[(spec.id, step.number)] = (step, spec)
    return index


def _clock(value: str) -> ClockKind:
    return "calendar" if value == "calendar" else "working"


def _measure(task: _Closed, spec: SopSpec) -> _Sample:
    calendar = calendar_of(spec)
    clock = _clock(task.clock)
    return _Sample(
        key=(spec.id, task.step_number),
        role=task.role,
        applicant=task.role == spec.applicant_role,
        closed_by=task.closed_by,
        taken=calendar.elapsed(task.start, task.closed_at, clock),
        standard=calendar.elapsed(task.start, task.due_at, clock),
        on_time=task.closed_at <= task.due_at,
        delay=(
            calendar.elapsed(task.due_at, task.closed_at, clock)
            if task.closed_at > task.due_at
            else timedelta(0)
        ),
    )


def _role_labels(specs: Iterable[SopSpec]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for spec in specs:
        for key, role in spec.roles.items():
            labels[key] = role.short or role.name
    return labels


def _shorten(text: str, limit: int = ACTIVITY_MAX) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _step_row(
    key: StepKey, step: Step, spec: SopSpec, samples: Sequence[_Sample], overdue_now: int
) -> StepRow:
    mine = [s for s in samples if s.key == key]
    taken = [s.taken for s in mine]
    role = spec.roles.get(step.role)
    return StepRow(
        sop_id=key[0],
        step_number=key[1],
        role=step.role,
        role_name=spec.role_name(step.role),
        role_label=(role.short or role.name) if role else step.role,
        activity=_shorten(step.activity),
        standard=format_duration(step.time),
        clock=step.clock,
        standard_span=nominal_span(step.time, step.clock, calendar_of(spec)),
        applicant=step.role == spec.applicant_role,
        closed=len(mine),
        on_time=sum(s.on_time for s in mine),
        median=_median_span(taken),
        p90=_p90_span(taken),
        overdue_now=overdue_now,
        sop_title=spec.title,
    )


async def _people(
    session: AsyncSession,
    samples: Sequence[_Sample],
    overdue_roles: Counter[str],
    labels: dict[str, str],
) -> tuple[PersonRow, ...]:
    """Officials who closed a step task in the period or hold a role with overdue work."""
    by_user: dict[int, list[_Sample]] = defaultdict(list)
    for sample in samples:
        if not sample.applicant and sample.closed_by is not None:
            by_user[sample.closed_by].append(sample)
    ids = set(by_user)
    if overdue_roles:
        holders = await session.scalars(
            select(UserRole.user_id).where(UserRole.role.in_(sorted(overdue_roles)))
        )
        ids.update(holders)
    if not ids:
        return ()
    users = await session.scalars(select(User).where(User.id.in_(sorted(ids))))
    rows = [_person_row(u, by_user.get(u.id, []), overdue_roles, labels) for u in users]
    rows.sort(key=lambda r: (*r.slowness(), r.name, r.user_id))
    return tuple(rows)


def _person_row(
    user: User, mine: Sequence[_Sample], overdue_roles: Counter[str], labels: dict[str, str]
) -> PersonRow:
    # A zero-length standard has no meaningful ratio; such a task still counts as on time or not.
    ratios = [s.taken / s.standard for s in mine if s.standard > timedelta(0)]
    keys = sorted(user.role_keys)
    return PersonRow(
        user_id=user.id,
        name=user.name,
        roles=tuple(sorted(labels.get(k, k) for k in keys)),
        closed=len(mine),
        on_time=sum(s.on_time for s in mine),
        median_ratio=statistics.median(ratios) if ratios else None,
        overdue_now=sum(overdue_roles[k] for k in keys),
        typical_delay=_median_span([s.delay for s in mine]),
        worst_delay=max((s.delay for s in mine), default=None),
    )


__all__ = [
    "PersonRow",
    "Report",
    "StepRow",
    "compute",
    "nearest_rank",
    "nominal_span",
]

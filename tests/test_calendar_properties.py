"""Properties of the working-time calendar that must hold for any start and any standard."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from workflow.calendar import ClockKind, WorkingCalendar
from workflow.durations import Duration

# Shared instances: the holiday tables are cached per calendar, so reuse keeps the run fast.
CALENDARS = (
    WorkingCalendar(),
    WorkingCalendar(timezone="Asia/Makassar", days_off=[date(2026, 11, 23), date(2026, 11, 24)]),
)

PROPS = settings(deadline=None, max_examples=200)

instants = st.datetimes(
    min_value=datetime(2025, 1, 1),
    max_value=datetime(2027, 10, 31),
    timezones=st.sampled_from([UTC, ZoneInfo("Asia/Jakarta"), ZoneInfo("Asia/Jayapura")]),
)
calendars = st.sampled_from(CALENDARS)
durations = st.builds(
    Duration, days=st.integers(min_value=0, max_value=10), minutes=st.integers(0, 3000)
)
minutes = st.integers(min_value=0, max_value=3000)
days = st.integers(min_value=0, max_value=10)
clocks: st.SearchStrategy[ClockKind] = st.sampled_from(["working", "calendar"])


def within_hours(cal: WorkingCalendar, dt: datetime) -> bool:
    """Open, or exactly at closing time of a working day (where a due time may sit)."""
    local = dt.astimezone(cal.tz)
    span = cal.hours[local.weekday()]
    at_closing = span is not None and local.timetz().replace(tzinfo=None) == span[1]
    return cal.is_open(dt) or (at_closing and cal.is_working_day(local.date()))


@PROPS
@given(cal=calendars, start=instants, duration=durations)
def test_due_is_within_office_hours_on_a_working_day(
    cal: WorkingCalendar, start: datetime, duration: Duration
) -> None:
    due = cal.add(start, duration)
    assert within_hours(cal, due)
    local_day = due.astimezone(cal.tz).date()
    assert local_day.weekday() < 5
    assert cal.holiday_name(local_day) is None
    assert due >= start
    assert due.tzinfo is UTC


@PROPS
@given(cal=calendars, a=instants, b=instants, duration=durations)
def test_add_is_monotonic_in_start(
    cal: WorkingCalendar, a: datetime, b: datetime, duration: Duration
) -> None:
    first, second = sorted((a, b))
    assert cal.add(first, duration) <= cal.add(second, duration)


@PROPS
@given(cal=calendars, start=instants, m1=minutes, m2=minutes, d1=days, d2=days)
def test_add_is_monotonic_in_duration(
    cal: WorkingCalendar, start: datetime, m1: int, m2: int, d1: int, d2: int
) -> None:
    m1, m2 = sorted((m1, m2))
    d1, d2 = sorted((d1, d2))
    assert cal.add(start, Duration(minutes=m1)) <= cal.add(start, Duration(minutes=m2))
    assert cal.add(start, Duration(days=d1)) <= cal.add(start, Duration(days=d2))


@PROPS
@given(cal=calendars, start=instants, m=minutes)
def test_working_minutes_round_trip(cal: WorkingCalendar, start: datetime, m: int) -> None:
    start = cal.next_open(start)
    assert cal.is_open(start)
    due = cal.add(start, Duration(minutes=m))
    assert cal.working_time_between(start, due) == timedelta(minutes=m)


@PROPS
@given(cal=calendars, start=instants, duration=durations, clock=clocks)
def test_extend_by_zero_is_identity(
    cal: WorkingCalendar, start: datetime, duration: Duration, clock: ClockKind
) -> None:
    due = cal.add(start, duration, clock)
    assert cal.extend(due, timedelta(0), clock) == due
    assert cal.extend(start, timedelta(0), clock) == start


@PROPS
@given(cal=calendars, dt=instants)
def test_next_open_is_idempotent(cal: WorkingCalendar, dt: datetime) -> None:
    opened = cal.next_open(dt)
    assert opened >= dt
    assert cal.is_open(opened)
    assert cal.next_open(opened) == opened
    assert cal.working_time_between(dt, opened) == timedelta(0)


@PROPS
@given(cal=calendars, due=instants, m=st.integers(min_value=1, max_value=3000))
def test_extend_adds_exactly_the_working_span(cal: WorkingCalendar, due: datetime, m: int) -> None:
    later = cal.extend(due, timedelta(minutes=m))
    assert within_hours(cal, later)
    assert cal.working_time_between(due, later) == timedelta(minutes=m)


@PROPS
@given(
    cal=calendars,
    start=instants,
    duration=durations.filter(lambda d: not d.is_zero),
    share=st.floats(min_value=0, max_value=3, allow_nan=False),
)
def test_point_at_is_in_hours_and_matches_progress(
    cal: WorkingCalendar, start: datetime, duration: Duration, share: float
) -> None:
    due = cal.add(start, duration)
    moment = cal.point_at(start, due, share)
    assert within_hours(cal, moment)
    assert abs(cal.progress(start, due, moment) - share) < 1e-6
    assert (moment <= due) if share <= 1 else (moment >= due)

"""The office's working-time calendar: when the office is open and how SOP time standards run.

Every SOP step has a time standard ("5 menit", "2 hari") measured either on the *working* clock
(only office hours on working days count) or on the plain *calendar* clock. This module turns a
start instant plus a standard into a due instant, measures elapsed time on either clock, and
answers SLA questions (how much of the standard is used, when 200 % is reached).

Conventions (so every caller sees the same answers):

* Office hours are interpreted in the office's own time zone; inputs may be aware datetimes in
  any zone, naive datetimes are rejected, and every datetime returned is aware in UTC.
* A working day's hours are the half-open interval ``[open, close)``: at exactly closing time
  the office is closed, yet a working-clock due time may sit exactly at closing (a task due
  "at 16:00" is due at close) — it never sits anywhere else outside office hours.
* Work is consumed interval by interval (one step per working day), never minute by minute.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

import holidays

from workflow.durations import Duration

if TYPE_CHECKING:
    from workflow.spec import Office

ClockKind = Literal["working", "calendar"]
Hours = tuple[time, time]

OFFICE_DAY_OFF = "Libur kantor"

DEFAULT_HOURS: dict[int, Hours | None] = {
    0: (time(7, 30), time(16, 0)),
    1: (time(7, 30), time(16, 0)),
    2: (time(7, 30), time(16, 0)),
    3: (time(7, 30), time(16, 0)),
    4: (time(7, 30), time(16, 30)),
    5: None,
    6: None,
}

# OfficeHours field names in weekday order (0 = Monday), as date.weekday() numbers them.
_WEEKDAY_FIELDS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# How far to look for the next working day before declaring the calendar broken. Two years
# comfortably covers any real run of holidays/days off and stops runaway loops on bad config.
_MAX_CLOSED_RUN = 2 * 366

_ZERO = timedelta(0)
_ONE_DAY = timedelta(days=1)


def _require_aware(dt: datetime) -> datetime:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"waktu harus memiliki zona waktu (aware datetime): {dt!r}")
    return dt


def _to_utc(dt: datetime) -> datetime:
    return dt.astimezone(UTC)


def _parse_hhmm(value: str) -> time:
    try:
        return time.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"jam kantor tidak valid: {value!r} (pakai HH:MM)") from exc


class WorkingCalendar:
    """Office hours, Indonesian public holidays and office days off, for SOP time standards."""

    def __init__(
        self,
        timezone: str = "Asia/Jakarta",
        hours: Mapping[int, Hours | None] | None = None,
        days_off: Iterable[date] = (),
        national_holidays: bool = True,
    ) -> None:
        self.timezone = timezone
        self.tz = ZoneInfo(timezone)
        self.hours = self._validated_hours(DEFAULT_HOURS if hours is None else hours)
        self.days_off = frozenset(days_off)
        self.national_holidays = national_holidays
        self._holiday_cache: dict[int, dict[date, str]] = {}
        # Per day: its opening hours, and how long it is open (the calendar never changes once
        # made; a month's report asks about the same few hundred days tens of thousands of times).
        self._intervals: dict[date, tuple[datetime, datetime] | None] = {}
        self._open_for: dict[date, timedelta] = {}
        self._sums: list[timedelta] = []  # _sums[i]: open time of the days before _sums_from + i
        self._sums_from = 0

    @classmethod
    def from_office(cls, office: Office) -> WorkingCalendar:
        """The calendar an office's YAML describes (hours as "HH:MM" strings per weekday)."""
        hours: dict[int, Hours | None] = {}
        for weekday, field in enumerate(_WEEKDAY_FIELDS):
            span: tuple[str, str] | None = getattr(office.hours, field)
            hours[weekday] = None if span is None else (_parse_hhmm(span[0]), _parse_hhmm(span[1]))
        return cls(timezone=office.timezone, hours=hours, days_off=office.days_off)

    @staticmethod
    def _validated_hours(hours: Mapping[int, Hours | None]) -> dict[int, Hours | None]:
        # Missing weekdays are closed; a calendar with no open weekday at all would make every
        # "next opening" search run forever, so it is refused up front.
        result: dict[int, Hours | None] = {}
        for weekday in range(7):
            span = hours.get(weekday)
            if span is not None and not span[0] < span[1]:
                raise ValueError(f"jam kantor hari ke-{weekday}: jam buka harus sebelum jam tutup")
            result[weekday] = span
        unknown = set(hours) - set(range(7))
        if unknown:
            raise ValueError(f"hari tidak dikenal (0=Senin..6=Minggu): {sorted(unknown)}")
        if all(span is None for span in result.values()):
            raise ValueError("kantor harus buka setidaknya satu hari dalam seminggu")
        return result

    # -- days ---------------------------------------------------------------------------------

    def _holidays_of(self, year: int) -> dict[date, str]:
        # Loaded lazily per year: a bot that runs for years only ever pays for the years it uses.
        cached = self._holiday_cache.get(year)
        if cached is None:
            table = holidays.country_holidays(
                "ID", years=year, categories=("public", "government"), language="id"
            )
            cached = {day: name for day, name in table.items() if day.year == year}
            self._holiday_cache[year] = cached
        return cached

    def _as_date(self, d: date) -> date:
        # A datetime is a date too; an aware one is read on the office's wall calendar.
        if isinstance(d, datetime):
            return d.astimezone(self.tz).date() if d.tzinfo is not None else d.date()
        return d

    def holiday_name(self, d: date) -> str | None:
        """The Indonesian name of a national holiday / cuti bersama, or "Libur kantor"."""
        d = self._as_date(d)
        if self.national_holidays:
            name = self._holidays_of(d.year).get(d)
            if name is not None:
                return name
        return OFFICE_DAY_OFF if d in self.days_off else None

    def is_working_day(self, d: date) -> bool:
        d = self._as_date(d)
        return self.hours[d.weekday()] is not None and self.holiday_name(d) is None

    def _next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        for offset in range(1, _MAX_CLOSED_RUN + 1):
            candidate = d + timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise ValueError(f"tidak ada hari kerja dalam {_MAX_CLOSED_RUN} hari setelah {d}")

    def _interval(self, d: date) -> tuple[datetime, datetime] | None:
        """The opening and closing instants of ``d`` (office zone), or None if closed all day."""
        try:
            return self._intervals[d]
        except KeyError:
            pass
        span = self.hours[d.weekday()]
        interval = None
        if span is not None and self.is_working_day(d):
            interval = (
                datetime.combine(d, span[0], tzinfo=self.tz),
                datetime.combine(d, span[1], tzinfo=self.tz),
            )
        if len(self._intervals) > 20_000:  # decades of days; a bound, not an expected size
            self._intervals.clear()
            self._open_for.clear()
        self._intervals[d] = interval
        return interval

    def _day_length(self, d: date) -> timedelta:
        length = self._open_for.get(d)
        if length is None:
            interval = self._interval(d)
            length = _ZERO if interval is None else interval[1] - interval[0]
            self._open_for[d] = length
        return length

    def _opening_after(self, d: date) -> datetime:
        """The opening instant of the first working day after ``d``."""
        interval = self._interval(self._next_working_day(d))
        assert interval is not None  # a working day always has hours
        return interval[0]

    def _local(self, dt: datetime) -> datetime:
        return _require_aware(dt).astimezone(self.tz)

    # -- instants -----------------------------------------------------------------------------

    def is_open(self, dt: datetime) -> bool:
        """Whether ``dt`` lies inside ``[open, close)`` on a working day."""
        local = self._local(dt)
        interval = self._interval(local.date())
        return interval is not None and interval[0] <= local < interval[1]

    def next_open(self, dt: datetime) -> datetime:
        """``dt`` itself (in UTC) if the office is open then, else the next opening moment."""
        local = self._local(dt)
        interval = self._interval(local.date())
        if interval is not None and local < interval[1]:
            return _to_utc(max(local, interval[0]))
        return _to_utc(self._opening_after(local.date()))

    def _consume(self, pos: datetime, amount: timedelta) -> datetime:
        """Walk ``amount`` of office time forward from ``pos``, one working interval per step.

        Ending exactly at a closing time stays there (rather than jumping to the next opening),
        which is what makes "due at 16:00" possible and keeps zero-length work an identity.
        """
        local = self._local(pos)
        while True:
            if amount <= _ZERO:
                return _to_utc(local)
            interval = self._interval(local.date())
            if interval is None or local >= interval[1]:
                local = self._opening_after(local.date())
                continue
            local = max(local, interval[0])
            available = interval[1] - local
            if amount <= available:
                return _to_utc(local + amount)
            amount -= available
            local = self._opening_after(local.date())

    def _add_working_days(self, start: datetime, days: int) -> datetime:
        """``days`` working days after an open instant, same time of day, clamped into hours."""
        local = self._local(start)
        target = local.date()
        for _ in range(days):
            target = self._next_working_day(target)
        interval = self._interval(target)
        assert interval is not None
        wanted = datetime.combine(target, local.time(), tzinfo=self.tz)
        return _to_utc(min(max(wanted, interval[0]), interval[1]))

    def add(self, start: datetime, duration: Duration, clock: ClockKind = "working") -> datetime:
        """The due instant of a time standard started at ``start``.

        Working clock: start counts from the next opening if the office is closed (a start at
        or after closing counts from the next opening), then whole working days keep the time
        of day (clamped into the target day's hours), then minutes run as office minutes.
        Calendar clock: plain elapsed time (absolute, so DST never stretches a standard).
        """
        _require_aware(start)
        if duration.days < 0 or duration.minutes < 0:
            raise ValueError(f"durasi tidak boleh negatif: {duration!r}")
        if clock == "calendar":
            return _to_utc(start) + duration.as_calendar_timedelta()
        pos = self.next_open(start)
        if duration.days:
            pos = self._add_working_days(pos, duration.days)
        return self._consume(pos, timedelta(minutes=duration.minutes))

    # -- spans --------------------------------------------------------------------------------

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Office time elapsed from ``a`` to ``b`` (zero if ``b <= a``)."""
        start, end = self._local(a), self._local(b)
        total = _ZERO
        first, last = start.date(), end.date()
        for day in (first, last) if last > first else (first,) if last == first else ():
            interval = self._interval(day)
            if interval is not None:
                overlap = min(end, interval[1]) - max(start, interval[0])
                total += max(overlap, _ZERO)
        if (last - first).days > 1:  # the days in between count whole
            total += self._open_before(last) - self._open_before(first + _ONE_DAY)
        return total

    def _open_before(self, d: date) -> timedelta:
        """Office time of every day from the calendar's first day asked about up to ``d``
        (excluded): a running sum, so the whole days of any span cost two look-ups."""
        ordinal = d.toordinal()
        if not self._sums or ordinal < self._sums_from:
            # (Re)start a year before: spans reach back from now, rarely further.
            self._sums_from = ordinal - 366
            self._sums = [_ZERO]
        while self._sums_from + len(self._sums) - 1 < ordinal:
            day = date.fromordinal(self._sums_from + len(self._sums) - 1)
            self._sums.append(self._sums[-1] + self._day_length(day))
        return self._sums[ordinal - self._sums_from]

    def elapsed(self, a: datetime, b: datetime, clock: ClockKind = "working") -> timedelta:
        """Time from ``a`` to ``b`` on the given clock; never negative."""
        if clock == "calendar":
            return max(_require_aware(b) - _require_aware(a), _ZERO)
        return self.working_time_between(a, b)

    def extend(self, due: datetime, span: timedelta, clock: ClockKind = "working") -> datetime:
        """Push ``due`` later by ``span`` (e.g. the time a task waited on the applicant).

        On the working clock the span is consumed as office time from ``due``; a zero span
        returns ``due`` unchanged even when it sits exactly at closing time.
        """
        _require_aware(due)
        if span < _ZERO:
            raise ValueError(f"perpanjangan tidak boleh negatif: {span!r}")
        if clock == "calendar":
            return _to_utc(due) + span
        return self._consume(due, span)

    def progress(
        self, start: datetime, due: datetime, now: datetime, clock: ClockKind = "working"
    ) -> float:
        """Share of the standard used by ``now`` (0.75 = warn, 1.0 = overdue, 2.0 = escalate).

        A standard with no length (``due`` not after ``start`` on that clock) is fully used
        from ``due`` on: 1.0 at or after ``due``, 0.0 before.
        """
        standard = self.elapsed(start, due, clock)
        if standard <= _ZERO:
            return 1.0 if now >= due else 0.0
        return self.elapsed(start, now, clock) / standard

    def point_at(
        self, start: datetime, due: datetime, share: float, clock: ClockKind = "working"
    ) -> datetime:
        """The instant at which ``share`` of the standard is used (e.g. 2.0 = escalation).

        Up to 100 % this is the earliest instant with that much time used; 100 % is ``due``
        itself; beyond it the extra share is added onto ``due`` with :meth:`extend`. So the
        result is monotonic in ``share`` and, on the working clock, within office hours (or
        exactly at a closing time).
        """
        if share < 0:
            raise ValueError(f"bagian standar tidak boleh negatif: {share!r}")
        standard = self.elapsed(start, due, clock)
        if share >= 1:
            return self.extend(due, standard * (share - 1), clock)
        target = standard * share
        if clock == "calendar":
            return _to_utc(start) + target
        return self._consume(self.next_open(start), target)

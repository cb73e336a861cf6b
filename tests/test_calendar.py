"""Worked examples of the office working-time calendar and the Indonesian time display."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from workflow.calendar import OFFICE_DAY_OFF, WorkingCalendar
from workflow.durations import Duration, parse_duration
from workflow.spec import Office, OfficeHours
from workflow.timefmt import format_date, format_duration, format_span, format_when

WIB = ZoneInfo("Asia/Jakarta")
WITA = ZoneInfo("Asia/Makassar")


def wib(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=WIB)


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar()


# -- days and holidays ---------------------------------------------------------------------------


def test_holiday_names_are_indonesian(cal: WorkingCalendar) -> None:
    assert cal.holiday_name(date(2026, 12, 25)) == "Hari Raya Natal"
    assert cal.holiday_name(date(2026, 12, 24)) == "Cuti Bersama Hari Raya Natal"
    assert cal.holiday_name(date(2026, 3, 21)) == "Hari Raya Idul Fitri"
    assert cal.holiday_name(date(2026, 3, 23)) == "Cuti Bersama Hari Raya Idul Fitri"
    assert cal.holiday_name(date(2026, 8, 17)) == "Hari Kemerdekaan Republik Indonesia"
    assert cal.holiday_name(date(2026, 11, 23)) is None


def test_working_days(cal: WorkingCalendar) -> None:
    assert cal.is_working_day(date(2026, 11, 23))  # Monday
    assert not cal.is_working_day(date(2026, 11, 21))  # Saturday
    assert not cal.is_working_day(date(2026, 11, 22))  # Sunday
    assert not cal.is_working_day(date(2026, 12, 25))  # Natal
    assert not cal.is_working_day(date(2026, 3, 24))  # cuti bersama Idul Fitri


def test_christmas_and_cuti_bersama_are_skipped(cal: WorkingCalendar) -> None:
    # Wed 23 Dec 2026: Thu 24 is cuti bersama, Fri 25 Natal, then the weekend.
    assert cal.add(wib(2026, 12, 23, 10), Duration(days=1)) == wib(2026, 12, 28, 10)
    assert cal.add(wib(2026, 12, 23, 15), Duration(minutes=120)) == wib(2026, 12, 28, 8, 30)


def test_idul_fitri_2026_is_skipped(cal: WorkingCalendar) -> None:
    # Tue 17 Mar 2026: Nyepi (18-19), Idul Fitri with cuti bersama (20-24) -> Wed 25 Mar.
    assert cal.add(wib(2026, 3, 17, 10), Duration(days=1)) == wib(2026, 3, 25, 10)
    assert cal.add(wib(2026, 3, 17, 15, 55), Duration(minutes=10)) == wib(2026, 3, 25, 7, 35)


def test_national_holidays_can_be_switched_off() -> None:
    plain = WorkingCalendar(national_holidays=False)
    assert plain.is_working_day(date(2026, 12, 25))
    assert plain.add(wib(2026, 12, 24, 10), Duration(days=1)) == wib(2026, 12, 25, 10)


def test_office_days_off_are_skipped() -> None:
    office_cal = WorkingCalendar(days_off=[date(2026, 11, 24)])
    assert office_cal.holiday_name(date(2026, 11, 24)) == OFFICE_DAY_OFF == "Libur kantor"
    assert office_cal.add(wib(2026, 11, 23, 10), Duration(days=1)) == wib(2026, 11, 25, 10)
    # A national holiday keeps its own name even if the office also lists it.
    both = WorkingCalendar(days_off=[date(2026, 12, 25)])
    assert both.holiday_name(date(2026, 12, 25)) == "Hari Raya Natal"


# -- adding standards ----------------------------------------------------------------------------


def test_friday_after_hours_rolls_to_monday(cal: WorkingCalendar) -> None:
    assert cal.add(wib(2026, 11, 20, 16, 20), parse_duration("15 menit")) == wib(
        2026, 11, 23, 7, 35
    )


def test_friday_rolls_past_a_monday_holiday(cal: WorkingCalendar) -> None:
    # Mon 17 Aug 2026 is Hari Kemerdekaan.
    assert cal.add(wib(2026, 8, 14, 16, 20), Duration(minutes=15)) == wib(2026, 8, 18, 7, 35)


def test_thursday_just_before_closing(cal: WorkingCalendar) -> None:
    assert cal.add(wib(2026, 11, 19, 15, 58), parse_duration("5 menit")) == wib(2026, 11, 20, 7, 33)


def test_whole_days_keep_the_time_of_day(cal: WorkingCalendar) -> None:
    assert cal.add(wib(2026, 11, 23, 10), parse_duration("2 hari")) == wib(2026, 11, 25, 10)
    # Friday 16:15 is open (Friday closes 16:30); Monday closes 16:00, so it is clamped.
    assert cal.add(wib(2026, 11, 20, 16, 15), Duration(days=1)) == wib(2026, 11, 23, 16)
    assert cal.add(wib(2026, 11, 20, 16, 15), Duration(days=1, minutes=10)) == wib(
        2026, 11, 24, 7, 40
    )


def test_due_exactly_at_closing_is_allowed(cal: WorkingCalendar) -> None:
    due = cal.add(wib(2026, 11, 23, 15, 55), Duration(minutes=5))
    assert due == wib(2026, 11, 23, 16)
    assert not cal.is_open(due)


def test_starts_outside_hours(cal: WorkingCalendar) -> None:
    assert cal.add(wib(2026, 11, 23, 6), Duration(minutes=5)) == wib(2026, 11, 23, 7, 35)
    # A start at closing counts from the next opening.
    assert cal.add(wib(2026, 11, 23, 16), Duration(minutes=5)) == wib(2026, 11, 24, 7, 35)
    assert cal.add(wib(2026, 11, 21, 9), Duration(days=1)) == wib(2026, 11, 24, 7, 30)
    assert cal.add(wib(2026, 11, 21, 9), Duration()) == wib(2026, 11, 23, 7, 30)


def test_calendar_clock_is_plain_time(cal: WorkingCalendar) -> None:
    start = wib(2026, 11, 20, 16, 20)
    assert cal.add(start, Duration(minutes=15), "calendar") == wib(2026, 11, 20, 16, 35)
    assert cal.add(start, Duration(days=2), "calendar") == wib(2026, 11, 22, 16, 20)


def test_results_are_utc(cal: WorkingCalendar) -> None:
    due = cal.add(wib(2026, 11, 23, 10), Duration(minutes=5))
    assert due.tzinfo is UTC
    assert due == datetime(2026, 11, 23, 3, 5, tzinfo=UTC)
    assert cal.next_open(wib(2026, 11, 23, 10)).tzinfo is UTC


def test_other_zone_makassar() -> None:
    wita = WorkingCalendar(timezone="Asia/Makassar")
    start = datetime(2026, 11, 19, 15, 58, tzinfo=WITA)
    expected = datetime(2026, 11, 20, 7, 33, tzinfo=WITA)
    assert wita.add(start, Duration(minutes=5)) == expected
    # The same instant given in WIB (14:58 WIB == 15:58 WITA) gives the same due time.
    assert wita.add(wib(2026, 11, 19, 14, 58), Duration(minutes=5)) == expected
    # 07:00 WIB is 08:00 WITA: open in Makassar, not yet in Jakarta.
    assert wita.is_open(wib(2026, 11, 23, 7))
    assert not WorkingCalendar().is_open(wib(2026, 11, 23, 7))


def test_naive_datetimes_are_refused(cal: WorkingCalendar) -> None:
    with pytest.raises(ValueError):
        cal.add(datetime(2026, 11, 23, 10), Duration(minutes=5))
    with pytest.raises(ValueError):
        cal.is_open(datetime(2026, 11, 23, 10))


def test_bad_hours_are_refused() -> None:
    with pytest.raises(ValueError):
        WorkingCalendar(hours={0: (time(16), time(8))})
    with pytest.raises(ValueError):
        WorkingCalendar(hours={})


def test_from_office() -> None:
    office = Office(
        name="Diskominfo",
        timezone="Asia/Makassar",
        hours=OfficeHours(saturday=("08:00", "12:00")),
        days_off=(date(2026, 11, 23),),
    )
    office_cal = WorkingCalendar.from_office(office)
    assert office_cal.timezone == "Asia/Makassar"
    assert office_cal.hours[5] == (time(8), time(12))
    assert office_cal.hours[6] is None
    assert office_cal.hours[4] == (time(7, 30), time(16, 30))
    assert office_cal.holiday_name(date(2026, 11, 23)) == "Libur kantor"
    # Saturday is a working day here; Monday the 23rd is the office's day off.
    start = datetime(2026, 11, 20, 16, 20, tzinfo=WITA)
    assert office_cal.add(start, Duration(minutes=15)) == datetime(2026, 11, 21, 8, 5, tzinfo=WITA)


# -- open / next open ----------------------------------------------------------------------------


def test_is_open_and_next_open(cal: WorkingCalendar) -> None:
    assert cal.is_open(wib(2026, 11, 23, 7, 30))
    assert not cal.is_open(wib(2026, 11, 23, 16))
    assert cal.is_open(wib(2026, 11, 20, 16, 15))  # Friday closes later
    assert cal.next_open(wib(2026, 11, 23, 10)) == wib(2026, 11, 23, 10)
    assert cal.next_open(wib(2026, 11, 23, 5)) == wib(2026, 11, 23, 7, 30)
    assert cal.next_open(wib(2026, 11, 20, 16, 30)) == wib(2026, 11, 23, 7, 30)
    assert cal.next_open(wib(2026, 12, 23, 17)) == wib(2026, 12, 28, 7, 30)


# -- elapsed, extend, progress -------------------------------------------------------------------


def test_working_time_between(cal: WorkingCalendar) -> None:
    # Fri 16:00 -> Mon 08:00: 30 minutes on Friday, 30 on Monday.
    assert cal.working_time_between(wib(2026, 11, 20, 16), wib(2026, 11, 23, 8)) == timedelta(
        hours=1
    )
    assert cal.working_time_between(wib(2026, 11, 23, 8), wib(2026, 11, 20, 16)) == timedelta(0)
    assert cal.working_time_between(wib(2026, 11, 21, 8), wib(2026, 11, 22, 20)) == timedelta(0)
    assert cal.elapsed(wib(2026, 11, 20, 16), wib(2026, 11, 23, 8), "calendar") == timedelta(
        days=2, hours=16
    )
    assert cal.elapsed(wib(2026, 11, 23, 8), wib(2026, 11, 20, 16), "calendar") == timedelta(0)


def test_extend_across_a_weekend(cal: WorkingCalendar) -> None:
    due = wib(2026, 11, 20, 16)
    assert cal.extend(due, timedelta(hours=1)) == wib(2026, 11, 23, 8)
    assert cal.extend(due, timedelta(hours=1), "calendar") == wib(2026, 11, 20, 17)
    assert cal.extend(due, timedelta(0)) == due
    # A due time at closing stays put for a zero pause but moves on for a real one.
    assert cal.extend(wib(2026, 11, 23, 16), timedelta(0)) == wib(2026, 11, 23, 16)
    assert cal.extend(wib(2026, 11, 23, 16), timedelta(minutes=1)) == wib(2026, 11, 24, 7, 31)
    with pytest.raises(ValueError):
        cal.extend(due, timedelta(minutes=-1))


def test_progress_and_point_at(cal: WorkingCalendar) -> None:
    start = wib(2026, 11, 23, 10)  # Monday
    due = cal.add(start, Duration(days=2))  # Wednesday 10:00; 17 office hours
    assert cal.working_time_between(start, due) == timedelta(hours=17)
    assert cal.progress(start, due, start) == 0.0
    assert cal.progress(start, due, due) == 1.0
    assert cal.progress(start, due, wib(2026, 11, 23, 16)) == pytest.approx(6 / 17)
    assert cal.point_at(start, due, 0.75) == wib(2026, 11, 24, 14, 15)
    assert cal.point_at(start, due, 1.0) == due
    assert cal.point_at(start, due, 2.0) == wib(2026, 11, 27, 10)
    assert cal.progress(start, due, wib(2026, 11, 27, 10)) == 2.0
    # The calendar clock is plain proportion.
    cal_due = cal.add(start, Duration(days=2), "calendar")
    assert cal.point_at(start, cal_due, 0.5, "calendar") == wib(2026, 11, 24, 10)
    assert cal.progress(start, cal_due, wib(2026, 11, 26, 10), "calendar") == 1.5


def test_point_at_lands_in_office_hours(cal: WorkingCalendar) -> None:
    start = wib(2026, 11, 20, 16)  # Friday, 30 office minutes left
    due = cal.add(start, Duration(minutes=60))  # Monday 08:00
    assert due == wib(2026, 11, 23, 8)
    assert cal.point_at(start, due, 0.5) == wib(2026, 11, 20, 16, 30)  # at Friday's closing
    assert cal.point_at(start, due, 0.75) == wib(2026, 11, 23, 7, 45)
    assert cal.point_at(start, due, 2.0) == wib(2026, 11, 23, 9)


# -- display -------------------------------------------------------------------------------------


def test_format_when() -> None:
    instant = wib(2026, 11, 23, 10, 15)
    assert format_when(instant, "Asia/Jakarta") == "Senin, 23 November 2026 pukul 10.15 WIB"
    assert format_when(instant.astimezone(UTC), "Asia/Jakarta").endswith("pukul 10.15 WIB")
    assert format_when(instant, "Asia/Pontianak").endswith("pukul 10.15 WIB")
    assert format_when(instant, "Asia/Makassar") == "Senin, 23 November 2026 pukul 11.15 WITA"
    assert format_when(instant, "Asia/Jayapura").endswith("pukul 12.15 WIT")
    assert format_when(instant, "Asia/Tokyo").endswith("pukul 12.15 UTC+9")
    assert format_when(instant, "Asia/Kolkata").endswith("pukul 08.45 UTC+5:30")
    assert format_when(instant, "UTC").endswith("pukul 03.15 UTC")
    with pytest.raises(ValueError):
        format_when(datetime(2026, 11, 23, 10, 15), "Asia/Jakarta")


def test_format_date_and_spans() -> None:
    assert format_date(date(2025, 6, 4)) == "4 Juni 2025"
    assert format_date(date(2026, 8, 17)) == "17 Agustus 2026"
    assert format_span(timedelta(days=2, hours=3, minutes=5, seconds=40)) == "2 hari 3 jam 5 menit"
    assert format_span(timedelta(hours=3)) == "3 jam"
    assert format_span(timedelta(seconds=59)) == "kurang dari 1 menit"
    assert format_span(timedelta(0)) == "kurang dari 1 menit"
    assert format_span(timedelta(minutes=-90)) == "1 jam 30 menit"
    assert format_span(timedelta(hours=30), fold_days=False) == "30 jam"
    assert format_duration(parse_duration("5 menit")) == "5 menit"
    assert format_duration(parse_duration("2 hari")) == "2 hari"
    assert format_duration(parse_duration("1 hari 2 jam")) == "1 hari 2 jam"

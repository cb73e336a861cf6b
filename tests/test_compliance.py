"""SLA compliance report: figures against hand-computed values, and every export format.

The seeded month (Trenggalek SOP, November 2026, office hours Mon-Thu 07:30-16:00 and Fri
07:30-16:30 WIB, no holidays) is laid out so each figure below can be checked by hand; the
comment next to each expected value shows the arithmetic.
"""

from __future__ import annotations

import asyncio
import csv
import html
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from PIL import Image
from typer.testing import CliRunner

from bot.cli_report import report_app
from handlers.context import Ctx, Deps
from handlers.events import Sender
from handlers.replies import SendDocument, SendMessage
from handlers.reports import laporan, month_start, on_period, period_bounds
from storage.archive import Archive
from storage.db import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import SopVersion, User
from tests.factories import builtin, make_journalist, make_officials, make_user
from workflow import compliance_export as export
from workflow import engine
from workflow.compliance import PersonRow, Report, StepRow, compute, nearest_rank
from workflow.registry import install
from workflow.spec import SopSpec

WIB = ZoneInfo("Asia/Jakarta")
TRENGGALEK = "trenggalek-kerjasama-media"
SINCE = datetime(2026, 11, 1, tzinfo=WIB)
UNTIL = datetime(2026, 12, 1, tzinfo=WIB)
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=WIB)  # Monday noon


def at(month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=WIB).astimezone(UTC)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


class Office:
    """Drives cases through the real engine at chosen instants."""

    def __init__(self, sessions, version: SopVersion, journalist: User, outlet_id: int) -> None:
        self.sessions = sessions
        self.version = version
        self.journalist = journalist
        self.outlet_id = outlet_id

    async def submit(self, when: datetime) -> int:
        async with self.sessions() as s, s.begin():
            result = await engine.submit_case(
                s,
                version=self.version,
                applicant=await s.merge(self.journalist),
                outlet_id=self.outlet_id,
                subject="Kerja sama publikasi",
                now=when,
            )
            return result.case.id

    async def act(
        self, case_id: int, actor: User, action: str, when: datetime, note: str | None = None
    ) -> None:
        async with self.sessions() as s, s.begin():
            task = await engine.open_task_of_case(s, case_id)
            assert task is not None
            await engine.act(
                s,
                task_id=task.id,
                actor=await s.merge(actor),
                action=action,
                now=when,
                note=note,
                confirm_checklist=True,
            )

    async def resubmit(self, case_id: int, when: datetime) -> None:
        async with self.sessions() as s, s.begin():
            await engine.resubmit(
                s, case_id=case_id, actor=await s.merge(self.journalist), now=when, note="Sudah"
            )

    async def cancel_open_task(self, case_id: int, by: User, when: datetime) -> None:
        async with self.sessions() as s, s.begin():
            task = await engine.open_task_of_case(s, case_id)
            assert task is not None
            task.status, task.closed_at, task.closed_by = "cancelled", when, by.id


async def _office(sessions, sop_id: str = TRENGGALEK):
    spec = builtin(sop_id)
    start = at(10, 1, 8, 0)
    async with sessions() as s, s.begin():
        version = await install(s, spec, _Fixed(start))
        who = await make_officials(s, spec, start)
        journalist, outlet = await make_journalist(s, start)
    return spec, Office(sessions, version, journalist, outlet.id), who


class _Fixed:
    def __init__(self, when: datetime) -> None:
        self.when = when

    def now(self) -> datetime:
        return self.when


async def _seed_month(sessions) -> tuple[SopSpec, dict[str, User], User]:
    spec, office, who = await _office(sessions)
    async with sessions() as s, s.begin():
        budi = await make_user(s, "Budi Rangkap", at(10, 1, 8, 0), ("kasi", "kabid"))

    # Case A, Mon 2 - Tue 3 Nov, all on weekdays; Budi acts as kasi (4, 6) and kabid (5).
    a = await office.submit(at(11, 2, 9, 0))
    await office.act(a, who["sekretaris"], "receive", at(11, 2, 9, 4))  # 4 m of 5 m
    await office.act(a, who["kadis"], "dispose", at(11, 2, 9, 34))  # 30 m of 15 m
    # 2 hari from Mon 09:34 = Wed 09:34; taken Mon 09:34-16:00 + Tue 07:30-09:34 = 8 h 30 m
    await office.act(a, who["fungsional"], "evaluate", at(11, 3, 9, 34))
    await office.act(a, budi, "propose", at(11, 3, 9, 44))  # 10 m of 15 m
    await office.act(a, budi, "yes", at(11, 3, 10, 14))  # 30 m of 15 m
    await office.act(a, budi, "direct", at(11, 3, 10, 16))  # 2 m of 3 m
    await office.act(a, who["fungsional"], "done", at(11, 3, 15, 16))  # 5 h of 1 hari (8 h 30)

    # Case B: Friday afternoon across the weekend, then a return to the journalist.
    b = await office.submit(at(11, 6, 16, 0))  # Fri, due 16:05
    await office.act(b, who["sekretaris"], "receive", at(11, 6, 16, 20))  # 20 m, late
    # Fri 16:20 + 15 m = Fri 16:30 (10 m) + Mon 07:30-07:35; taken 10 m + 10 m = 20 m, late
    await office.act(b, who["kadis"], "dispose", at(11, 9, 7, 40))
    # Step 3 opens Mon 07:40; returned after 1 h; the journalist answers a day later, so
    # Mon 08:40-16:00 + Tue 07:30-08:40 = 8 h 30 m of waiting moves the window to
    # Tue 07:40 .. Thu 07:40; closed Tue 09:40 = 2 h (1 h before + 1 h after the return).
    await office.act(b, who["fungsional"], "return", at(11, 9, 8, 40), note="Akta kurang")
    await office.resubmit(b, at(11, 10, 8, 40))
    await office.act(b, who["fungsional"], "evaluate", at(11, 10, 9, 40))
    await office.act(b, who["kasi"], "propose", at(11, 10, 10, 40))  # 60 m of 15 m
    await office.act(b, who["kabid"], "no", at(11, 10, 10, 50), note="Belum memenuhi")  # 10 m

    # Eight more receptions on Wed 4 Nov taking 1,2,3,5,6,7,8,9 minutes; their kadis step
    # stays open (due 15 m later) and is overdue by the 30th.
    for i, taken in enumerate((1, 2, 3, 5, 6, 7, 8, 9)):
        case = await office.submit(at(11, 4, 8, 0) + minutes(30 * i))
        await office.act(
            case, who["sekretaris"], "receive", at(11, 4, 8, 0) + minutes(30 * i + taken)
        )

    # Case F: started and passed on in October (not this period); step 3 left open, overdue.
    f = await office.submit(at(10, 30, 9, 0))
    await office.act(f, who["sekretaris"], "receive", at(10, 30, 9, 3))
    await office.act(f, who["kadis"], "dispose", at(10, 30, 9, 10))
    # Case G: a cancelled task closed in the period must not count.
    g = await office.submit(at(11, 5, 9, 0))
    await office.cancel_open_task(g, who["sekretaris"], at(11, 5, 9, 1))
    # On the 30th: C overdue (due 08:05), D returned to the journalist (paused, never overdue),
    # E due exactly at noon (= now, so not yet overdue).
    await office.submit(at(11, 30, 8, 0))
    d = await office.submit(at(11, 30, 8, 0))
    await office.act(d, who["sekretaris"], "return", at(11, 30, 8, 2), note="Surat kurang")
    await office.submit(at(11, 30, 11, 55))
    return spec, who, budi


# ---------------------------------------------------------------- the figures


def test_nearest_rank_is_the_ceil_rank_smallest_value() -> None:
    values = [20, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert nearest_rank(values, 90) == 9  # ceil(0.9 * 10) = 9th smallest, not interpolated
    assert nearest_rank(values, 50) == 5
    assert nearest_rank(values, 100) == 20
    assert nearest_rank([7], 90) == 7
    assert nearest_rank(list(range(1, 71)), 90) == 63  # 0.9 * 70 is 63.000...01 in floats
    with pytest.raises(ValueError):
        nearest_rank([], 90)


async def test_month_figures_match_the_hand_computed_values(sessions) -> None:
    await _seed_month(sessions)
    async with sessions() as s:
        report = await compute(s, since=SINCE, until=UNTIL, now=NOW)

    steps = {r.step_number: r for r in report.steps}
    assert [r.sop_id for r in report.steps] == [TRENGGALEK] * 7
    assert sorted(steps) == [1, 2, 3, 4, 5, 6, 7]
    expected = {
        # step: (closed, on time, median, p90, overdue now)
        # 1: taken 1,2,3,4(A),5,6,7,8,9,20(B) m -> median (5+6)/2, p90 9th; <= 5 m: five
        1: (10, 5, minutes(5.5), minutes(9), 1),
        2: (2, 0, minutes(25), minutes(30), 8),  # A 30 m, B 20 m (weekend); 8 open receptions
        3: (2, 2, timedelta(hours=5, minutes=15), timedelta(hours=8, minutes=30), 1),  # 8h30, 2h
        4: (2, 1, minutes(35), minutes(60), 0),  # Budi 10 m, kasi 60 m
        5: (2, 1, minutes(20), minutes(30), 0),  # Budi 30 m, kabid 10 m
        6: (1, 1, minutes(2), minutes(2), 0),
        7: (1, 1, timedelta(hours=5), timedelta(hours=5), 0),
    }
    for number, (closed, on_time, median, p90, overdue) in expected.items():
        row = steps[number]
        assert (row.closed, row.on_time, row.median, row.p90, row.overdue_now) == (
            closed,
            on_time,
            median,
            p90,
            overdue,
        ), number
    assert steps[1].within == 0.5 and steps[2].within == 0.0 and steps[3].within == 1.0
    assert (steps[3].role_label, steps[3].standard) == ("Fungsional", "2 hari")
    assert steps[3].standard_span == timedelta(hours=17)  # 2 typical office days of 8 h 30 m
    assert (report.closed, report.on_time, report.overdue_now) == (20, 11, 10)

    people = {p.name: p for p in report.people}
    assert set(people) == {
        "Pejabat sekretaris",
        "Pejabat kadis",
        "Pejabat fungsional",
        "Pejabat kasi",
        "Pejabat kabid",
        "Budi Rangkap",
    }  # the journalist's resubmission is a revision task: not in the table
    expected_people = {
        # name: (closed, on time, median of taken/standard, overdue now in their roles)
        "Pejabat sekretaris": (10, 5, 1.1, 1),  # m/5: ..., 1.0, 1.2, ... -> (1.0 + 1.2) / 2
        "Pejabat kadis": (2, 0, (2.0 + 20 / 15) / 2, 8),
        "Pejabat fungsional": (3, 3, 0.5, 1),  # 2/17, 8.5/17, 5/8.5
        "Budi Rangkap": (3, 2, 10 / 15, 0),  # 10/15, 30/15, 2/3
        "Pejabat kasi": (1, 0, 4.0, 0),
        "Pejabat kabid": (1, 1, 10 / 15, 0),
    }
    for name, (closed, on_time, ratio, overdue) in expected_people.items():
        person = people[name]
        assert (person.closed, person.on_time, person.overdue_now) == (closed, on_time, overdue)
        assert person.median_ratio == pytest.approx(ratio), name
    assert people["Budi Rangkap"].roles == ("Kasi Media Publik", "Kepala Bidang")
    assert people["Budi Rangkap"].within == pytest.approx(2 / 3)
    # Slowest first by the usual delay: kasi was 45 min late on his one task (60 m against
    # 15 m); kadis usually 10 min late (15 m and 5 m over) and holds 8 overdue tasks.
    assert [p.name for p in report.people][:2] == ["Pejabat kasi", "Pejabat kadis"]
    assert people["Pejabat kasi"].typical_delay == minutes(45)
    assert (people["Pejabat kadis"].typical_delay, people["Pejabat kadis"].worst_delay) == (
        minutes(10),
        minutes(15),
    )
    assert export.verdict(people["Pejabat kasi"]) == "terlambat 45 menit"  # his only task
    assert export.verdict(people["Pejabat kadis"]) == "selalu terlambat, biasanya 10 menit"
    assert export.verdict(people["Pejabat fungsional"]) == "selalu tepat waktu"
    # Budi: 1 of 3 late (30 m against 15 m): usually on time, and the 15 min said anyway.
    assert export.verdict(people["Budi Rangkap"]).startswith("biasanya tepat waktu")
    assert export.worst_text(people["Budi Rangkap"]) == "terlambat 1 kali: 15 menit"
    delays = [p.typical_delay or timedelta(0) for p in report.people]
    assert delays == sorted(delays, reverse=True)

    # A period holding only the October closures: step 1 and 2 once each (Case F).
    async with sessions() as s:
        october = await compute(s, since=datetime(2026, 10, 1, tzinfo=WIB), until=SINCE, now=NOW)
    counts = {r.step_number: r.closed for r in october.steps}
    assert counts == {1: 1, 2: 1, 3: 0, 4: 0, 5: 0, 6: 0, 7: 0}


async def test_an_empty_period_gives_empty_rows(sessions) -> None:
    spec, _, _ = await _office(sessions)
    async with sessions() as s:
        report = await compute(s, since=SINCE, until=UNTIL, now=NOW)
        listed = await compute(s, since=SINCE, until=UNTIL, now=NOW, sops=[spec])
    assert (report.steps, report.people, report.closed, report.within) == ((), (), 0, None)
    assert [r.step_number for r in listed.steps] == [s.number for s in spec.steps]
    assert all(r.closed == 0 and r.median is None and r.within is None for r in listed.steps)
    # Every export copes with nothing to show.
    assert "Belum ada" in export.as_table(report, "Asia/Jakarta")
    assert export.as_csv(report).count("\n") == 1
    assert export.chart_labels(export.build_figure(report)) == []


# ---------------------------------------------------------------- exports


def _sample_report(spec: SopSpec, people: tuple[PersonRow, ...] = ()) -> Report:
    """Every step of the SOP; step 1 instant, step 6 late, the last step never finished."""
    rows = []
    for step in spec.steps:
        done = step.number != spec.steps[-1].number
        median = {1: timedelta(0), 6: timedelta(hours=20)}.get(step.number, minutes(4))
        rows.append(
            StepRow(
                sop_id=spec.id,
                step_number=step.number,
                role=step.role,
                role_name=spec.role_name(step.role),
                role_label=spec.roles[step.role].short or spec.roles[step.role].name,
                activity=step.activity[:60],
                standard=str(step.time),
                clock=step.clock,
                standard_span=step.time.as_calendar_timedelta()
                if step.clock == "calendar"
                else timedelta(hours=8.5 * step.time.days, minutes=step.time.minutes),
                applicant=step.role == spec.applicant_role,
                closed=3 if done else 0,
                on_time=2 if done else 0,
                median=median if done else None,
                p90=median * 2 if done else None,
                overdue_now=1 if step.number == 6 else 0,
                sop_title=spec.title,
            )
        )
    return Report(
        since=SINCE,
        until=UNTIL,
        now=NOW,
        timezone="Asia/Jakarta",
        steps=tuple(rows),
        people=people
        or (
            PersonRow(
                1,
                "Pejabat <kadis> & co",
                ("Kepala Dinas",),
                3,
                1,
                1.75,
                1,
                typical_delay=timedelta(hours=2, minutes=5),
                worst_delay=timedelta(hours=3, minutes=20),
            ),
            PersonRow(2, "Budi Rangkap", ("Kabid PIKP", "Sekretaris"), 4, 4, 0.5, 0),
        ),
    )


def test_png_charts_each_official_slowest_first_without_a_scale_to_decode(
    tmp_path: Path,
) -> None:
    report = _sample_report(builtin("sanggau-hubungan-media"))
    figure = export.build_figure(report)
    assert export.chart_labels(figure) == ["Pejabat <kadis> & co", "Budi Rangkap"]
    texts = [t.get_text() for ax in figure.axes for t in ax.texts]
    assert "2 terlambat" in texts and "4 tepat" in texts  # counts written on the bars
    assert "biasanya terlambat 2 jam" in texts and "1 tugas terlambat kini" in texts
    assert "terlambat 2 kali, paling lama 3 jam 20 menit" in texts  # real delays, in words
    assert not any("P90" in t for t in texts) and all(not ax.axison for ax in figure.axes)

    path = export.as_png(report, tmp_path / "chart.png")
    with Image.open(path) as image:
        assert image.format == "PNG"
        width, height = image.size
    assert width == 900 and height < 1400  # shown 360 px wide: type stays ≥ 12 px on a phone


def test_xlsx_has_both_sheets_with_bold_headers_and_minutes(tmp_path: Path) -> None:
    spec = builtin(TRENGGALEK)
    report = _sample_report(spec)
    path = export.as_xlsx(report, tmp_path / "out" / "laporan.xlsx")
    book = load_workbook(path)
    assert book.sheetnames[:2] == ["Per langkah", "Per petugas"]
    steps, people = book["Per langkah"], book["Per petugas"]
    assert steps.max_row == len(spec.steps) + 1 and people.max_row == 3
    assert all(cell.font.bold for cell in steps[1]) and all(cell.font.bold for cell in people[1])
    headers = [c.value for c in steps[1]]
    row3 = dict(zip(headers, [c.value for c in steps[4]], strict=True))  # step 3
    assert (row3["Langkah"], row3["Standar"], row3["Standar (menit)"]) == (3, "2 hari", 1020)
    assert (row3["Median (menit)"], row3["Median"], row3["Tepat waktu"]) == (4, "4 menit", 2 / 3)
    assert steps.column_dimensions["D"].width == 48
    assert [c.value for c in people[2]][:3] == ["Pejabat <kadis> & co", "Kepala Dinas", 3]


def test_csv_parses_with_a_section_column_and_plain_units() -> None:
    spec = builtin(TRENGGALEK)
    rows = list(csv.DictReader(io.StringIO(export.as_csv(_sample_report(spec)))))
    steps = [r for r in rows if r["bagian"] == "langkah"]
    people = [r for r in rows if r["bagian"] == "petugas"]
    assert len(steps) == len(spec.steps) and len(people) == 2
    six = next(r for r in steps if r["langkah"] == "6")
    assert (six["median_menit"], six["p90_menit"], six["standar_menit"]) == ("1200", "2400", "3")
    assert (six["tepat_waktu"], six["terlambat_kini"]) == ("0.6667", "1")
    assert steps[-1]["median_menit"] == "" and steps[-1]["jumlah"] == "0"
    assert people[0]["median_rasio"] == "1.75" and people[1]["peran"] == "Kabid PIKP; Sekretaris"


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.split("|")]


STEP_HEADER = ["Langkah", "Pelaksana", "Standar", "Jumlah", "Median", "P90", "Tepat waktu"]


def test_table_and_caption(tmp_path: Path) -> None:
    report = _sample_report(builtin(TRENGGALEK))
    table = export.as_table(report, "Asia/Jakarta")
    lines = table.splitlines()
    assert [*STEP_HEADER, "Terlambat kini"] in [_cells(line) for line in lines]
    six = next(_cells(line) for line in lines if line.startswith("6 "))
    assert six == ["6", "Kasi Media Publik", "3 menit", "3", "20 jam", "40 jam", "67%", "1"]
    assert "1 November 2026 – 30 November 2026" in table
    assert table.splitlines()[0].startswith("Kepatuhan waktu SOP")
    assert "SOP Kerjasama Media Massa — Diskominfo Kabupaten Trenggalek" in table
    kadis = next(_cells(line) for line in lines if line.startswith("Pejabat <kadis>"))
    assert kadis[3:6] == ["33%", "biasanya terlambat 2 jam", "3 jam 20 menit"]

    text = export.caption(report, "Asia/Jakarta")
    assert len(text) <= 1000 and "Ketepatan waktu SOP" in text
    assert html.escape("Pejabat <kadis> & co") in text and "<kadis>" not in text
    assert "terlambat 2 kali, paling lama 3 jam 20 menit" in text
    crowd = tuple(
        PersonRow(i, "N" * 200 + "<", ("Kasi",), 1, 0, 2.0, 5, minutes(30), minutes(30))
        for i in range(10)
    )
    long = export.caption(_sample_report(builtin(TRENGGALEK), crowd), "Asia/Jakarta")
    assert len(long) <= 1000 and long.count("<") == long.count(">")  # never a cut tag


# ---------------------------------------------------------------- /laporan


async def test_laporan_sends_chart_and_workbook_to_heads_only(sessions, tmp_path: Path) -> None:
    spec, office, who = await _office(sessions)
    case = await office.submit(at(11, 2, 9, 0))
    await office.act(case, who["sekretaris"], "receive", at(11, 2, 9, 4))
    deps = Deps(
        archive=Archive(tmp_path),
        version_id=office.version.id,
        spec=spec,
        files_dir=tmp_path / "files",
    )
    for key, allowed in (("kabid", True), ("fungsional", False)):
        async with sessions() as s, s.begin():
            user = await s.get(User, who[key].id)
            ctx = Ctx(s, NOW, Sender(who[key].telegram_id, key), 77, deps, files=None, user=user)
            await laporan(ctx)
            if allowed:  # the period buttons, then "Bulan ini" pressed
                assert isinstance(ctx.out[0], SendMessage) and ctx.out[0].markup is not None
                ctx.out.clear()
                await on_period(ctx, "bulan_ini")
        # The chart and workbook are drawn after the commit, outside the transaction.
        drawn = [reply for job in ctx.later for reply in await job()]
        if not allowed:
            assert drawn == []
            assert len(ctx.out) == 1 and isinstance(ctx.out[0], SendMessage)
            assert (
                "hanya untuk pimpinan" in ctx.out[0].text and "Kasi Media Publik" in ctx.out[0].text
            )
            continue
        assert all(not isinstance(r, SendDocument) for r in ctx.out)  # drawn after the commit
        photo, book = drawn
        assert isinstance(photo, SendDocument) and isinstance(book, SendDocument)
        assert photo.as_photo and not book.as_photo
        assert photo.caption and "1 November 2026" in photo.caption
        assert "Petugas menyelesaikan 1 tugas: 1 tepat waktu (100%)" in photo.caption
        assert photo.path == str(tmp_path / "files" / "reports" / photo.file_name)
        assert load_workbook(book.path)["Per langkah"].max_row == 8  # header + 7 steps
    # 30 Nov 20:00 UTC is already 1 December on the office's wall clock.
    late_utc = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)
    assert month_start(late_utc, "Asia/Jakarta") == datetime(2026, 12, 1, tzinfo=WIB)


def test_period_buttons_cover_this_month_last_month_and_this_year() -> None:
    now = datetime(2026, 1, 10, 2, 0, tzinfo=UTC)  # 10 January, 09:00 WIB
    assert period_bounds("bulan_ini", now, "Asia/Jakarta") == (
        datetime(2026, 1, 1, tzinfo=WIB),
        now,
    )
    assert period_bounds("bulan_lalu", now, "Asia/Jakarta") == (
        datetime(2025, 12, 1, tzinfo=WIB),
        datetime(2026, 1, 1, tzinfo=WIB),
    )
    assert period_bounds("tahun_ini", now, "Asia/Jakarta") == (
        datetime(2026, 1, 1, tzinfo=WIB),
        now,
    )


# ---------------------------------------------------------------- CLI

runner = CliRunner()


def test_cli_writes_every_format_for_inclusive_dates(tmp_path: Path, monkeypatch) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SOP", TRENGGALEK)
    monkeypatch.setenv("TIMEZONE", "Asia/Jakarta")
    upgrade(url)

    async def seed() -> None:
        db = create_engine(url)
        try:
            _, office, who = await _office(session_factory(db))
            case = await office.submit(at(11, 30, 15, 0))
            await office.act(case, who["sekretaris"], "receive", at(11, 30, 15, 3))  # in
            await office.act(case, who["kadis"], "dispose", at(12, 1, 8, 0))  # 1 Dec: out
        finally:
            await db.dispose()

    asyncio.run(seed())
    period = ["sla", "--from", "2026-11-01", "--to", "2026-11-30"]

    result = runner.invoke(report_app, period)
    assert result.exit_code == 0, result.output
    rows = [_cells(line) for line in result.output.splitlines() if "|" in line]
    assert rows[0][:7] == STEP_HEADER
    assert (rows[1][:2], rows[1][3]) == (["1", "Sekretaris"], "1")  # closed 30 Nov 15:03
    assert (rows[2][:2], rows[2][3]) == (["2", "Kepala Dinas"], "0")  # closed 1 Dec: not in

    result = runner.invoke(report_app, [*period, "--format", "csv", "--output", "x/l.csv"])
    assert result.exit_code == 0 and result.output.strip() == "x/l.csv"
    rows = list(csv.DictReader((tmp_path / "x" / "l.csv").open(encoding="utf-8")))
    assert [r["jumlah"] for r in rows if r["bagian"] == "langkah"] == ["1"] + ["0"] * 6

    result = runner.invoke(report_app, [*period, "--format", "xlsx"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "laporan-sla-2026-11-01-2026-11-30.xlsx").is_file()
    result = runner.invoke(report_app, [*period, "--format", "png", "--output", "c.png"])
    assert result.exit_code == 0 and Image.open(tmp_path / "c.png").size[0] == 900
    # Without dates: this month up to today, and the SOP named by its title.
    result = runner.invoke(report_app, ["sla"])
    assert result.exit_code == 0, result.output
    assert "SOP Kerjasama Media Massa — Diskominfo Kabupaten Trenggalek" in result.output
    first = export.format_date(datetime.now(WIB).date().replace(day=1))
    assert f"Kepatuhan waktu SOP: {first}" in result.output

    bad = runner.invoke(report_app, ["sla", "--from", "2026-11-31", "--to", "2026-11-30"])
    assert bad.exit_code != 0
    backwards = runner.invoke(report_app, ["sla", "--from", "2026-11-30", "--to", "2026-11-01"])
    assert backwards.exit_code != 0

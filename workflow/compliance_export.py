"""The SLA compliance report as a text table, CSV, Excel workbook, PNG chart and photo caption.

All labels are Indonesian: the readers are the head of office and his staff. Times in machine
formats (CSV, Excel numbers) are whole minutes and shares are 0..1, so a spreadsheet can sum
and chart them; the human columns use the same wording as the bot's messages.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from workflow import wording
from workflow.compliance import PersonRow, Report, StepRow
from workflow.timefmt import format_date, format_rough, format_span, format_when

# matplotlib and openpyxl (about 65 MB together) are imported by the functions that draw or
# write, so a bot that never sends a chart or a workbook never loads them.
if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from openpyxl.worksheet.worksheet import Worksheet

CAPTION_MAX = 1000  # Telegram allows 1024 characters in a photo caption
DPI = 150
ON_TIME_COLOR, LATE_COLOR, STANDARD_COLOR = "#2e7d32", "#c62828", "#b0bec5"

STEP_HEADERS = (
    "Langkah",
    "Pelaksana",
    "Standar",
    "Jumlah",
    "Median",
    "P90",
    "Tepat waktu",
    "Terlambat kini",
)
PERSON_HEADERS = (
    "Petugas",
    "Peran",
    "Jumlah",
    "Tepat waktu",
    "Biasanya",
    "Paling lama terlambat",
    "Terlambat kini",
)


# ---------------------------------------------------------------- wording


def period_text(report: Report, tz: str | None = None) -> str:
    """The period as office dates, inclusive: "1 November 2026 – 30 November 2026"."""
    zone = ZoneInfo(tz or report.timezone)
    first = report.since.astimezone(zone).date()
    # `until` is exclusive: the last day shown is the one holding the instant just before it.
    last = (report.until - timedelta(microseconds=1)).astimezone(zone).date()
    if last <= first:
        return format_date(first)
    return f"{format_date(first)} – {format_date(last)}"


def span_text(span: timedelta | None, clock: str = "working") -> str:
    """A time taken, as the bot says it; working-clock spans are never folded into 24 h days."""
    if span is None:
        return "-"
    return format_span(span, fold_days=clock == "calendar")


def share_text(share: float | None) -> str:
    return "-" if share is None else f"{round(share * 100)}%"


def ratio_text(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio:.2f}".replace(".", ",") + "×"


def compact_span(span: timedelta) -> str:
    """Short enough for a chart bar: "12 mnt", "5,2 jam"."""
    minutes = span.total_seconds() / 60
    if minutes < 1:
        return "< 1 mnt"
    if minutes < 60:
        return f"{round(minutes)} mnt"
    if minutes < 600:  # one decimal only while it still matters
        return f"{minutes / 60:.1f}".replace(".", ",") + " jam"
    return f"{round(minutes / 60)} jam"


def _minutes(span: timedelta | None) -> int | None:
    return None if span is None else round(span.total_seconds() / 60)


# ---------------------------------------------------------------- plain-text table


def as_table(report: Report, tz: str) -> str:
    """Monospace tables (per step, then per official) for a terminal or a <pre> block."""
    lines = [
        f"Kepatuhan waktu SOP: {period_text(report, tz)}",
        f"Tugas selesai dalam periode; 'Terlambat kini' per {format_when(report.now, tz)}.",
        "",
    ]
    if not report.steps and not report.people:
        lines.append("Belum ada tugas yang selesai atau terlambat dalam periode ini.")
        return "\n".join(lines) + "\n"
    for sop_id in sorted({r.sop_id for r in report.steps}):
        rows_of = [r for r in report.steps if r.sop_id == sop_id]
        lines.append(rows_of[0].sop_title or sop_id)  # the office knows its SOP by its title
        rows = [_step_cells(r) for r in rows_of]
        lines += _grid(STEP_HEADERS, rows, right=(3, 7))
        lines.append("")
    lines.append("Per petugas")
    if report.people:
        lines += _grid(PERSON_HEADERS, [_person_cells(p) for p in report.people], right=(2, 3, 6))
        lines.append("Urutan: yang paling lambat di atas.")
    else:
        lines.append("Belum ada petugas yang menyelesaikan tugas.")
    return "\n".join(lines) + "\n"


def _step_cells(row: StepRow) -> list[str]:
    return [
        str(row.step_number),
        row.role_label + (" (pemohon)" if row.applicant else ""),
        row.standard,
        str(row.closed),
        span_text(row.median, row.clock),
        span_text(row.p90, row.clock),
        share_text(row.within),
        str(row.overdue_now),
    ]


def _person_cells(row: PersonRow) -> list[str]:
    return [
        row.name,
        ", ".join(row.roles) or "-",
        str(row.closed),
        share_text(row.within),
        verdict(row),
        span_text(row.worst_delay) if row.late else "-",
        str(row.overdue_now),
    ]


def _grid(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        padded = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return " | ".join(padded).rstrip()

    return [line(headers), "-+-".join("-" * w for w in widths), *(line(r) for r in rows)]


# ---------------------------------------------------------------- CSV

CSV_COLUMNS = (
    "bagian",
    "sop",
    "langkah",
    "pelaksana",
    "kegiatan",
    "standar",
    "standar_menit",
    "petugas",
    "peran",
    "jumlah",
    "tepat_waktu_jumlah",
    "median_menit",
    "p90_menit",
    "median_rasio",
    "tepat_waktu",
    "terlambat_kini",
)


def as_csv(report: Report) -> str:
    """One CSV; the `bagian` column says "langkah" (per step) or "petugas" (per official)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in report.steps:
        writer.writerow(
            {
                "bagian": "langkah",
                "sop": row.sop_id,
                "langkah": row.step_number,
                "pelaksana": row.role_name,
                "kegiatan": row.activity,
                "standar": row.standard,
                "standar_menit": _minutes(row.standard_span),
                "jumlah": row.closed,
                "tepat_waktu_jumlah": row.on_time,
                "median_menit": _minutes(row.median),
                "p90_menit": _minutes(row.p90),
                "tepat_waktu": _share(row.within),
                "terlambat_kini": row.overdue_now,
            }
        )
    for person in report.people:
        writer.writerow(
            {
                "bagian": "petugas",
                "petugas": person.name,
                "peran": "; ".join(person.roles),
                "jumlah": person.closed,
                "tepat_waktu_jumlah": person.on_time,
                "median_rasio": _share(person.median_ratio),
                "tepat_waktu": _share(person.within),
                "terlambat_kini": person.overdue_now,
            }
        )
    return out.getvalue()


def _share(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


# ---------------------------------------------------------------- Excel


def as_xlsx(report: Report, path: Path) -> Path:
    """A workbook with sheets "Per langkah", "Per petugas" and "Keterangan" (the definitions);
    the words are in templates/messages/report_sheet.txt.j2."""
    from openpyxl import Workbook

    book = Workbook()
    names = _sheet_lines("sheets")
    steps = book.active
    assert steps is not None  # a new workbook always has its first sheet
    steps.title = names[0]
    _fill(
        steps,
        _sheet_lines("step_columns"),
        [
            [
                r.sop_title or r.sop_id,  # the office knows its SOP by its title
                r.step_number,
                r.role_name,
                r.activity,
                r.standard,
                _minutes(r.standard_span),
                r.closed,
                _minutes(r.median),
                span_text(r.median, r.clock),
                _minutes(r.p90),
                span_text(r.p90, r.clock),
                r.within,
                r.overdue_now,
            ]
            for r in report.steps
        ],
        widths=(40, 9, 24, 48, 12, 10, 10, 10, 20, 10, 20, 12, 10),
        percent_columns=(12,),
    )
    _fill(
        book.create_sheet(names[1]),
        _sheet_lines("person_columns"),
        [
            [
                p.name,
                ", ".join(p.roles),
                p.closed,
                p.median_ratio,
                p.within,
                p.overdue_now,
                verdict(p),
                _minutes(p.typical_delay),
                _minutes(p.worst_delay),
            ]
            for p in report.people
        ],
        widths=(28, 34, 10, 12, 12, 10, 34, 12, 12),
        percent_columns=(5,),
        ratio_columns=(4,),
    )
    _fill(
        book.create_sheet(names[2]),
        _sheet_lines("definitions_header"),
        [[k, v] for k, v in _definitions(report)],
        widths=(22, 100),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def _sheet_lines(name: str, *args: object) -> list[str]:
    """One line per cell from templates/messages/report_sheet.txt.j2 (headers, sheet names)."""
    text = str(getattr(wording.module("report_sheet"), name)(*args))
    return [line.strip() for line in text.splitlines() if line.strip()]


def _definitions(report: Report) -> list[tuple[str, str]]:
    lines = _sheet_lines(
        "definitions", period_text(report), format_when(report.now, report.timezone)
    )
    return [
        (term.strip(), meaning.strip()) for term, _, meaning in (x.partition("|") for x in lines)
    ]


def _fill(
    sheet: Worksheet,
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    widths: Sequence[int],
    percent_columns: Sequence[int] = (),
    ratio_columns: Sequence[int] = (),
) -> None:
    """Header row in bold and frozen, set widths, percent/ratio number formats (1-based cols)."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    for column, fmt in [(c, "0%") for c in percent_columns] + [(c, "0.00") for c in ratio_columns]:
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            cell.number_format = fmt
    sheet.freeze_panes = "A2"


# ---------------------------------------------------------------- words (templates/)

PEOPLE_IN_CAPTION = 6
PEOPLE_IN_CHART = 8


@lru_cache(maxsize=1)
def _env() -> Environment:
    # The caption is HTML, so this environment escapes (workflow.wording's is for plain text);
    # read here directly because workflow/ never imports handlers/.
    return Environment(
        loader=PackageLoader("templates", ""),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def words(name: str, *args: object) -> str:
    """A phrase of the report from templates/messages/report_words.txt.j2 (plain text; a line
    break in it is kept, for the chart)."""
    return str(getattr(wording.module("report_words"), name)(*args)).strip()


def verdict(person: PersonRow) -> str:
    """How this person usually does, in plain words: "biasanya terlambat 2 jam"."""
    typical, worst = person.typical_delay, person.worst_delay
    return words(
        "verdict",
        person.closed,
        person.late,
        format_rough(typical) if typical and typical > timedelta(0) else "",
        format_span(worst, fold_days=False) if worst else "",
    )


def worst_text(person: PersonRow) -> str:
    """The real delays, never hidden by a typical value: "terlambat 1 kali: 3 jam 20 menit"."""
    if not person.late or person.worst_delay is None or person.closed == 1:
        return ""  # one task: the verdict already says its delay
    return words("worst", person.late, format_span(person.worst_delay, fold_days=False))


def _applicant_text(report: Report) -> str:
    rows = report.applicant_steps
    if not rows or not (report.applicant_closed or report.applicant_overdue_now):
        return ""
    return words(
        "applicant",
        rows[0].role_name,
        report.applicant_closed,
        report.applicant_late,
        report.applicant_overdue_now,
    )


def _ranked(report: Report) -> list[PersonRow]:
    """Officials with something to show, slowest first (compute() has ordered them)."""
    return [p for p in report.people if p.closed or p.overdue_now]


# ---------------------------------------------------------------- chart

CHART_WIDTH_IN = 6.0  # 900 px at 150 dpi: a phone shows it at 360 px, so 1 pt here ≈ 0.8 px
NAME_PT, BAR_PT, VERDICT_PT, DETAIL_PT, TITLE_PT = 19, 18, 17, 15, 22
LINE_IN = 0.32  # one text line under a bar, in inches


def _lines_under(person: PersonRow) -> list[tuple[str, int, str]]:
    """(text, size, colour) under a person's bar: the verdict, the real delays, work late now."""
    late = bool(person.late or person.overdue_now)
    lines = [(verdict(person), VERDICT_PT, LATE_COLOR if late else "#1b5e20")]
    if worst := worst_text(person):
        lines.append((worst, DETAIL_PT, "#333333"))
    if person.overdue_now:
        lines.append((words("overdue", person.overdue_now), DETAIL_PT, LATE_COLOR))
    return lines


def build_figure(report: Report, tz: str | None = None) -> Figure:
    """One block per official, slowest on top, drawn for a phone held upright: the name in
    large type, one full-width bar split into on-time (green) and late (red) tasks with the
    counts written inside, and under it in words how they usually do and their real delays.
    No axis, no scale to decode: every figure is written where it belongs. The names, top to
    bottom, are :func:`chart_labels`.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    ranked = _ranked(report)
    people = ranked[:PEOPLE_IN_CHART]
    footer = _applicant_text(report)
    if len(ranked) > len(people):  # the fastest are left out, and it says so
        footer = "\n".join(x for x in (words("more", len(ranked) - len(people)), footer) if x)
    blocks = [0.95 + LINE_IN * len(_lines_under(p)) + 0.3 for p in people] or [1.2]
    top, bottom = 1.3, 0.2 + 0.6 * (footer.count("\n") + 1 if footer else 0)
    height = top + sum(blocks) + bottom
    figure = Figure(figsize=(CHART_WIDTH_IN, height), dpi=DPI)
    FigureCanvasAgg(figure)
    # One axes over the whole picture, its y unit an inch from the top: positions stay simple.
    axes = figure.add_axes((0.04, 0, 0.92, 1))
    axes.set_axis_off()
    axes.set_xlim(0, 1)
    axes.set_ylim(height, 0)
    axes.text(0, 0.25, words("chart_title"), fontsize=TITLE_PT, fontweight="bold", va="top")
    axes.text(0, 0.8, period_text(report, tz), fontsize=VERDICT_PT, va="top")
    if not people:
        axes.text(0.5, top + 0.6, words("no_data"), ha="center", va="center", fontsize=NAME_PT)
    y = top
    for person, block in zip(people, blocks, strict=False):
        _person_block(axes, y, person)
        y += block
    if footer:
        axes.text(
            0, height - 0.2, footer, fontsize=DETAIL_PT, va="bottom", wrap=True, color="#444444"
        )
    return figure


def _person_block(axes: Axes, y: float, person: PersonRow) -> None:
    name = person.name if len(person.name) <= 26 else person.name[:25].rstrip() + "…"
    axes.text(0, y, name, fontsize=NAME_PT, fontweight="bold", va="top", gid="name")
    bar_y, bar_h = y + 0.62, 0.36
    if person.closed:
        share = person.on_time / person.closed
        for left, width, text, color in (
            (0.0, share, words("on_time_part", person.on_time), ON_TIME_COLOR),
            (share, 1 - share, words("late_part", person.late), LATE_COLOR),
        ):
            if width <= 0:
                continue
            axes.barh(bar_y, width, left=left, height=bar_h, color=color)
            axes.text(
                left + width / 2,
                bar_y,
                text if width >= 0.22 else text.split()[0],  # a thin slice keeps its number
                ha="center",
                va="center",
                color="white",
                fontsize=BAR_PT,
                fontweight="bold",
            )
    else:
        axes.barh(bar_y, 1, height=bar_h, color=STANDARD_COLOR)
        axes.text(0.5, bar_y, words("none_closed"), ha="center", va="center", fontsize=BAR_PT)
    line_y = bar_y + bar_h / 2 + 0.08
    for text, size, color in _lines_under(person):
        axes.text(0, line_y, text, fontsize=size, va="top", color=color)
        line_y += LINE_IN


def chart_labels(figure: Figure) -> list[str]:
    """The officials' names on the chart, top to bottom (slowest first)."""
    return [t.get_text() for ax in figure.axes for t in ax.texts if t.get_gid() == "name"]


def as_png(report: Report, path: Path, tz: str | None = None) -> Path:
    """The chart as a PNG for a Telegram photo (900 px wide, type sized for a phone)."""
    figure = build_figure(report, tz)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=DPI, format="png")
    return path


# ---------------------------------------------------------------- photo caption


def caption(report: Report, tz: str) -> str:
    """The chart photo's caption (HTML, <= 1000 characters, names escaped): the officials'
    headline, everyone who was late slowest first with their real delays, the applicant apart.
    People are dropped from the bottom (and counted in a last line) until it fits."""
    ranked = _ranked(report)
    titles = sorted({r.sop_title for r in report.steps if r.sop_title})
    shown = min(len(ranked), PEOPLE_IN_CAPTION)
    while True:
        people = [
            {
                "name": p.name,
                "roles": ", ".join(p.roles),
                "verdict": verdict(p),
                "closed": p.closed,
                "on_time": p.on_time,
                "share": share_text(p.within),
                "worst": worst_text(p),
                "overdue": words("overdue", p.overdue_now) if p.overdue_now else "",
            }
            for p in ranked[:shown]
        ]
        text = (
            _env()
            .get_template("messages/report_caption.html.j2")
            .render(
                period=period_text(report, tz),
                sop_title=titles[0] if len(titles) == 1 else "",
                closed=report.closed,
                on_time=report.on_time,
                share=share_text(report.within),
                overdue_now=report.overdue_now,
                people=people,
                more=words("more", len(ranked) - shown) if shown < len(ranked) else "",
                applicant=_applicant_text(report),
            )
        )
        text = "\n".join(line.rstrip() for line in text.strip().splitlines())
        if len(text) <= CAPTION_MAX or shown == 0:
            return _fit(text.splitlines(), CAPTION_MAX)
        shown -= 1


def _fit(lines: Sequence[str], limit: int) -> str:
    """Whole lines only (never a cut HTML tag or entity), as many as fit in ``limit``."""
    kept: list[str] = []
    for line in lines:
        if len("\n".join([*kept, line])) > limit:
            break
        kept.append(line)
    return "\n".join(kept)


__all__ = [
    "as_csv",
    "as_png",
    "as_table",
    "as_xlsx",
    "build_figure",
    "caption",
    "chart_labels",
]

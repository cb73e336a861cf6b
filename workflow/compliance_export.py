"""The SLA compliance report as a text table, CSV, Excel workbook, PNG chart and photo caption.

All labels are Indonesian: the readers are the head of office and his staff. Times in machine
formats (CSV, Excel numbers) are whole minutes and shares are 0..1, so a spreadsheet can sum
and chart them; the human columns use the same wording as the bot's messages.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from workflow.compliance import PersonRow, Report, StepRow
from workflow.timefmt import format_date, format_span, format_when

# matplotlib and openpyxl (about 65 MB together) are imported by the functions that draw or
# write, so a bot that never sends a chart or a workbook never loads them.
if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from openpyxl.worksheet.worksheet import Worksheet

CAPTION_MAX = 1000  # Telegram allows 1024 characters in a photo caption
DPI = 150
HOUR = timedelta(hours=1)
# Log axes cannot show zero: an instantly finished step (the applicant's own submission) is
# drawn at half a minute and labelled "< 1 mnt".
FLOOR_HOURS = 0.5 / 60
# Decade ticks: evenly spaced on a log axis, so the labels never crowd on a narrow chart.
TICKS_HOURS = (
    (1 / 60, "1 mnt"),
    (10 / 60, "10 mnt"),
    (1.0, "1 jam"),
    (10.0, "10 jam"),
    (100.0, "100 jam"),
    (1000.0, "1000 jam"),
)
ON_TIME_COLOR, LATE_COLOR, STANDARD_COLOR = "#2e7d32", "#c62828", "#b0bec5"
LABEL_MAX = 34

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
PERSON_HEADERS = ("Petugas", "Peran", "Jumlah", "Median rasio", "Tepat waktu", "Terlambat kini")


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


def step_label(row: StepRow, with_sop: bool = False) -> str:
    """The chart's y label: "Langkah 3 · Fungsional"."""
    label = f"Langkah {row.step_number} · {row.role_label}"
    if len(label) > LABEL_MAX:
        label = label[: LABEL_MAX - 1].rstrip() + "…"
    return f"{row.sop_id}\n{label}" if with_sop else label


def _many_sops(report: Report) -> bool:
    return len({r.sop_id for r in report.steps}) > 1


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
        lines.append(f"SOP {sop_id}")
        rows = [_step_cells(r) for r in report.steps if r.sop_id == sop_id]
        lines += _grid(STEP_HEADERS, rows, right=(3, 7))
        lines.append("")
    lines.append("Per petugas")
    if report.people:
        lines += _grid(PERSON_HEADERS, [_person_cells(p) for p in report.people], right=(2, 3, 5))
        lines.append("Median rasio = median (waktu / standar); 1,00× = tepat sesuai standar.")
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
        ratio_text(row.median_ratio),
        share_text(row.within),
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
    """A workbook with sheets "Per langkah", "Per petugas" and "Keterangan" (the definitions)."""
    from openpyxl import Workbook

    book = Workbook()
    steps = book.active
    assert steps is not None  # a new workbook always has its first sheet
    steps.title = "Per langkah"
    _fill(
        steps,
        (
            "SOP",
            "Langkah",
            "Pelaksana",
            "Kegiatan",
            "Standar",
            "Standar (menit)",
            "Jumlah selesai",
            "Median (menit)",
            "Median",
            "P90 (menit)",
            "P90",
            "Tepat waktu",
            "Terlambat kini",
        ),
        [
            [
                r.sop_id,
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
        widths=(26, 9, 24, 48, 12, 10, 10, 10, 20, 10, 20, 12, 10),
        percent_columns=(12,),
    )
    _fill(
        book.create_sheet("Per petugas"),
        ("Petugas", "Peran", "Jumlah selesai", "Median rasio", "Tepat waktu", "Terlambat kini"),
        [
            [p.name, ", ".join(p.roles), p.closed, p.median_ratio, p.within, p.overdue_now]
            for p in report.people
        ],
        widths=(28, 34, 10, 12, 12, 10),
        percent_columns=(5,),
        ratio_columns=(4,),
    )
    _fill(
        book.create_sheet("Keterangan"),
        ("Keterangan", "Isi"),
        [[k, v] for k, v in _definitions(report)],
        widths=(22, 100),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def _definitions(report: Report) -> list[tuple[str, str]]:
    return [
        ("Periode", period_text(report)),
        ("Terlambat kini per", format_when(report.now, report.timezone)),
        ("Jumlah", "Tugas langkah yang selesai dalam periode (tanpa tugas batal dan perbaikan)."),
        (
            "Waktu",
            "Dihitung dengan jam kerja kantor (atau hari kalender bila langkahnya begitu); "
            "waktu menunggu perbaikan dari pemohon tidak dihitung.",
        ),
        ("Median", "Nilai tengah waktu penyelesaian."),
        ("P90", "Peringkat terdekat: nilai ke-⌈0,9 × n⌉ dari yang tercepat."),
        ("Tepat waktu", "Bagian tugas yang selesai paling lambat pada batas waktunya."),
        ("Median rasio", "Median dari waktu ÷ standar tiap tugas; 1,00 = tepat standar."),
        (
            "Terlambat kini",
            "Tugas terbuka yang sudah melewati batas waktu (tidak termasuk yang "
            "menunggu perbaikan pemohon).",
        ),
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


# ---------------------------------------------------------------- chart


def build_figure(report: Report, tz: str | None = None) -> Figure:
    """The chart as a matplotlib Figure (Agg, no pyplot state): one bar pair per SOP step.

    Grey bar = the standard (its text at the bar's end), coloured bar = the median time taken
    (green within, red over), black tick = P90. The figures themselves sit in a column on the
    right (a second y axis, so the layout engine keeps them inside the picture). A step with no
    finished task keeps its grey bar. The left y tick labels are exactly :func:`step_label` of
    each row, top to bottom (see :func:`chart_labels`).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    rows = report.steps
    height = max(4.5, 2.6 + 0.95 * len(rows))
    figure = Figure(figsize=(9.0, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    figure.suptitle(
        f"Kepatuhan waktu SOP\n{period_text(report, tz)}", fontsize=18, fontweight="bold"
    )
    if not rows:
        axes.set_axis_off()
        axes.set_xticks([])
        axes.set_yticks([])
        axes.text(0.5, 0.5, "Belum ada data", ha="center", va="center", fontsize=18)
        return figure
    _draw_bars(axes, rows)
    positions = list(range(len(rows)))
    axes.set_yticks(positions, [step_label(r, _many_sops(report)) for r in rows], fontsize=14)
    axes.set_ylim(len(rows) - 0.5, -0.5)  # step 1 on top, as on the SOP sheet
    _log_hours_axis(axes, rows)
    figures = axes.secondary_yaxis("right")
    figures.set_yticks(positions, [_figures_text(r) for r in rows], fontsize=12)
    figures.tick_params(length=0)
    figure.legend(
        handles=[
            Patch(color=STANDARD_COLOR, label="Standar"),
            Patch(color=ON_TIME_COLOR, label="Median ≤ standar"),
            Patch(color=LATE_COLOR, label="Median > standar"),
            Line2D(
                [],
                [],
                color="black",
                marker="|",
                linestyle="none",
                markersize=14,
                markeredgewidth=2.5,
                label="P90",
            ),
        ],
        loc="outside lower center",
        ncols=2,
        fontsize=13,
        frameon=False,
    )
    return figure


def _figures_text(row: StepRow) -> str:
    """The right-hand column: "median 12 mnt\n67% tepat · n=3"."""
    if row.median is None:
        return "belum ada\nyang selesai"
    return f"median {compact_span(row.median)}\n{share_text(row.within)} tepat · n={row.closed}"


def _hours(span: timedelta) -> float:
    return max(span / HOUR, FLOOR_HOURS)


def _draw_bars(axes: Axes, rows: Sequence[StepRow]) -> None:
    bar = 0.38
    for y, row in enumerate(rows):
        standard = _hours(row.standard_span)
        axes.barh(y - bar / 2, standard, height=bar, color=STANDARD_COLOR)
        axes.text(standard * 1.1, y - bar / 2, row.standard, va="center", fontsize=12)
        if row.median is None:
            continue
        late = row.median > row.standard_span
        axes.barh(
            y + bar / 2, _hours(row.median), height=bar, color=LATE_COLOR if late else ON_TIME_COLOR
        )
        if row.p90 is not None:
            axes.plot(
                _hours(row.p90),
                y + bar / 2,
                marker="|",
                markersize=20,
                color="black",
                markeredgewidth=2.5,
                linestyle="none",
            )


def _log_hours_axis(axes: Axes, rows: Sequence[StepRow]) -> None:
    values = [_hours(r.standard_span) for r in rows]
    values += [_hours(s) for r in rows for s in (r.median, r.p90) if s is not None]
    low = min(values) / 2
    high = max(values) * 4  # room for the standard's text ("5 hari") right of its bar
    axes.set_xscale("log")
    axes.set_xlim(low, high)
    ticks = [(h, t) for h, t in TICKS_HOURS if low <= h <= high]
    axes.set_xticks([h for h, _ in ticks], [t for _, t in ticks], fontsize=12)
    axes.minorticks_off()
    axes.set_xlabel("Waktu, skala log (langkah hari kerja: jam kerja)", fontsize=12)
    axes.grid(axis="x", color="#dddddd")
    axes.set_axisbelow(True)


def chart_labels(figure: Figure) -> list[str]:
    """The step labels on the chart's left axis, top to bottom (every SOP step is there)."""
    if not figure.axes:
        return []
    return [t.get_text() for t in figure.axes[0].get_yticklabels()]


def as_png(report: Report, path: Path, tz: str | None = None) -> Path:
    """The chart as a PNG for a Telegram photo (about 1350 px wide, big fonts)."""
    figure = build_figure(report, tz)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=DPI, format="png")
    return path


# ---------------------------------------------------------------- photo caption


def caption(report: Report, tz: str) -> str:
    """A short HTML summary (<= 1000 characters; names escaped) for the chart photo."""
    lines = [
        "<b>Kepatuhan waktu SOP</b>",
        html.escape(period_text(report, tz)),
        f"Selesai: {report.closed} tugas · tepat waktu {share_text(report.within)}",
        f"Terlambat kini: {report.overdue_now} tugas",
    ]
    steps = sorted(
        (r for r in report.steps if r.overdue_now or (r.within is not None and r.within < 1)),
        key=lambda r: (-r.overdue_now, r.within if r.within is not None else 1.0, r.step_number),
    )[:3]
    if steps:
        lines.append("<b>Perlu perhatian</b>")
        lines += [
            f"• Langkah {r.step_number} · {html.escape(r.role_label)}: "
            f"{share_text(r.within)} tepat, {r.overdue_now} terlambat kini"
            for r in steps
        ]
    people = [p for p in report.people if p.overdue_now or (p.within is not None and p.within < 1)]
    if people:
        lines.append("<b>Petugas</b>")
        lines += [
            f"• {html.escape(p.name)}: {share_text(p.within)} tepat, {p.overdue_now} terlambat kini"
            for p in people[:3]
        ]
    lines.append("Rincian lengkap di berkas Excel.")
    return _fit(lines, CAPTION_MAX)


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

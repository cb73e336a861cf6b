"""`mitramedia sop ...`: check, list and show the SOP definitions (YAML) an office edits."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated

import typer

from workflow.loader import (
    Problem,
    SopInvalid,
    SopNotFound,
    builtin_sops,
    load_spec,
    resolve_sop,
)
from workflow.spec import END, Action, ActionKind, Branch, Condition, SopSpec, Step
from workflow.wording import phrase

sop_app = typer.Typer(
    help="Periksa, daftar dan tampilkan definisi SOP (berkas YAML yang diubah kantor).",
    no_args_is_help=True,
)

Cell = list[str]  # paragraphs of one table cell; "- " items wrap with a hanging indent

COLUMNS = ("No", "Kegiatan", "Pelaksana", "Kelengkapan", "Waktu", "Output", "Aksi")
# Share of the spare width each column gets; 0 = always as wide as its longest line.
WEIGHTS = (0, 5, 2, 4, 0, 3, 4)
MIN_COLUMN = 10
MIN_WIDTH = 100  # below this the seven columns get too narrow to read
CONDITION_TEXT = {Condition.periods_remaining: "masih ada periode"}


# --------------------------------------------------------------------------- commands


@sop_app.command("validate")
def validate(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Berkas YAML SOP; tanpa argumen: semua SOP bawaan.", show_default=False
        ),
    ] = None,
) -> None:
    """Periksa berkas SOP dan tampilkan SEMUA masalahnya sekaligus (kode keluar 1 bila ada)."""
    paths = _expand(files) if files else list(builtin_sops().values())
    failures = sum(_report(path) for path in paths)
    if failures:
        typer.echo(f"{failures} dari {len(paths)} berkas bermasalah.", err=True)
        raise typer.Exit(1)


@sop_app.command("list")
def list_sops() -> None:
    """Daftar SOP bawaan: id, judul, kantor, jumlah langkah, berkas."""
    rows: list[tuple[str, ...]] = [("ID", "JUDUL", "KANTOR", "LANGKAH", "BERKAS")]
    for sop_id, path in builtin_sops().items():
        try:
            spec = load_spec(path)
        except SopInvalid as exc:
            rows.append((sop_id, f"(tidak sah: {len(exc.problems)} masalah)", "-", "-", str(path)))
            continue
        rows.append((spec.id, spec.title, spec.office.name, str(spec.total_steps), str(path)))
    for line in _aligned(rows):
        typer.echo(line)


@sop_app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="Id SOP bawaan, nama berkas, atau path YAML.")],
    mermaid: Annotated[
        bool, typer.Option("--mermaid", help="Cetak diagram alir Mermaid, bukan tabel.")
    ] = False,
    width: Annotated[
        int,
        typer.Option(
            "--width", "-w", help=f"Lebar tabel (0 = lebar terminal; paling kecil {MIN_WIDTH})."
        ),
    ] = 0,
) -> None:
    """Tampilkan SOP seperti lembarnya: kepala SOP lalu tabel langkah."""
    spec = _load_or_exit(name)
    if mermaid:
        typer.echo(render_mermaid(spec))
        return
    typer.echo(render_sheet(spec, max(MIN_WIDTH, width or _terminal_width())))


def _expand(files: list[Path]) -> list[Path]:
    """A folder stands for the YAML files in it (`mitramedia sop validate workflow/sops`)."""
    paths: list[Path] = []
    for path in files:
        inside = sorted(p for p in path.glob("*.y*ml")) if path.is_dir() else []
        paths += inside or [path]
    return paths


def _report(path: Path) -> bool:
    """Print OK or every problem of one file; True when the file has problems."""
    try:
        spec = load_spec(path)
    except SopInvalid as exc:
        for problem in exc.problems:
            typer.echo(_problem_line(path, problem))
        return True
    typer.echo(f"{path}: OK ({spec.id}, {spec.total_steps} langkah)")
    return False


def _problem_line(path: Path, problem: Problem) -> str:
    return (
        f"{path}: {problem.path}: {problem.message}"
        if problem.path
        else (f"{path}: {problem.message}")
    )


def _load_or_exit(name: str) -> SopSpec:
    try:
        path = resolve_sop(name)
    except SopNotFound as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    try:
        return load_spec(path)
    except SopInvalid as exc:
        for problem in exc.problems:
            typer.echo(_problem_line(path, problem), err=True)
        raise typer.Exit(1) from exc


def _terminal_width() -> int:
    return shutil.get_terminal_size((120, 24)).columns


def _aligned(rows: list[tuple[str, ...]]) -> Iterator[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        yield "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()


# --------------------------------------------------------------------------- the sheet


def render_sheet(spec: SopSpec, width: int) -> str:
    """The SOP as its paper sheet shows it: header block, then the step table."""
    parts = [*_header_lines(spec, width), "", f"Standar Operasional Prosedur {spec.sop.name}"]
    parts += render_table(COLUMNS, [_step_cells(spec, step) for step in spec.steps], width)
    parts += _footer_lines(spec, width)
    parts += _qualification_lines(spec, width)
    return "\n".join(parts)


def _qualification_lines(spec: SopSpec, width: int) -> Iterator[str]:
    """The outlet rules (qualification:): what each media type must give, validity, grades."""
    rules = spec.qualification
    if not rules.media_types:
        return
    yield ""
    yield phrase(
        "cli",
        "qualification_head",
        months=rules.registration_valid_months,
        days=[str(d) for d in rules.remind_days],
    )
    for kind, media in rules.media_types.items():
        required = phrase(
            "cli", "qualification_required", label=media.label, kind=kind, items=media.required
        )
        yield from _wrapped(f"  {required}", width, indent=4)
        if media.optional:
            optional = phrase("cli", "qualification_optional", items=media.optional)
            yield from _wrapped(f"    {optional}", width, indent=6)
    for key, doc in rules.documents.items():
        if doc.valid_months:
            validity = phrase("cli", "qualification_validity", key=key, months=doc.valid_months)
            yield from _wrapped(f"  {validity}", width, indent=4)
    for grade in rules.grades:
        rule = phrase("cli", "qualification_grade", grade=grade.grade, all=grade.all, any=grade.any)
        yield from _wrapped(f"  {rule}", width, indent=4)


def _header_lines(spec: SopSpec, width: int) -> Iterator[str]:
    office, sop = spec.office, spec.sop
    yield from (line.upper() for line in (office.name, office.unit) if line)
    yield ""
    fields = (
        ("Nomor SOP", sop.number),
        ("Nama SOP", sop.name),
        ("Tanggal Pembuatan", sop.made),
        ("Tanggal Revisi", sop.revised),
        ("Tanggal Efektif", sop.effective),
        ("Disahkan Oleh", sop.approved_by),
        ("Zona Waktu", office.timezone),
    )
    for label, value in fields:
        yield from _wrapped(f"{label:<18}: {value or '-'}", width, indent=20)
    lists = (
        ("Dasar Hukum", sop.legal_basis),
        ("Kualifikasi Pelaksana", sop.qualifications),
        ("Keterkaitan", sop.related),
        ("Peralatan/Perlengkapan", sop.equipment),
        ("Peringatan", sop.warnings),
        ("Pencatatan dan Pendataan", sop.records),
    )
    for label, items in lists:
        yield from _numbered(label, items, width)


def _numbered(label: str, items: Iterable[str], width: int) -> Iterator[str]:
    entries = list(items)
    if not entries:
        return
    yield ""
    yield f"{label}:"
    for index, item in enumerate(entries, start=1):
        yield from _wrapped(f"  {index}. {item}", width, indent=4 + len(str(index)))


def _wrapped(text: str, width: int, indent: int) -> list[str]:
    return textwrap.wrap(text, width, subsequent_indent=" " * indent) or [""]


def _footer_lines(spec: SopSpec, width: int) -> Iterator[str]:
    if not any(step.starts_period for step in spec.steps):
        return
    deal = spec.agreement
    note = (
        f"* awal periode penayangan: langkah ini dan sesudahnya diulang tiap "
        f"{deal.period_label} ({deal.periods} periode, {deal.news_per_period} berita per "
        f"periode)."
    )
    yield from _wrapped(note, width, indent=2)


def _step_cells(spec: SopSpec, step: Step) -> list[Cell]:
    return [
        [f"{step.number}*" if step.starts_period else str(step.number)],
        [step.activity],
        [spec.role_name(step.role)],
        [f"- {item.label}" for item in step.kelengkapan] or ["-"],
        _time_cell(step),
        [step.output or "-"],
        [f"- {_action_text(action)}" for action in step.actions],
    ]


def _time_cell(step: Step) -> Cell:
    return [str(step.time), "kalender"] if step.clock == "calendar" else [str(step.time)]


def _action_text(action: Action) -> str:
    return f"{action.label} -> {_destination(action)}"


def _destination(action: Action) -> str:
    if action.kind is ActionKind.return_:
        return "kembali ke pemohon"
    if action.kind is ActionKind.reject:
        return "ditolak"
    if action.kind is ActionKind.finish:
        return f"selesai ({action.outcome})"
    if action.branches:
        return "; ".join(_branch_text(branch, action.outcome) for branch in action.branches)
    return _target(action.to, action.outcome)


def _branch_text(branch: Branch, outcome: str | None) -> str:
    target = _target(branch.to, outcome)
    if branch.when is None:
        return f"selain itu {target}"
    return f"{target} bila {CONDITION_TEXT.get(branch.when, branch.when.value)}"


def _target(to: int | str | None, outcome: str | None) -> str:
    return f"selesai ({outcome})" if to == END else f"langkah {to}"


# --------------------------------------------------------------------------- table layout


def render_table(headers: Iterable[str], rows: list[list[Cell]], width: int) -> list[str]:
    """A bordered text table whose wrapped columns fit `width` where possible."""
    heads: list[Cell] = [[head] for head in headers]
    widths = column_widths([heads, *rows], width)
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    lines = [rule, *_row_lines(heads, widths), rule.replace("-", "=")]
    for row in rows:
        lines += [*_row_lines(row, widths), rule]
    return lines


def column_widths(rows: list[list[Cell]], width: int) -> list[int]:
    natural = [max(_natural(row[i]) for row in rows) for i in range(len(rows[0]))]
    sizes = [n if WEIGHTS[i] == 0 else min(n, MIN_COLUMN) for i, n in enumerate(natural)]
    room = width - (3 * len(sizes) + 1) - sum(sizes)
    # Give the spare width one character at a time to the column that is, relative to
    # its weight, the narrowest: long texts get room without starving short columns.
    for _ in range(max(room, 0)):
        growable = [i for i, w in enumerate(WEIGHTS) if w and sizes[i] < natural[i]]
        if not growable:
            break
        narrowest = min(growable, key=lambda i: sizes[i] / WEIGHTS[i])
        sizes[narrowest] += 1
    return sizes


def _natural(cell: Cell) -> int:
    return max((len(paragraph) for paragraph in cell), default=0)


def _row_lines(row: list[Cell], widths: list[int]) -> list[str]:
    wrapped = [_wrap_cell(cell, w) for cell, w in zip(row, widths, strict=True)]
    height = max(len(lines) for lines in wrapped)
    return [
        "| "
        + " | ".join(
            (lines[i] if i < len(lines) else "").ljust(w)
            for lines, w in zip(wrapped, widths, strict=True)
        )
        + " |"
        for i in range(height)
    ]


def _wrap_cell(cell: Cell, width: int) -> list[str]:
    lines: list[str] = []
    for paragraph in cell:
        # The bullet is an indent, not a word, so it never ends up alone on a line.
        bullet = paragraph.startswith("- ")
        lines += textwrap.wrap(
            paragraph[2:] if bullet else paragraph,
            width,
            initial_indent="- " if bullet else "",
            subsequent_indent="  " if bullet else "",
            break_on_hyphens=False,
        ) or [""]
    return lines


# --------------------------------------------------------------------------- mermaid


def render_mermaid(spec: SopSpec) -> str:
    """A Mermaid flowchart of the steps; dashed self-loops are returns to the applicant."""
    lines = ["flowchart TD", f"    mulai((Mulai)) --> s{spec.start}"]
    lines += [f'    s{step.number}["{_node_text(spec, step)}"]' for step in spec.steps]
    ends: dict[str, str] = {}
    for step in spec.steps:
        for action in step.actions:
            lines += [f"    {edge}" for edge in _edges(step, action, ends)]
    lines += [f'    {node_id}(["{_escape(text)}"])' for node_id, text in ends.items()]
    return "\n".join(lines)


def _node_text(spec: SopSpec, step: Step) -> str:
    role = spec.roles[step.role].short or spec.role_name(step.role)
    activity = textwrap.shorten(step.activity, 70, placeholder=" …")
    return _escape(f"{step.number}. {role}: {activity}") + f"<br/>{_escape(str(step.time))}"


def _edges(step: Step, action: Action, ends: dict[str, str]) -> Iterator[str]:
    source, label = f"s{step.number}", _escape(action.label)
    if action.kind is ActionKind.return_:
        yield f'{source} -.->|"{label}"| {source}'
    elif action.kind is ActionKind.reject:
        yield f'{source} -->|"{label}"| {_end_node(ends, "ditolak", "Ditolak")}'
    elif action.kind is ActionKind.finish:
        yield f'{source} -->|"{label}"| {_outcome_node(ends, action.outcome)}'
    elif action.branches:
        for branch in action.branches:
            when = f": {CONDITION_TEXT.get(branch.when, branch.when)}" if branch.when else ""
            target = _mermaid_target(branch.to, action.outcome, ends)
            yield f'{source} -->|"{label}{_escape(when)}"| {target}'
    else:
        yield f'{source} -->|"{label}"| {_mermaid_target(action.to, action.outcome, ends)}'


def _mermaid_target(to: int | str | None, outcome: str | None, ends: dict[str, str]) -> str:
    return _outcome_node(ends, outcome) if to == END else f"s{to}"


def _outcome_node(ends: dict[str, str], outcome: str | None) -> str:
    name = outcome or "selesai"
    node_id = "selesai_" + "".join(ch if ch.isalnum() else "_" for ch in name)
    return _end_node(ends, node_id, f"Selesai: {name}")


def _end_node(ends: dict[str, str], node_id: str, text: str) -> str:
    ends.setdefault(node_id, text)
    return node_id


def _escape(text: str) -> str:
    # Mermaid reads a double quote as the end of a label; #quot; is its entity for it.
    return text.replace('"', "#quot;")

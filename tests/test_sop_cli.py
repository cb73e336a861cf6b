"""`mitramedia sop validate|list|show` as an office clerk would run them."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli_sop import sop_app
from tests.test_sop_validation import BROKEN, PLANTED
from workflow.loader import builtin_sops, load_spec

runner = CliRunner()


@pytest.fixture
def broken_file(tmp_path: Path) -> Path:
    path = tmp_path / "sop-rusak.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    return path


def test_validate_broken_file_lists_every_problem_and_fails(broken_file: Path) -> None:
    result = runner.invoke(sop_app, ["validate", str(broken_file)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    for path, words in PLANTED:
        prefix = f"{broken_file}: {path}: "
        assert any(line.startswith(prefix) and words in line for line in lines), prefix


def test_validate_builtins_passes() -> None:
    paths = [str(p) for p in builtin_sops().values()]
    result = runner.invoke(sop_app, ["validate", *paths])
    assert result.exit_code == 0, result.output
    for path in paths:
        assert f"{path}: OK" in result.output


def test_validate_without_arguments_checks_the_builtins() -> None:
    result = runner.invoke(sop_app, ["validate"])
    assert result.exit_code == 0, result.output
    assert result.output.count(": OK") == len(builtin_sops())


def test_validate_mixed_files_fails_but_reports_both(broken_file: Path) -> None:
    good = str(builtin_sops()["trenggalek-kerjasama-media"])
    result = runner.invoke(sop_app, ["validate", good, str(broken_file)])
    assert result.exit_code == 1
    assert f"{good}: OK" in result.output
    assert f"{broken_file}: steps[number=2].role:" in result.output


def test_validate_a_folder_and_a_missing_file(tmp_path: Path, broken_file: Path) -> None:
    result = runner.invoke(sop_app, ["validate", str(tmp_path), str(tmp_path / "hilang.yaml")])
    assert result.exit_code == 1
    assert f"{broken_file}: steps[number=2].time:" in result.output
    assert f"{tmp_path / 'hilang.yaml'}: berkas tidak ditemukan" in result.output


def test_list_shows_each_builtin() -> None:
    result = runner.invoke(sop_app, ["list"])
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line for line in result.output.splitlines()[1:]}
    assert "Kabupaten Sanggau" in rows["sanggau-hubungan-media"]
    assert " 10 " in rows["sanggau-hubungan-media"]
    assert " 7 " in rows["trenggalek-kerjasama-media"]
    assert "trenggalek-kerjasama-media.yaml" in rows["trenggalek-kerjasama-media"]


@pytest.mark.parametrize("sop_id", ["sanggau-hubungan-media", "trenggalek-kerjasama-media"])
def test_show_prints_the_sheet(sop_id: str) -> None:
    spec = load_spec(builtin_sops()[sop_id])
    result = runner.invoke(sop_app, ["show", sop_id, "--width", "120"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert spec.sop.number in out and spec.sop.name in out
    assert all(len(line) <= 120 for line in out.splitlines())
    header = next(line for line in out.splitlines() if line.startswith("| No "))
    assert [c.strip() for c in header.strip("|").split("|")] == [
        "No", "Kegiatan", "Pelaksana", "Kelengkapan", "Waktu", "Output", "Aksi",
    ]  # fmt: skip
    rows = table_rows(out)
    assert [row[1] for row in rows] == [" ".join(s.activity.split()) for s in spec.steps]
    assert [row[4].split()[:2] for row in rows] == [str(s.time).split() for s in spec.steps]


def test_show_sanggau_marks_the_period_loop() -> None:
    out = runner.invoke(sop_app, ["show", "sanggau", "-w", "160"]).output
    rows = table_rows(out)
    assert rows[7][0] == "8*"
    assert "langkah 8 bila masih ada periode" in rows[9][6]
    assert "2 hari" in rows[5][4] and "3 hari kalender" == rows[7][4]
    assert "Media Center" in out and "Dasar Hukum:" in out


def test_show_mermaid_is_a_flowchart() -> None:
    result = runner.invoke(sop_app, ["show", "trenggalek-kerjasama-media", "--mermaid"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("flowchart")
    assert 's5 -->|"Ya, tetapkan"| s6' in out
    assert 's5 -->|"Tidak, dokumentasikan"| selesai_archived' in out
    assert "end" not in out.split()  # a reserved word in Mermaid, never a node id


def test_show_mermaid_loops_sanggau_back_to_step_8() -> None:
    out = runner.invoke(sop_app, ["show", "sanggau-hubungan-media", "--mermaid"]).output
    assert out.startswith("flowchart")
    assert '-->|"Pembayaran diterima: masih ada periode"| s8' in out


def test_show_unknown_sop_names_the_known_ones() -> None:
    result = runner.invoke(sop_app, ["show", "kabupaten-lain"])
    assert result.exit_code == 2
    assert "sanggau-hubungan-media" in result.output


def test_show_invalid_file_lists_problems(broken_file: Path) -> None:
    result = runner.invoke(sop_app, ["show", str(broken_file)])
    assert result.exit_code == 1
    assert "steps[number=2].time" in result.output


def table_rows(output: str) -> list[list[str]]:
    """Each table row's cells, with wrapped lines joined back into one text (header dropped)."""
    rows: list[list[str]] = []
    current: list[list[str]] = []
    for line in output.splitlines():
        if line.startswith("+") and current:
            rows.append([" ".join(" ".join(part).split()) for part in current])
            current = []
        elif line.startswith("| "):
            cells = [cell.strip() for cell in line[1:-1].split(" | ")]
            current = current or [[] for _ in cells]
            for column, cell in zip(current, cells, strict=True):
                column.append(cell)
    return rows[1:]

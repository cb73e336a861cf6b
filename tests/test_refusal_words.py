"""Refusals are codes with data; their words live in templates/ (refusals.txt.j2 and
input_errors.txt.j2). Every code raised anywhere in the code has its sentence, and a refusal
with data reads as a sentence naming it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from handlers.parsing import InputError
from workflow import wording
from workflow.errors import KelengkapanMissing, NotAllowed

ROOT = Path(__file__).parents[1]
RAISED = re.compile(
    r"\b(NotAllowed|NotFound|TaskClosed|UnknownAction|ReasonRequired|WorkflowError|"
    r"KelengkapanMissing|InputError)\(\s*(f?\"[^\"]*\"|[a-z_][\w.]*\()"
)


def _raised() -> list[tuple[str, str, str]]:
    found = []
    for folder in ("handlers", "workflow", "bot"):
        for path in (ROOT / folder).rglob("*.py"):
            for kind, first in RAISED.findall(path.read_text(encoding="utf-8")):
                found.append((str(path.relative_to(ROOT)), kind, first))
    return found


def test_every_refusal_raised_is_a_code_with_its_sentence_in_templates() -> None:
    raised = [r for r in _raised() if r[2].startswith(('"', 'f"'))]
    assert len(raised) > 60
    for path, kind, literal in raised:
        code = literal.strip('"')
        assert re.fullmatch(r"[a-z_]+", code), (
            f"{path}: {kind}({literal}) is a sentence, not a code"
        )
        template = "input_errors" if kind == "InputError" else "refusals"
        assert wording.has_phrase(template, code), f"{path}: no {code!r} in {template}.txt.j2"


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (NotAllowed("not_your_role", role="Kabid PIKP"), "hanya dapat dilakukan oleh Kabid PIKP"),
        (KelengkapanMissing("kelengkapan_unchecked", ["SPJ", "Kuitansi"], True), "SPJ; Kuitansi."),
        (InputError("file_too_big", size_mb="12,5", max_mb=10), "(12,5 MB). Maksimal 10 MB."),
        (InputError("file_too_big"), "Berkas terlalu besar."),
    ],
)
def test_a_refusal_with_data_reads_as_a_sentence(error: Exception, words: str) -> None:
    assert words in str(error)

"""Checks of `qualification:` beyond field types: names that must refer to something, order.

Read defensively from the raw YAML (any part may be missing or mistyped: pydantic reports
those), so one run of `mitramedia sop validate` lists every problem with its path.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from workflow.spec_qualification import MEDIA_TYPES, GradeCondition, OutletField

SWORN_DOCUMENT = "surat_pernyataan"  # the document the `sworn_statement` condition looks for
_FIELDS = ", ".join(OutletField.__members__)


def qualification_problems(data: dict[Any, Any]) -> Iterator[tuple[str, str]]:
    """(path, message) for every problem of `qualification` and of steps' `evaluation`."""
    qual = data.get("qualification")
    qual = qual if isinstance(qual, dict) else {}
    documents = qual.get("documents")
    doc_keys = (
        {k for k in documents if isinstance(k, str)} if isinstance(documents, dict) else set()
    )
    yield from _media_type_problems(qual.get("media_types"), doc_keys)
    grades = qual.get("grades")
    yield from _grade_problems(grades if isinstance(grades, list) else [], doc_keys)
    defined = {
        g.get("grade") for g in (grades if isinstance(grades, list) else []) if isinstance(g, dict)
    }
    accepted = qual.get("accept_grades")
    for index, grade in enumerate(accepted if isinstance(accepted, list) else []):
        if isinstance(grade, str) and grade not in defined:
            yield (
                f"qualification.accept_grades[{index}]",
                f"peringkat {grade!r} tidak didefinisikan di grades",
            )
    criteria = qual.get("evaluation")
    criteria = criteria if isinstance(criteria, list) else []
    seen: set[Any] = set()
    for index, item in enumerate(criteria):
        key = item.get("key") if isinstance(item, dict) else None
        if isinstance(key, str) and key in seen:
            yield (
                f"qualification.evaluation[{index}].key",
                f"kriteria {key!r} dipakai lebih dari sekali",
            )
        seen.add(key)
    yield from _evaluation_step_problems(data, bool(criteria))


def _media_type_problems(media_types: Any, doc_keys: set[str]) -> Iterator[tuple[str, str]]:
    if not isinstance(media_types, dict):
        return
    for kind, rules in media_types.items():
        path = f"qualification.media_types.{kind}"
        if kind not in MEDIA_TYPES:
            yield path, f"jenis media {kind!r} tidak dikenal (yang ada: {', '.join(MEDIA_TYPES)})"
        if not isinstance(rules, dict):
            continue
        listed: dict[str, str] = {}
        for part in ("required", "optional"):
            names = rules.get(part)
            for index, name in enumerate(names if isinstance(names, list) else []):
                where = f"{path}.{part}[{index}]"
                if not isinstance(name, str):
                    continue
                if name not in doc_keys and name not in OutletField.__members__:
                    yield (
                        where,
                        (
                            f"{name!r} bukan dokumen yang didefinisikan di qualification.documents "
                            f"({', '.join(sorted(doc_keys)) or 'belum ada'}) dan bukan data "
                            f"perusahaan yang dikenal ({_FIELDS})"
                        ),
                    )
                if name in listed:
                    yield where, f"{name!r} sudah disebut di {listed[name]}"
                listed.setdefault(name, part)


def _grade_problems(grades: list[Any], doc_keys: set[str]) -> Iterator[tuple[str, str]]:
    seen: set[Any] = set()
    for index, rule in enumerate(grades):
        if not isinstance(rule, dict):
            continue
        path = f"qualification.grades[{index}]"
        grade = rule.get("grade")
        if isinstance(grade, str) and grade in seen:
            yield f"{path}.grade", f"peringkat {grade!r} dipakai lebih dari sekali"
        seen.add(grade)
        conditions = [c for part in ("all", "any") for c in _as_list(rule.get(part))]
        if not conditions and index < len(grades) - 1:
            yield (
                path,
                (
                    "peringkat tanpa syarat (`all`/`any`) harus yang terakhir: peringkat "
                    "sesudahnya tidak akan pernah diberikan"
                ),
            )
        if GradeCondition.sworn_statement.value in conditions and SWORN_DOCUMENT not in doc_keys:
            yield (
                path,
                (
                    f"syarat 'sworn_statement' memerlukan dokumen {SWORN_DOCUMENT!r} "
                    "di qualification.documents"
                ),
            )


def _evaluation_step_problems(
    data: dict[Any, Any], has_criteria: bool
) -> Iterator[tuple[str, str]]:
    steps = data.get("steps")
    for index, step in enumerate(steps if isinstance(steps, list) else []):
        if isinstance(step, dict) and step.get("evaluation") is True and not has_criteria:
            number = step.get("number", index)
            yield (
                f"steps[number={number}].evaluation",
                (
                    "langkah ini memakai lembar isian evaluasi, tetapi qualification.evaluation "
                    "belum berisi kriteria"
                ),
            )
        if not isinstance(step, dict) or step.get("evaluation") is True:
            continue
        for i, item in enumerate(_as_list(step.get("kelengkapan"))):
            if isinstance(item, dict) and item.get("evaluation") is True:
                yield (
                    f"steps[number={step.get('number', index)}].kelengkapan[{i}].evaluation",
                    "hanya langkah dengan lembar isian evaluasi (evaluation: true) yang dapat "
                    "mencentang kelengkapan ini sendiri",
                )


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []

"""Outlet qualification rules are SOP data: they load, validate with paths, and grade outlets
exactly as the YAML says."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import builtin
from workflow.loader import builtin_sops, check_definition, parse_spec_text
from workflow.qualification import (
    OutletFacts,
    accepted,
    add_months,
    expiry,
    grade,
    missing,
    short_of,
)
from workflow.spec_qualification import MEDIA_TYPES, DewanPers, OutletField
from workflow.spec_qualification import Qualification as Rules

BASE = yaml.safe_load(
    """
id: uji-kualifikasi
title: SOP uji
office: {name: Dinas Uji}
sop: {number: "1/SOP/2026", name: Uji}
roles:
  pers: {name: Pers, applicant: true}
  fungsional: {name: Fungsional}
applicant_role: pers
start: 1
steps:
  - number: 1
    role: fungsional
    activity: Evaluasi
    time: 2 hari
    actions:
      - {name: done, label: Selesai, kind: finish, outcome: completed}
"""
)
FIELDS = list(OutletField.__members__)
TODAY = date(2026, 12, 6)
doc_keys = st.lists(st.from_regex(r"[a-z][a-z0-9_]{2,10}", fullmatch=True), unique=True, max_size=6)


@st.composite
def rule_sets(draw: st.DrawFn) -> dict[str, Any]:
    docs = [k for k in draw(doc_keys) if k not in FIELDS]
    documents = {
        key: {
            "label": f"Dokumen {key}",
            **({"valid_months": m} if (m := draw(st.none() | st.integers(1, 60))) else {}),
        }
        for key in docs
    }
    media_types = {}
    for kind in draw(st.lists(st.sampled_from(MEDIA_TYPES), unique=True, min_size=1)):
        names = draw(st.permutations(docs + FIELDS))
        cut = draw(st.integers(0, len(names)))
        rest = names[cut:]
        media_types[kind] = {
            "label": kind,
            "required": list(names[:cut]),
            "optional": list(rest[: draw(st.integers(0, len(rest)))]),
        }
    return {
        "documents": documents,
        "media_types": media_types,
        "grades": [
            {"grade": "A", "all": ["dewan_pers_faktual"]},
            {"grade": "B", "any": ["dewan_pers_administrasi", "documents_complete"]},
            {"grade": "C"},
        ],
        "evaluation": [{"key": "legalitas", "label": "Legalitas"}],
    }


@settings(max_examples=40, deadline=None)
@given(rule_sets())
def test_a_generated_rule_set_loads_and_each_required_set_is_the_yamls(
    rules: dict[str, Any],
) -> None:
    data = {**BASE, "qualification": rules}
    assert check_definition(data) == []
    spec = parse_spec_text(yaml.safe_dump(data, allow_unicode=True))
    for kind, written in rules["media_types"].items():
        assert list(spec.qualification.required(kind)) == written["required"]
        assert list(spec.qualification.asked(kind)) == written["required"] + written["optional"]
    for kind in set(MEDIA_TYPES) - set(rules["media_types"]):
        assert spec.qualification.required(kind) == ()


def test_every_problem_of_a_broken_rule_set_is_reported_with_its_path() -> None:
    data = {
        **BASE,
        "qualification": {
            "documents": {"akta": {"label": "Akta", "valid_months": 0}},
            "media_types": {
                "radio": {"label": "Radio"},
                "online": {"label": "Online", "required": ["akta", "izin"], "optional": ["akta"]},
            },
            "grades": [{"grade": "C"}, {"grade": "A", "all": ["sworn_statement", "terkenal"]}],
            "accept_grades": ["Z"],
        },
    }
    data["steps"] = [{**data["steps"][0], "evaluation": True}]
    found = {(p.path, p.message.split(" ")[0]) for p in check_definition(data)}
    paths = {p for p, _ in found}
    assert "qualification.documents.akta.valid_months" in paths
    assert "qualification.media_types.radio" in paths
    assert "qualification.media_types.online.required[1]" in paths  # 'izin' is nothing known
    assert "qualification.media_types.online.optional[0]" in paths  # already required
    assert "qualification.grades[0]" in paths  # an unconditional grade before another
    assert "qualification.grades[1]" in paths  # sworn_statement without surat_pernyataan
    assert "qualification.grades[1].all[1]" in paths  # unknown condition
    assert "qualification.accept_grades[0]" in paths
    assert "steps[number=1].evaluation" in paths  # evaluation step without criteria


def test_only_an_evaluation_step_lets_the_form_tick_a_kelengkapan_item() -> None:
    item = {"key": "lembar", "label": "Lembar isian evaluasi", "evaluation": True}
    data = {**BASE, "steps": [{**BASE["steps"][0], "kelengkapan": [item]}]}
    paths = {p.path for p in check_definition(data)}
    assert "steps[number=1].kelengkapan[0].evaluation" in paths


def test_shipped_sops_have_rules_for_every_media_type_and_trenggalek_evaluates_at_3() -> None:
    for sop_id in builtin_sops():
        rules = builtin(sop_id).qualification
        assert set(rules.media_types) == set(MEDIA_TYPES)
        assert [g.grade for g in rules.grades] == ["A", "B", "C"]
        assert rules.registration_valid_months == 12 and rules.evaluation
    trenggalek = builtin("trenggalek-kerjasama-media")
    assert [s.number for s in trenggalek.steps if s.evaluation] == [3]
    assert "ipp" in trenggalek.qualification.required("elektronik")
    assert "ipp" not in trenggalek.qualification.asked("online")


RULES = builtin("trenggalek-kerjasama-media").qualification


@st.composite
def outlets(draw: st.DrawFn) -> OutletFacts:
    kind = draw(st.sampled_from(MEDIA_TYPES))
    fields = {
        name: draw(st.none() | st.just("x"))
        for name in FIELDS
        if name not in ("dewan_pers", "publishing_months", "chief_editor_ukw")
    }
    fields["dewan_pers"] = draw(st.sampled_from([d.value for d in DewanPers]))
    fields["publishing_months"] = draw(st.integers(0, 24))
    documents = {
        key: draw(st.none() | st.dates(TODAY - timedelta(days=400), TODAY + timedelta(days=400)))
        for key in RULES.documents
        if draw(st.booleans())
    }
    return OutletFacts(kind, fields, documents)


@settings(max_examples=200, deadline=None)
@given(outlets())
def test_grades_follow_the_rules(outlet: OutletFacts) -> None:
    lacking = missing(RULES, outlet, TODAY)
    docs_complete = not [n for n in lacking if n in RULES.documents]
    status = outlet.fields["dewan_pers"]
    sworn = "surat_pernyataan" in outlet.documents and (
        outlet.documents["surat_pernyataan"] is None or outlet.documents["surat_pernyataan"] > TODAY
    )
    if status == "faktual" and docs_complete:
        expected = "A"
    elif docs_complete and (status == "administrasi" or sworn):
        expected = "B"
    else:
        expected = "C"
    assert grade(RULES, outlet, TODAY) == expected
    # What is missing is exactly the required items not given or lapsed, in the YAML's order.
    required = RULES.required(outlet.media_type)
    assert lacking == [n for n in required if n in lacking]
    for name in required:
        if name in RULES.documents:
            given_ok = name in outlet.documents and (
                outlet.documents[name] is None or outlet.documents[name] > TODAY
            )
        else:
            given_ok = outlet.fields.get(name) not in (None, "")
        assert (name in lacking) != given_ok


@given(st.dates(date(2020, 1, 1), date(2035, 12, 31)), st.integers(1, 60))
def test_a_validity_adds_whole_months(day: date, months: int) -> None:
    end = add_months(day, months)
    assert (end.year - day.year) * 12 + end.month - day.month == months
    assert end.day == day.day or end.day < day.day  # the 31st becomes a month's last day
    rules = Rules(documents={"x": {"label": "X", "valid_months": months}})  # type: ignore[dict-item]
    assert expiry(rules, "x", day) == end


def _fulfil(facts: OutletFacts, need: str | tuple[str, ...]) -> OutletFacts:
    """The outlet after doing one thing `short_of` named (a tuple: its first option)."""
    name = need[0] if isinstance(need, tuple) else need
    fields, documents = dict(facts.fields), dict(facts.documents)
    status = {"dewan_pers_faktual": "faktual", "dewan_pers_administrasi": "administrasi"}
    if name in status:
        fields["dewan_pers"] = status[name]
    elif name == "sworn_statement":
        documents["surat_pernyataan"] = None
    elif name == "publishing_enough":
        fields["publishing_months"] = 24
    elif name in ("ukw_utama", "ukw_madya"):
        fields["chief_editor_ukw"] = "utama"
    elif name in RULES.documents:
        documents[name] = None
    else:
        fields[name] = "x"
    return OutletFacts(facts.media_type, fields, documents)


@settings(max_examples=200, deadline=None)
@given(outlets(), st.sampled_from([("A",), ("A", "B")]))  # the best grades, as offices list them
def test_what_an_outlet_lacks_for_an_accepted_grade_is_enough_to_reach_it(
    outlet: OutletFacts, accept: tuple[str, ...]
) -> None:
    rules = RULES.model_copy(update={"accept_grades": accept})
    owed = short_of(rules, outlet, TODAY)
    assert (owed is None) == accepted(rules, outlet, TODAY)
    assert accepted(rules, outlet, TODAY) == (grade(rules, outlet, TODAY) in accept)
    if owed is None:
        return
    target, needs = owed
    assert target in accept and needs  # a refusal always names something to do
    for need in needs:
        outlet = _fulfil(outlet, need)
    assert grade(rules, outlet, TODAY) in accept

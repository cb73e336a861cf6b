"""Every shipped SOP loads, validates and can be walked to an end; both match their sheets."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from workflow.durations import parse_duration
from workflow.loader import builtin_sop_dir, builtin_sops, check_definition, load_spec
from workflow.spec import END, Action, ActionKind, Condition, Effect, SopSpec, Step

SOP_FILES = sorted(builtin_sop_dir().glob("*.yaml"))
MAX_WALK = 200  # a walk longer than this is stuck in a loop


def test_both_offices_ship_a_definition() -> None:
    assert {p.stem for p in SOP_FILES} >= {"sanggau-hubungan-media", "trenggalek-kerjasama-media"}


@pytest.mark.parametrize("path", SOP_FILES, ids=lambda p: p.stem)
def test_definition_loads_validates_and_reaches_an_end(path: Path) -> None:
    assert check_definition(yaml.safe_load(path.read_text(encoding="utf-8"))) == []
    spec = load_spec(path)
    assert builtin_sops()[spec.id] == path
    trail, outcome = walk(spec)
    assert trail[0] == spec.start
    assert outcome


@pytest.mark.parametrize("path", SOP_FILES, ids=lambda p: p.stem)
def test_every_step_action_is_usable_by_the_ui(path: Path) -> None:
    spec = load_spec(path)
    assert spec.roles[spec.applicant_role].applicant
    for step in spec.steps:
        assert step.role in spec.roles
        assert step.activity and not step.time.is_zero
        assert len({a.name for a in step.actions}) == len(step.actions)
        for action in step.actions:
            if action.kind in (ActionKind.return_, ActionKind.reject):
                assert action.needs_reason


def walk(spec: SopSpec, choose: str | None = None) -> tuple[list[int], str]:
    """Follow the first forward/finish action of each step (or `choose` where a step has it).

    `periods_remaining` is answered the way the engine does: true until as many
    publication periods have started as the agreement has.
    """
    trail: list[int] = []
    number: int | str = spec.start
    while number != END:
        assert isinstance(number, int)
        assert len(trail) < MAX_WALK, f"no end reached: {trail}"
        step = spec.step(number)
        trail.append(number)
        action = _pick(step, choose)
        if action.kind is ActionKind.finish:
            assert action.outcome
            return trail, action.outcome
        number = _next(spec, trail, action)
    assert action.outcome
    return trail, action.outcome


def _pick(step: Step, choose: str | None) -> Action:
    chosen = step.action(choose) if choose else None
    if chosen is not None:
        return chosen
    moving = (ActionKind.forward, ActionKind.finish)
    return next(a for a in step.actions if a.kind in moving)


def _next(spec: SopSpec, trail: list[int], action: Action) -> int | str:
    if not action.branches:
        assert action.to is not None
        return action.to
    started = sum(1 for n in trail if spec.step(n).starts_period)
    for branch in action.branches:
        if branch.when is None:
            return branch.to
        if branch.when is Condition.periods_remaining and started < spec.agreement.periods:
            return branch.to
    raise AssertionError("no branch taken")


# --------------------------------------------------------------------------- Sanggau sheet


@pytest.fixture(scope="module")
def sanggau() -> SopSpec:
    return load_spec(builtin_sops()["sanggau-hubungan-media"])


@pytest.fixture(scope="module")
def trenggalek() -> SopSpec:
    return load_spec(builtin_sops()["trenggalek-kerjasama-media"])


def test_sanggau_matches_its_sheet(sanggau: SopSpec) -> None:
    assert sanggau.sop.number == "000.8.3.3/66/DISKOMINFO-IKP"
    assert sanggau.sop.name == "Layanan Hubungan Media"
    assert len(sanggau.sop.legal_basis) == 10
    assert any("Media Center" in w for w in sanggau.sop.warnings)
    assert any("softcopy" in r for r in sanggau.sop.records)
    assert any("hardcopy" in r for r in sanggau.sop.records)
    assert [s.number for s in sanggau.steps] == list(range(1, 11))
    assert [s.role for s in sanggau.steps] == [
        "pers", "admin", "fungsional", "kabid", "sekretaris",
        "kadis", "admin", "pers", "admin", "pers",
    ]  # fmt: skip
    times = ["5 menit"] * 5 + ["2 hari", "5 menit", "3 hari", "5 hari", "1 hari"]
    assert [s.time for s in sanggau.steps] == [parse_duration(t) for t in times]
    assert sanggau.step(1).activity.startswith(
        "Menyampaikan permohonan kerjasama kemitraan tentang berita terkait pemerintah "
        "Kabupaten Sanggau"
    )
    assert sanggau.step(10).activity == "Menerima pembayaran sesuai kesepakatan"


def test_sanggau_roles_numbering_and_agreement(sanggau: SopSpec) -> None:
    assert list(sanggau.roles) == ["pers", "admin", "fungsional", "kabid", "sekretaris", "kadis"]
    assert sanggau.applicant_role == "pers"
    assert sanggau.roles["fungsional"].short == "Fungsional"
    assert sanggau.escalation == ("fungsional", "kabid", "sekretaris", "kadis")
    assert sanggau.next_role_up("admin") == "kabid" and sanggau.next_role_up("kadis") is None
    assert sanggau.numbering.agenda == "{seq:03d}/AGENDA/DISKOMINFO-IKP/{year}"
    assert sanggau.numbering.agreement == "000.8.3.3/{seq}/DISKOMINFO-IKP/{year}"
    assert (sanggau.agreement.periods, sanggau.agreement.news_per_period) == (3, 4)


def test_sanggau_actions(sanggau: SopSpec) -> None:
    names = {s.number: [a.name for a in s.actions] for s in sanggau.steps}
    assert names == {
        1: ["submit"], 2: ["receive", "return", "reject"], 3: ["draft", "return"],
        4: ["paraf", "return", "reject"], 5: ["paraf", "return", "reject"],
        6: ["sign", "reject"], 7: ["number"], 8: ["news_done"], 9: ["spj"], 10: ["paid"],
    }  # fmt: skip
    effects = {(s.number, a.name): a.effects for s in sanggau.steps for a in s.actions}
    assert effects[(2, "receive")] == (Effect.agenda_number,)
    assert effects[(4, "paraf")] == effects[(5, "paraf")] == (Effect.paraf,)
    assert effects[(6, "sign")] == (Effect.sign,)
    assert effects[(7, "number")] == (Effect.agreement_number,)
    reject = sanggau.step(5).action("reject")
    assert reject is not None and reject.confirm == "Yakin menolak permohonan ini?"
    docs = {k.key: k.document for k in sanggau.step(1).kelengkapan}
    assert docs == {"kartu_pers": "press_card", "bukti_media": "media_proof"}


def test_sanggau_publication_periods_loop_back_to_step_8(sanggau: SopSpec) -> None:
    step8, step10 = sanggau.step(8), sanggau.step(10)
    assert step8.starts_period and step8.clock == "calendar" and step10.clock == "calendar"
    assert {k.key: k.document for k in step8.kelengkapan} == {
        "mou_diterima": None,
        "berita": "news",
    }
    paid = step10.action("paid")
    assert paid is not None and paid.outcome == "completed"
    assert [(b.when, b.to) for b in paid.branches] == [
        (Condition.periods_remaining, 8),
        (None, END),
    ]
    trail, outcome = walk(sanggau)
    assert trail == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 8, 9, 10, 8, 9, 10]
    assert outcome == "completed"


# --------------------------------------------------------------------------- Trenggalek sheet


def test_trenggalek_matches_its_sheet(trenggalek: SopSpec) -> None:
    assert trenggalek.sop.number == "7.1/SOP/I/2022"
    assert trenggalek.sop.effective == "Januari 2022"
    assert len(trenggalek.sop.related) == 4
    assert trenggalek.sop.records == (
        "Buku agenda naskah dinas masuk/keluar",
        "Lembar disposisi",
        "Bendel penyimpan arsip naskah dinas masuk dan keluar",
    )
    assert [s.role for s in trenggalek.steps] == [
        "sekretaris", "kadis", "fungsional", "kasi", "kabid", "kasi", "fungsional",
    ]  # fmt: skip
    times = ["5 menit", "15 menit", "2 hari", "15 menit", "15 menit", "3 menit", "1 hari"]
    assert [s.time for s in trenggalek.steps] == [parse_duration(t) for t in times]
    assert trenggalek.step(3).activity == (
        "Melakukan verifikasi legalitas perusahaan, evaluasi persyaratan khusus sebagai data "
        "kualifikasi dan penilaian media massa"
    )
    assert trenggalek.escalation == ("fungsional", "kasi", "kabid", "sekretaris", "kadis")
    assert trenggalek.numbering.agreement == "7.1/{seq}/PKS/{year}"
    assert trenggalek.roles["pers"].applicant and trenggalek.roles["pers"].name == "Media Massa"


def test_trenggalek_step_5_decides_yes_or_no(trenggalek: SopSpec) -> None:
    decision = trenggalek.step(5)
    assert [a.name for a in decision.actions] == ["yes", "no"]  # strings, not YAML booleans
    yes, no = decision.actions
    assert yes.kind is ActionKind.forward and yes.to == 6
    assert no.kind is ActionKind.finish and no.outcome == "archived" and no.needs_reason
    assert walk(trenggalek) == ([1, 2, 3, 4, 5, 6, 7], "completed")
    assert walk(trenggalek, choose="no") == ([1, 2, 3, 4, 5], "archived")
    done = trenggalek.step(7).action("done")
    assert done is not None and done.effects == (Effect.agreement_number,)

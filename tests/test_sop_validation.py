"""A broken SOP reports every planted problem, with its path, in one run; durations parse."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from workflow.durations import Duration, DurationError, parse_duration
from workflow.loader import (
    Problem,
    SopInvalid,
    SopNotFound,
    builtin_sops,
    check_definition,
    load_spec,
    parse_spec_text,
    resolve_sop,
    spec_fingerprint,
)

VALID = """
id: uji-minimal
title: SOP uji
office: {name: Dinas Uji, timezone: Asia/Jakarta}
sop: {number: "1/SOP/2026", name: Uji}
roles:
  pers: {name: Pers, applicant: true}
  admin: {name: Petugas Admin}
applicant_role: pers
escalation: [admin]
start: 1
steps:
  - number: 1
    role: pers
    activity: Menyampaikan permohonan
    time: 5 menit
    actions:
      - {name: submit, label: Ajukan, to: 2}
  - number: 2
    role: admin
    activity: Menerima permohonan
    time: 2 hari
    actions:
      - {name: receive, label: Terima, kind: finish, outcome: completed}
      - {name: reject, label: Tolak, kind: reject}
"""

# Every planted mistake carries a comment naming the problem it must produce.
BROKEN = """
id: sop-rusak
title: SOP rusak
office:
  name: Dinas Uji
  phone: "nomor kantor"                             # not a phone number
  email: humas-at-dinas                             # not an e-mail address
  map_url: http://peta.contoh/dinas                 # a map link must be https
sop: {number: "1/SOP", name: Uji}
roles:
  pers: {name: Pers, applicant: true}
  admin: {name: Petugas Admin}
  kadis: {name: Kepala Dinas}
applicant_role: pers
escalation: [admin, kabag]                          # unknown role in the chain
records_roles: [kadis, kabag]                       # unknown role may see records
manager_roles: [pers]                               # the applicant may not manage officials
report_roles: [kadis, sekdin]                       # unknown role gets the report
digest_roles: [pers]                                # the applicant gets no office digest
start: 1
steps:
  - number: 1
    role: pers
    activity: Menyampaikan permohonan
    time: 5 menit
    actions:
      - {name: submit, label: Ajukan, to: 2}
      - {name: reject, label: Tolak, kind: reject}  # the applicant cannot reject
  - number: 2
    role: kabag                                     # unknown role
    activity: Menerima permohonan
    time: lima menit                                # bad duration
    actions:
      - {name: receive, label: Terima, to: 3}
      - {name: receive, label: Terima lagi, to: 3}  # duplicate action name
  - number: 3
    role: admin
    activity: Memeriksa
    time: 15m
    actions:
      - {name: check, label: Periksa, to: 12}       # no step 12
      - {name: pass, label: Teruskan}               # forward without a target
      - name: route
        label: Arahkan
        branches: [{when: periods_remaining, to: 4}]  # no final unconditional branch
  - number: 4
    role: kadis
    activity: Menandatangani
    time: 2 hari
    actions:
      - name: done
        label: Label yang jauh terlalu panjang untuk sebuah tombol  # over 40 characters
        kind: finish                                # finish without outcome
  - number: 5
    role: admin
    activity: Langkah yang tidak pernah dicapai      # unreachable
    time: 3d
    actions:
      - {name: go, label: Teruskan, to: 6}
  - number: 6
    role: admin
    activity: Langkah buntu                          # no way to an end
    time: 1 hari
    actions:
      - {name: back, label: Kembalikan, kind: return}
  - number: 7
    role: admin
    activity: Nomor ganda pertama                    # duplicate step number
    time: 1 hari
    actions:
      - {name: end, label: Selesai, kind: finish, outcome: completed}
  - number: 7
    role: admin
    activity: Nomor ganda kedua
    time: 1 hari
    actions:
      - {name: end, label: Selesai, kind: finish, outcome: completed}
"""

# (path, words the message must contain)
PLANTED = [
    ("escalation[1]", "peran 'kabag' tidak dikenal"),
    ("records_roles[1]", "peran 'kabag' tidak dikenal"),
    ("manager_roles[0]", "peran pemohon tidak boleh ada di manager_roles"),
    ("report_roles[1]", "peran 'sekdin' tidak dikenal"),
    ("digest_roles[0]", "peran pemohon tidak boleh ada di digest_roles"),
    ("office.phone", "nomor 'nomor kantor' tidak sah"),
    ("office.email", "alamat surel 'humas-at-dinas' tidak sah"),
    ("office.map_url", "harus diawali https://"),
    ("steps[number=1].actions[1].kind", "tidak boleh punya aksi 'reject'"),
    ("steps[number=2].role", "peran 'kabag' tidak dikenal (peran yang ada: pers, admin, kadis)"),
    ("steps[number=2].time", "lima menit"),
    ("steps[number=2].actions[1].name", "nama aksi 'receive' dipakai lebih dari sekali"),
    ("steps[number=3].actions[0].to", "langkah tujuan 12 tidak ada"),
    ("steps[number=3].actions[1]", "harus punya tujuan"),
    ("steps[number=3].actions[2].branches", "cabang terakhir harus tanpa syarat"),
    ("steps[number=4].actions[0].label", "terlalu panjang"),
    ("steps[number=4].actions[0].outcome", "wajib punya `outcome`"),
    ("steps[number=5]", "tidak dapat dicapai dari langkah awal"),
    ("steps[number=6]", "tidak ada jalan menuju selesai"),
    ("steps[6].number", "nomor langkah 7 dipakai lebih dari sekali"),
    ("steps[7].number", "nomor langkah 7 dipakai lebih dari sekali"),
]


def _has(problems: list[Problem], path: str, words: str) -> bool:
    return any(p.path == path and words in p.message for p in problems)


def test_valid_definition_has_no_problems() -> None:
    assert check_definition(yaml.safe_load(VALID)) == []
    spec = parse_spec_text(VALID)
    assert spec.step(2).time == Duration(days=2)


def test_every_planted_problem_is_reported_in_one_run() -> None:
    problems = check_definition(yaml.safe_load(BROKEN))
    missing = [(path, words) for path, words in PLANTED if not _has(problems, path, words)]
    assert not missing, "\n".join(map(str, problems))


def test_load_spec_raises_with_every_problem_listed() -> None:
    with pytest.raises(SopInvalid) as caught:
        load_spec(BROKEN)
    assert len(caught.value.problems) >= len(PLANTED)
    text = str(caught.value)
    for path, words in PLANTED:
        assert f"{path}: " in text
        assert words in text


def test_load_spec_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "uji.yaml"
    path.write_text(VALID, encoding="utf-8")
    assert load_spec(path).id == load_spec(str(path)).id == "uji-minimal"


def test_missing_file_is_reported_not_crashed(tmp_path: Path) -> None:
    with pytest.raises(SopInvalid, match="tidak ditemukan"):
        load_spec(tmp_path / "tidak-ada.yaml")


def test_start_that_is_not_a_step() -> None:
    data = yaml.safe_load(VALID)
    data["start"] = 9
    problems = check_definition(data)
    assert _has(problems, "start", "langkah awal 9 tidak ada")


def test_unknown_applicant_role_and_bad_timezone() -> None:
    data = yaml.safe_load(VALID)
    data["applicant_role"] = "wartawan"
    data["office"]["timezone"] = "Asia/Jakrta"
    problems = check_definition(data)
    assert _has(problems, "applicant_role", "peran 'wartawan' tidak dikenal")
    assert _has(problems, "office.timezone", "zona waktu 'Asia/Jakrta' tidak dikenal")


def test_unquoted_yes_no_is_explained() -> None:
    text = VALID.replace("name: receive", "name: no").replace("  - number: 1\n", "  - no: 1\n")
    with pytest.raises(SopInvalid) as caught:
        parse_spec_text(text)
    problems = caught.value.problems
    assert _has(problems, "steps[number=2].actions[0].name", "tanda kutip")
    assert any("number:" in p.message for p in problems)


def test_unknown_field_suggests_the_right_one() -> None:
    text = VALID.replace("activity: Menerima permohonan", "aktivitas: Menerima permohonan")
    problems = check_definition(yaml.safe_load(text))
    assert _has(problems, "steps[number=2].activity", "wajib diisi")
    assert _has(problems, "steps[number=2].aktivitas", "tidak dikenal")


def test_duplicate_yaml_keys_are_reported_with_their_line() -> None:
    text = VALID.replace("    time: 2 hari\n", "    time: 2 hari\n    time: 3 hari\n")
    with pytest.raises(SopInvalid) as caught:
        parse_spec_text(text)
    assert any(p.path.startswith("baris ") and "'time'" in p.message for p in caught.value.problems)


def test_yaml_syntax_error_is_a_problem() -> None:
    with pytest.raises(SopInvalid, match="YAML tidak dapat dibaca"):
        parse_spec_text("id: [tidak ditutup\n")


def test_fingerprint_ignores_comments_and_spacing_only() -> None:
    edited = "# catatan kantor\n" + VALID.replace("{name: Dinas Uji,", "{ name:  Dinas Uji ,")
    assert spec_fingerprint(edited) == spec_fingerprint(VALID)
    changed = VALID.replace("time: 2 hari", "time: 3 hari")
    assert spec_fingerprint(changed) != spec_fingerprint(VALID)
    assert len(spec_fingerprint(VALID)) == 64


def test_resolve_sop_by_id_stem_prefix_and_path() -> None:
    known = builtin_sops()
    assert set(known) == {"sanggau-hubungan-media", "trenggalek-kerjasama-media"}
    path = known["sanggau-hubungan-media"]
    assert resolve_sop("sanggau-hubungan-media") == path
    assert resolve_sop(path.stem) == path
    assert resolve_sop("sanggau") == path
    assert resolve_sop(str(path)) == path
    with pytest.raises(SopNotFound, match="trenggalek-kerjasama-media"):
        resolve_sop("kabupaten-lain")


# --------------------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5 menit", Duration(minutes=5)),
        ("15m", Duration(minutes=15)),
        ("15 menit", Duration(minutes=15)),
        ("2 hari", Duration(days=2)),
        ("3d", Duration(days=3)),
        ("1 jam", Duration(minutes=60)),
        ("1 hari 2 jam", Duration(days=1, minutes=120)),
        (30, Duration(minutes=30)),
    ],
)
def test_duration_forms_parse(text: str | int, expected: Duration) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["lima menit", "5 minggu", "", "0 menit", "menit", "5", "-3 hari"])
def test_bad_durations_raise(text: str) -> None:
    with pytest.raises(DurationError):
        parse_duration(text)


@pytest.mark.parametrize("text", ["5 menit", "15m", "2 hari", "3d"])
def test_duration_forms_are_accepted_in_a_step(text: str) -> None:
    data = yaml.safe_load(VALID)
    data["steps"][1]["time"] = text
    assert check_definition(data) == []


@given(st.integers(min_value=1, max_value=10_000))
def test_parse_duration_of_any_count(n: int) -> None:
    assert parse_duration(f"{n} menit") == Duration(minutes=n)
    assert parse_duration(f"{n}m") == Duration(minutes=n)
    assert parse_duration(f"{n} hari") == Duration(days=n)
    assert parse_duration(f"{n}d") == Duration(days=n)


NEAR_MISSES = st.from_regex(
    r"\s*-?\d{0,6}\s*[a-zA-Z]{0,8}(\s*\d{1,4}\s*[a-z]{0,6})?\s*", fullmatch=True
)


@given(st.one_of(st.text(max_size=40), NEAR_MISSES))
def test_junk_durations_parse_or_raise_duration_error(text: str) -> None:
    try:
        result = parse_duration(text)
    except DurationError:
        return
    assert isinstance(result, Duration)
    assert not result.is_zero


def test_an_office_yaml_without_titles_or_done_words_still_loads_with_fallbacks() -> None:
    """`title`, `applicant_text` and `done` are optional: another office's SOP written before
    them loads, its steps named by their activity and its actions by their kind."""
    from handlers.render import done_word

    spec = parse_spec_text(VALID)
    assert spec.step(2).name == "Menerima permohonan"
    long = parse_spec_text(VALID.replace("Menerima permohonan", "Menerima " + "berkas " * 20))
    assert len(long.step(2).name) == 40 and long.step(2).name.endswith("…")
    assert done_word(spec.step(2).action("receive")) == "Diselesaikan"
    assert done_word(spec.step(2).action("reject")) == "Ditolak"
    titled = parse_spec_text(
        VALID.replace(
            "activity: Menerima permohonan", "activity: Menerima permohonan\n    title: Terima"
        ).replace(
            "{name: reject, label: Tolak,", "{name: reject, label: Tolak, done: Ditolak pemohon,"
        )
    )
    assert titled.step(2).name == "Terima"
    assert done_word(titled.step(2).action("reject")) == "Ditolak pemohon"


def test_a_title_too_long_for_a_phone_is_refused() -> None:
    data = yaml.safe_load(VALID)
    data["steps"][1]["title"] = "Menerima dan memeriksa permohonan kerja sama media"
    problems = check_definition(data)
    assert [(p.path, p.message) for p in problems] == [
        ("steps[number=2].title", "terlalu panjang: paling banyak 40 karakter (ada 50)")
    ]

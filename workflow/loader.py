"""Load an office's SOP YAML into a `SopSpec`, reporting every problem at once, in Indonesian.

An office clerk edits the YAML, so one run of `mitramedia sop validate` must list every
mistake with where it is (`steps[number=4].role`), not stop at the first one. Field
errors come from pydantic (translated); the structure (roles, step graph, ends) is then
checked on the raw data, best effort, so a typo in one field never hides a broken flow.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import typing
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from workflow.loader_qualification import qualification_problems
from workflow.spec import END, SopSpec

YAML_SUFFIXES = (".yaml", ".yml")
_BOOL_HINT = (
    "YAML membaca yes/no/on/off/true/false tanpa tanda kutip sebagai benar/salah: "
    'beri tanda kutip ("no"), dan tulis nomor langkah sebagai `number:`'
)
_NAME_PATTERN_HINT = (
    "hanya huruf kecil a-z, angka dan garis bawah, diawali huruf, paling panjang 16 karakter"
)
_ID_PATTERN_HINT = "hanya huruf kecil a-z, angka dan tanda hubung (-), 2 sampai 64 karakter"
_HOUR = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass(frozen=True)
class Problem:
    path: str  # where in the definition, e.g. "steps[number=4].actions[1].to"
    message: str  # plain Indonesian

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class SopInvalid(Exception):
    """The definition cannot be used; `.problems` lists everything wrong with it."""

    def __init__(self, problems: list[Problem], source: str = "") -> None:
        self.problems = problems
        self.source = source
        super().__init__(str(self))

    def __str__(self) -> str:
        head = f"SOP {self.source} tidak sah" if self.source else "SOP tidak sah"
        lines = [f"{head} ({len(self.problems)} masalah):"]
        lines += [f"  - {problem}" for problem in self.problems]
        return "\n".join(lines)


class SopNotFound(LookupError):
    """`resolve_sop` found neither a file nor a built-in SOP by that name."""


# --------------------------------------------------------------------------- public API


def check_definition(data: Any) -> list[Problem]:
    """Every problem of a parsed YAML definition (empty list = usable)."""
    return _validate(data)[1]


def parse_spec_text(text: str, source: str = "") -> SopSpec:
    """Parse YAML text; `source` (a file name) only labels the error."""
    data, problems = _read_yaml(text)
    spec: SopSpec | None = None
    if data is not None or not problems:  # a YAML syntax error leaves nothing to check
        spec, more = _validate(data)
        problems += more
    if problems or spec is None:
        raise SopInvalid(problems, source)
    return spec


def load_spec(source: Path | str) -> SopSpec:
    """Load from a file path, or from YAML text when `source` is a multi-line string."""
    if isinstance(source, str) and not _looks_like_path(source):
        return parse_spec_text(source)
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SopInvalid([Problem("", _unreadable(exc))], str(path)) from exc
    return parse_spec_text(text, str(path))


def _unreadable(exc: Exception) -> str:
    if isinstance(exc, FileNotFoundError):
        return "berkas tidak ditemukan"
    if isinstance(exc, IsADirectoryError):
        return "ini sebuah folder, bukan berkas YAML"
    if isinstance(exc, UnicodeDecodeError):
        return "berkas tidak dapat dibaca: simpan sebagai teks UTF-8"
    return f"berkas tidak dapat dibaca ({exc})"


def spec_fingerprint(text: str) -> str:
    """Version of a definition: comments, spacing and key order do not change it."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SopInvalid([_yaml_problem(exc)]) from exc
    canonical = json.dumps(
        _canonical(data), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def builtin_sop_dir() -> Path:
    """The SOP files shipped as package data of `workflow` (a checkout or an installed wheel;
    pip always installs a wheel unpacked, so the resource is a real folder)."""
    return Path(str(resources.files("workflow").joinpath("sops")))


def builtin_sops() -> dict[str, Path]:
    """SOP id -> file, for the definitions shipped with the program."""
    found: dict[str, Path] = {}
    for path in sorted(builtin_sop_dir().iterdir()):
        if path.suffix in YAML_SUFFIXES and path.is_file():
            found[_declared_id(path)] = path
    return found


def resolve_sop(name_or_path: str) -> Path:
    """A file path, a built-in SOP id or file stem, or a unique prefix of an id."""
    path = Path(name_or_path).expanduser()
    if path.is_file():
        return path
    known = builtin_sops()
    by_name = {**{p.stem: p for p in known.values()}, **known}
    if name_or_path in by_name:
        return by_name[name_or_path]
    prefixed = [sop_id for sop_id in known if sop_id.startswith(name_or_path)]
    if name_or_path and len(prefixed) == 1:
        return known[prefixed[0]]
    choices = ", ".join(known) or "(tidak ada)"
    raise SopNotFound(
        f"SOP {name_or_path!r} tidak ditemukan: bukan berkas, bukan pula SOP bawaan. "
        f"SOP bawaan: {choices}"
    )


# --------------------------------------------------------------------------- reading YAML


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that notes duplicate keys: PyYAML would silently keep only the last one."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[Problem] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
                continue
            key = self.construct_object(key_node)
            if key in seen:
                line = key_node.start_mark.line + 1
                message = f"kunci {key!r} ditulis lebih dari sekali (yang terakhir menimpa)"
                self.duplicates.append(Problem(f"baris {line}", message))
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _read_yaml(text: str) -> tuple[Any, list[Problem]]:
    loader = _StrictLoader(text)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        return None, [_yaml_problem(exc)]
    finally:
        loader.dispose()
    return data, list(loader.duplicates)


def _yaml_problem(exc: yaml.YAMLError) -> Problem:
    mark = getattr(exc, "problem_mark", None)
    where = f"baris {mark.line + 1}, kolom {mark.column + 1}" if mark else ""
    detail = getattr(exc, "problem", None) or str(exc)
    return Problem(where, f"YAML tidak dapat dibaca: {detail}")


def _looks_like_path(source: str) -> bool:
    if "\n" in source:
        return False
    return source.endswith(YAML_SUFFIXES) or Path(source).expanduser().exists()


def _declared_id(path: Path) -> str:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return path.stem
    sop_id = data.get("id") if isinstance(data, dict) else None
    return sop_id if isinstance(sop_id, str) and sop_id else path.stem


def _canonical(value: Any) -> Any:
    # json.dumps(sort_keys=True) fails on mixed key types (YAML allows int/bool keys).
    if isinstance(value, dict):
        return {str(key): _canonical(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)  # dates and timestamps


# --------------------------------------------------------------------------- validation


def _validate(data: Any) -> tuple[SopSpec | None, list[Problem]]:
    if data is None:
        return None, [Problem("", "berkas kosong: tidak ada definisi SOP")]
    if not isinstance(data, dict):
        return None, [Problem("", "definisi SOP harus berupa pemetaan (kunci: nilai)")]
    raw = _Raw.read(data)
    spec: SopSpec | None = None
    try:
        spec = SopSpec.model_validate(data)
        problems: list[Problem] = []
    except ValidationError as exc:
        problems = _field_problems(exc.errors(), raw)
    problems += _structure_problems(raw)
    unique = sorted(dict.fromkeys(problems), key=raw.position)
    return (spec if not unique else None), unique


# --------------------------------------------------------------------------- pydantic errors


def _field_problems(errors: Iterable[ErrorDetails], raw: _Raw) -> list[Problem]:
    problems: list[Problem] = []
    for error in errors:
        if _is_spurious(error):
            continue
        loc, union = _strip_union_tags(error["loc"])
        if error["type"] == "invalid_key" or "[key]" in loc:
            problems.append(_key_problem(raw, loc, error["input"]))
        elif union and loc and loc[-1] == "to":
            problems.append(Problem(raw.path(loc), "harus nomor langkah (angka) atau 'end'"))
        else:
            problems.append(Problem(raw.path(loc), _translate(error, loc)))
    return problems


def _key_problem(raw: _Raw, loc: tuple[int | str, ...], key: Any) -> Problem:
    """A non-text mapping key: the path names the mapping, not the (unprintable) key."""
    end = loc.index("[key]") - 1 if "[key]" in loc else len(loc) - 1
    message = f"kunci {key!r} harus berupa teks"
    if isinstance(key, bool):
        message += f" ({_BOOL_HINT})"
    return Problem(raw.path(loc[:end]), message)


def _is_spurious(error: ErrorDetails) -> bool:
    # pydantic also reports "too short" for a list whose items failed; only the items matter.
    if error["type"] != "too_short":
        return False
    given = error["input"]
    minimum = (error.get("ctx") or {}).get("min_length", 0)
    return isinstance(given, list | tuple) and len(given) >= minimum


def _strip_union_tags(loc: tuple[int | str, ...]) -> tuple[tuple[int | str, ...], bool]:
    """Drop the member tags pydantic adds inside unions (`to.int`, `to.literal['end']`)."""
    kept = tuple(part for part in loc if not _is_union_tag(part))
    return kept, len(kept) != len(loc)


def _is_union_tag(part: int | str) -> bool:
    return isinstance(part, str) and part != "[key]" and (part == "int" or "[" in part)


_SIMPLE_MESSAGES = {
    "missing": "wajib diisi",
    "string_type": "harus berupa teks",
    "int_type": "harus berupa bilangan bulat",
    "int_parsing": "harus berupa bilangan bulat",
    "int_from_float": "harus berupa bilangan bulat",
    "float_type": "harus berupa angka",
    "float_parsing": "harus berupa angka",
    "bool_type": "harus true atau false",
    "bool_parsing": "harus true atau false",
    "dict_type": "harus berupa pemetaan (kunci: nilai)",
    "model_type": "harus berupa pemetaan (kunci: nilai)",
    "model_attributes_type": "harus berupa pemetaan (kunci: nilai)",
    "tuple_type": "harus berupa daftar (butir diawali '- ')",
    "list_type": "harus berupa daftar (butir diawali '- ')",
    "iterable_type": "harus berupa daftar (butir diawali '- ')",
    "date_type": "tanggal tidak sah (tulis TTTT-BB-HH, misalnya 2026-01-02)",
    "date_parsing": "tanggal tidak sah (tulis TTTT-BB-HH, misalnya 2026-01-02)",
    "date_from_datetime_parsing": "tanggal tidak sah (tulis TTTT-BB-HH, misalnya 2026-01-02)",
    "date_from_datetime_inexact": "tanggal tidak boleh memuat jam",
}


def _translate(error: ErrorDetails, loc: tuple[int | str, ...]) -> str:
    kind, ctx, given = error["type"], error.get("ctx") or {}, error["input"]
    if kind == "extra_forbidden":
        return _unknown_field_message(loc)
    if kind in _SIMPLE_MESSAGES:
        message = _SIMPLE_MESSAGES[kind]
        if isinstance(given, bool) and kind.startswith("string"):
            message += f" ({_BOOL_HINT})"
        return message
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", error["msg"]))
    if kind in ("enum", "literal_error"):
        expected = str(ctx.get("expected", "")).replace(" or ", " atau ")
        return f"{given!r} tidak dikenal; harus salah satu dari: {expected}"
    return _bound_message(kind, ctx, given) or error["msg"]


def _bound_message(kind: str, ctx: dict[str, Any], given: Any) -> str | None:
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        hint = _ID_PATTERN_HINT if "-" in pattern else _NAME_PATTERN_HINT
        return f"{given!r} tidak sah: {hint}"
    if kind == "string_too_short":
        return (
            "tidak boleh kosong"
            if ctx.get("min_length") == 1
            else (f"terlalu pendek: paling sedikit {ctx.get('min_length')} karakter")
        )
    if kind == "string_too_long":
        return f"terlalu panjang: paling banyak {ctx.get('max_length')} karakter (ada {len(given)})"
    bounds = {
        "too_short": "harus berisi paling sedikit {min_length} butir",
        "too_long": "harus berisi paling banyak {max_length} butir",
        "greater_than_equal": "harus paling kecil {ge}",
        "greater_than": "harus lebih besar dari {gt}",
        "less_than_equal": "harus paling besar {le}",
        "less_than": "harus lebih kecil dari {lt}",
    }
    return bounds[kind].format(**ctx) if kind in bounds else None


def _unknown_field_message(loc: tuple[int | str, ...]) -> str:
    key = loc[-1] if loc else "?"
    message = f"kolom {key!r} tidak dikenal"
    if isinstance(key, bool) or key in (0, 1):
        return f"{message} ({_BOOL_HINT})"
    allowed = _fields_at(loc[:-1])
    close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
    if close:
        return f"{message}; mungkin maksudnya {close[0]!r}?"
    return f"{message} (yang boleh: {', '.join(allowed)})" if allowed else message


def _fields_at(loc: tuple[int | str, ...]) -> list[str]:
    """Field names of the model found at `loc` (walking SopSpec's annotations)."""
    model: type[BaseModel] | None = SopSpec
    skip_key = False
    for part in loc:
        if skip_key or isinstance(part, int):
            skip_key = False
            continue
        if model is None or part not in model.model_fields:
            return []
        model, skip_key = _inner_model(model.model_fields[part].annotation)
    return list(model.model_fields) if model else []


def _inner_model(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """The model inside `X`, `X | None`, `tuple[X, ...]` or `dict[str, X]` (+ is it a dict)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    origin = typing.get_origin(annotation)
    for arg in typing.get_args(annotation):
        model, _ = _inner_model(arg)
        if model is not None:
            return model, origin is dict
    return None, False


# --------------------------------------------------------------------------- raw structure


@dataclass
class _RawAction:
    path: str
    name: Any
    kind: Any
    to: Any
    branches: list[tuple[str, Any, Any]]  # (path, when, to)
    has_branches: bool
    outcome: Any

    def targets(self) -> Iterator[Any]:
        if self.to is not None:
            yield self.to
        yield from (to for _, _, to in self.branches)


@dataclass
class _RawStep:
    index: int
    path: str
    number: int | None
    role: Any
    actions: list[_RawAction]
    kelengkapan_keys: list[tuple[str, Any]]


@dataclass
class _Raw:
    """The definition as written, read defensively: any field may be missing or mistyped."""

    data: dict[Any, Any]
    roles: dict[str, Any] | None
    steps: list[_RawStep] = field(default_factory=list)

    @classmethod
    def read(cls, data: dict[Any, Any]) -> _Raw:
        roles = data.get("roles")
        raw = cls(data, roles if isinstance(roles, dict) else None)
        steps = data.get("steps")
        items = steps if isinstance(steps, list) else []
        numbers = Counter(_step_number(item) for item in items)
        for index, item in enumerate(items):
            number = _step_number(item)
            unique = number is not None and numbers[number] == 1
            path = f"steps[number={number}]" if unique else f"steps[{index}]"
            raw.steps.append(_read_step(index, path, number, item))
        return raw

    def path(self, loc: tuple[int | str, ...]) -> str:
        """Render a pydantic location, naming a step by its number when that is unambiguous."""
        text = ""
        for position, part in enumerate(loc):
            if isinstance(part, int):
                in_steps = position == 1 and loc[0] == "steps" and part < len(self.steps)
                text = self.steps[part].path if in_steps else f"{text}[{part}]"
            else:
                text = f"{text}.{part}" if text else str(part)
        return text

    def position(self, problem: Problem) -> tuple[int, int]:
        """Sort key: problems in the order their place appears in the file."""
        keys = [key for key in self.data if isinstance(key, str)]
        head = re.match(r"[A-Za-z_]+", problem.path)
        top = keys.index(head.group()) if head and head.group() in keys else len(keys)
        step = next(
            (s.index for s in self.steps if re.match(re.escape(s.path) + r"(\.|$)", problem.path)),
            -1,
        )
        return top, step

    @property
    def numbers(self) -> set[int]:
        return {step.number for step in self.steps if step.number is not None}

    def role_names(self) -> str:
        return ", ".join(key for key in self.roles or {} if isinstance(key, str))


def _step_number(item: Any) -> int | None:
    return _as_int(item.get("number")) if isinstance(item, dict) else None


def _as_int(value: Any) -> int | None:
    """The integer pydantic would accept here ("3", 3.0 and 3 all mean step 3), else None."""
    if isinstance(value, bool):
        return None  # yes/no read as booleans: pydantic's error is clearer
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value.strip())
    return None


def _as_target(value: Any) -> Any:
    number = _as_int(value)
    return value if number is None else number


def _read_step(index: int, path: str, number: int | None, item: Any) -> _RawStep:
    item = item if isinstance(item, dict) else {}
    actions = item.get("actions")
    kelengkapan = item.get("kelengkapan")
    keys = [
        (f"{path}.kelengkapan[{i}].key", entry.get("key"))
        for i, entry in enumerate(kelengkapan if isinstance(kelengkapan, list) else [])
        if isinstance(entry, dict)
    ]
    return _RawStep(
        index=index,
        path=path,
        number=number,
        role=item.get("role"),
        actions=[
            _read_action(f"{path}.actions[{i}]", action)
            for i, action in enumerate(actions if isinstance(actions, list) else [])
            if isinstance(action, dict)
        ],
        kelengkapan_keys=keys,
    )


def _read_action(path: str, action: dict[Any, Any]) -> _RawAction:
    branches = action.get("branches")
    items = branches if isinstance(branches, list) else []
    return _RawAction(
        path=path,
        name=action.get("name"),
        kind=action.get("kind", "forward"),
        to=_as_target(action.get("to")),
        branches=[
            (f"{path}.branches[{i}]", branch.get("when"), _as_target(branch.get("to")))
            for i, branch in enumerate(items)
            if isinstance(branch, dict)
        ],
        has_branches=bool(branches),
        outcome=action.get("outcome"),
    )


# --------------------------------------------------------------------------- structure checks


def _structure_problems(raw: _Raw) -> list[Problem]:
    return [
        *_office_problems(raw.data.get("office")),
        *_role_problems(raw),
        *_step_problems(raw),
        *_action_problems(raw),
        *_graph_problems(raw),
        *(Problem(path, message) for path, message in qualification_problems(raw.data)),
    ]


def _office_problems(office: Any) -> Iterator[Problem]:
    if not isinstance(office, dict):
        return
    zone = office.get("timezone")
    if isinstance(zone, str) and not _is_timezone(zone):
        yield Problem(
            "office.timezone",
            f"zona waktu {zone!r} tidak dikenal (contoh: Asia/Jakarta, Asia/Makassar, "
            "Asia/Jayapura)",
        )
    hours = office.get("hours")
    for day, span in hours.items() if isinstance(hours, dict) else []:
        yield from _hours_problems(f"office.hours.{day}", span)


def _is_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _hours_problems(path: str, span: Any) -> Iterator[Problem]:
    if not (isinstance(span, list) and len(span) == 2 and all(isinstance(t, str) for t in span)):
        return  # shape errors are pydantic's
    opens, closes = span
    if not (_HOUR.match(opens) and _HOUR.match(closes)):
        yield Problem(path, f"jam kerja {opens}-{closes} tidak sah (tulis JJ:MM, misalnya 07:30)")
    elif opens >= closes:
        yield Problem(path, f"jam buka {opens} harus lebih awal dari jam tutup {closes}")


def _role_problems(raw: _Raw) -> Iterator[Problem]:
    if raw.roles is None:
        return
    applicant = raw.data.get("applicant_role")
    if isinstance(applicant, str):
        if applicant not in raw.roles:
            yield Problem("applicant_role", _unknown_role(raw, applicant))
        elif not _is_applicant(raw.roles[applicant]):
            yield Problem(f"roles.{applicant}", "peran pemohon harus ditandai `applicant: true`")
    for key, role in raw.roles.items():
        if key != applicant and _is_applicant(role):
            yield Problem(
                f"roles.{key}.applicant",
                f"hanya peran pemohon (applicant_role: {applicant}) yang boleh applicant: true",
            )
    yield from _escalation_problems(raw, applicant)
    yield from _access_problems(raw, applicant)


def _access_problems(raw: _Raw, applicant: Any) -> Iterator[Problem]:
    """records/manager/report/digest roles name officials' roles the SOP defines."""
    for key in ("records_roles", "manager_roles", "report_roles", "digest_roles"):
        listed = raw.data.get(key)
        for index, role in enumerate(listed if isinstance(listed, list) else []):
            path = f"{key}[{index}]"
            if isinstance(role, str) and raw.roles is not None and role not in raw.roles:
                yield Problem(path, _unknown_role(raw, role))
            elif role == applicant:
                yield Problem(path, f"peran pemohon tidak boleh ada di {key}")


def _is_applicant(role: Any) -> bool:
    return isinstance(role, dict) and role.get("applicant") is True


def _escalation_problems(raw: _Raw, applicant: Any) -> Iterator[Problem]:
    chain = raw.data.get("escalation")
    seen: set[Any] = set()
    for index, role in enumerate(chain if isinstance(chain, list) else []):
        path = f"escalation[{index}]"
        if isinstance(role, str) and raw.roles is not None and role not in raw.roles:
            yield Problem(path, _unknown_role(raw, role))
        elif role == applicant:
            yield Problem(path, "peran pemohon tidak boleh ada di rantai eskalasi")
        if role in seen:
            yield Problem(path, f"peran {role!r} muncul lebih dari sekali di rantai eskalasi")
        seen.add(role)
    yield from _reports_to_problems(raw, applicant)


def _reports_to_problems(raw: _Raw, applicant: Any) -> Iterator[Problem]:
    mapping = raw.data.get("reports_to")
    if not isinstance(mapping, dict) or raw.roles is None:
        return
    for role, superior in mapping.items():
        for key, value in ((f"reports_to.{role}", role), (f"reports_to.{role}", superior)):
            if isinstance(value, str) and value not in raw.roles:
                yield Problem(key, _unknown_role(raw, value))
        if superior == applicant:
            yield Problem(f"reports_to.{role}", "peran pemohon tidak bisa menjadi atasan")
        if superior == role:
            yield Problem(
                f"reports_to.{role}", "sebuah peran tidak bisa melapor ke dirinya sendiri"
            )


def _unknown_role(raw: _Raw, role: str) -> str:
    return f"peran {role!r} tidak dikenal (peran yang ada: {raw.role_names()})"


def _step_problems(raw: _Raw) -> Iterator[Problem]:
    counts = Counter(step.number for step in raw.steps if step.number is not None)
    applicant = raw.data.get("applicant_role")
    for step in raw.steps:
        if step.number is not None and counts[step.number] > 1:
            yield Problem(
                f"{step.path}.number", f"nomor langkah {step.number} dipakai lebih dari sekali"
            )
        role = step.role
        if isinstance(role, str) and raw.roles is not None and role not in raw.roles:
            yield Problem(f"{step.path}.role", _unknown_role(raw, role))
        yield from _duplicates(step.kelengkapan_keys, "kunci kelengkapan", "langkah ini")
        yield from _duplicates(
            [(action.path + ".name", action.name) for action in step.actions],
            "nama aksi",
            "langkah ini",
        )
        if role == applicant and isinstance(role, str):
            yield from _applicant_action_problems(step, role)


def _duplicates(items: list[tuple[str, Any]], what: str, where: str) -> Iterator[Problem]:
    seen: set[Any] = set()
    for path, value in items:
        if isinstance(value, str) and value in seen:
            yield Problem(path, f"{what} {value!r} dipakai lebih dari sekali di {where}")
        if isinstance(value, str):
            seen.add(value)


def _applicant_action_problems(step: _RawStep, role: str) -> Iterator[Problem]:
    # The applicant cannot reject or send back their own request; only officials do.
    for action in step.actions:
        if action.kind in ("reject", "return"):
            yield Problem(
                f"{action.path}.kind",
                f"langkah pemohon (peran {role!r}) tidak boleh punya aksi {action.kind!r}: "
                "hanya petugas yang dapat menolak atau mengembalikan permohonan",
            )


def _action_problems(raw: _Raw) -> Iterator[Problem]:
    numbers = raw.numbers
    for step in raw.steps:
        for action in step.actions:
            yield from _kind_problems(action)
            yield from _target_problems(action, numbers)
            yield from _branch_problems(action)


def _kind_problems(action: _RawAction) -> Iterator[Problem]:
    moves = action.to is not None or action.has_branches
    if action.kind == "forward":
        if not moves:
            yield Problem(
                action.path,
                "aksi ini harus punya tujuan: `to` (nomor langkah atau end) atau `branches`",
            )
        elif action.to is not None and action.has_branches:
            yield Problem(action.path, "pakai salah satu saja: `to` atau `branches`")
        if END in list(action.targets()) and not _filled(action.outcome):
            yield Problem(
                f"{action.path}.outcome",
                "aksi ini dapat mengakhiri permohonan ('end'), jadi wajib punya `outcome` "
                "(misalnya completed)",
            )
    elif action.kind == "finish":
        if not _filled(action.outcome):
            yield Problem(
                f"{action.path}.outcome",
                "aksi 'finish' wajib punya `outcome` (misalnya completed atau archived)",
            )
        if moves:
            yield Problem(action.path, "aksi 'finish' mengakhiri permohonan: hapus `to`/`branches`")
    elif action.kind in ("return", "reject") and moves:
        what = (
            "mengembalikan ke pemohon lalu langkah ini dilanjutkan"
            if (action.kind == "return")
            else "menolak dan mengakhiri permohonan"
        )
        yield Problem(action.path, f"aksi {action.kind!r} {what}: hapus `to`/`branches`")


def _filled(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _target_problems(action: _RawAction, numbers: set[int]) -> Iterator[Problem]:
    targets = [(f"{action.path}.to", action.to)]
    targets += [(f"{path}.to", to) for path, _, to in action.branches]
    for path, to in targets:
        if isinstance(to, bool):
            yield Problem(path, f"harus nomor langkah atau 'end', bukan {to} ({_BOOL_HINT})")
        elif isinstance(to, int) and to not in numbers:
            yield Problem(
                path,
                f"langkah tujuan {to} tidak ada (langkah yang ada: {_listing(numbers)})",
            )


def _branch_problems(action: _RawAction) -> Iterator[Problem]:
    if not action.branches:
        return
    for path, when, _ in action.branches[:-1]:
        if when is None:
            yield Problem(
                path,
                "cabang tanpa syarat (`when`) harus yang terakhir: cabang sesudahnya "
                "tidak akan pernah dipakai",
            )
    if action.branches[-1][1] is not None:
        yield Problem(
            f"{action.path}.branches",
            "cabang terakhir harus tanpa syarat (tanpa `when`), supaya selalu ada tujuan "
            "bila tidak ada syarat yang terpenuhi",
        )


def _listing(numbers: set[int]) -> str:
    return ", ".join(str(n) for n in sorted(numbers)) or "(tidak ada)"


def _graph_problems(raw: _Raw) -> Iterator[Problem]:
    numbers = raw.numbers
    start = _as_int(raw.data.get("start"))
    if start is not None and start not in numbers:
        yield Problem(
            "start", f"langkah awal {start} tidak ada (langkah yang ada: {_listing(numbers)})"
        )
    edges = _edges(raw)
    if start is not None and start in numbers:
        reached = _closure({start}, edges)
        for step in raw.steps:
            if step.number is not None and step.number not in reached:
                yield Problem(
                    step.path, f"langkah ini tidak dapat dicapai dari langkah awal (start: {start})"
                )
    finishing = _finishing_steps(raw, edges)
    for step in raw.steps:
        if step.number is not None and step.number not in finishing:
            yield Problem(
                step.path,
                "dari langkah ini tidak ada jalan menuju selesai: perlu aksi 'finish' atau "
                "`to: end` di langkah ini atau di langkah sesudahnya",
            )


def _edges(raw: _Raw) -> dict[int, set[int]]:
    """Step -> steps a forward action can move the case to."""
    edges: dict[int, set[int]] = {}
    for step in raw.steps:
        if step.number is None:
            continue
        targets = edges.setdefault(step.number, set())
        for action in step.actions:
            if action.kind == "forward":
                targets.update(
                    t for t in action.targets() if isinstance(t, int) and not isinstance(t, bool)
                )
    return edges


def _closure(seeds: set[int], edges: dict[int, set[int]]) -> set[int]:
    seen, todo = set(seeds), list(seeds)
    while todo:
        for target in edges.get(todo.pop(), set()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _finishing_steps(raw: _Raw, edges: dict[int, set[int]]) -> set[int]:
    """Steps from which some sequence of forward/finish actions ends the case."""
    ends = {
        step.number
        for step in raw.steps
        if step.number is not None and any(_ends_case(action) for action in step.actions)
    }
    reverse: dict[int, set[int]] = {}
    for source, targets in edges.items():
        for target in targets:
            reverse.setdefault(target, set()).add(source)
    return _closure(ends, reverse)


def _ends_case(action: _RawAction) -> bool:
    # A reject also ends a case, but a flow whose only exit is a rejection cannot complete.
    return action.kind == "finish" or (action.kind == "forward" and END in action.targets())

"""The SOP definition as immutable, validated data (loaded from an office's YAML)."""

from __future__ import annotations

import re
import string
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from workflow.durations import Duration, parse_duration
from workflow.spec_qualification import Qualification

END = "end"
NUMBER_FIELDS = {"seq", "year", "month", "roman_month"}
_PHONE = re.compile(r"^\+?[0-9][0-9 -]{5,19}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_URL = re.compile(r"^https://\S+$")


def _duration(value: Any) -> Duration:
    if isinstance(value, Duration):
        return value
    if isinstance(value, dict):  # a stored definition (model_dump) read back
        return Duration(**value)
    return parse_duration(value)


DurationField = Annotated[Duration, BeforeValidator(_duration)]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ActionKind(StrEnum):
    forward = "forward"  # receive / dispose / paraf / sign / decide: moves the case to `to`
    finish = "finish"  # the case ends here with an outcome
    return_ = "return"  # back to the applicant for revision; the step waits, then resumes
    reject = "reject"  # the case ends, rejected, with a reason


class Effect(StrEnum):
    """Named, whitelisted side effects of an action (never code from YAML)."""

    agenda_number = "agenda_number"  # give the case its agenda (register) number
    agreement_number = "agreement_number"  # number the MoU/PKS
    paraf = "paraf"  # the actor initials the draft
    sign = "sign"  # the head signs
    spj_ready = "spj_ready"  # the payment file (SPJ) of the period is ready
    payment_confirmed = "payment_confirmed"  # the applicant confirms payment received


class Condition(StrEnum):
    """Named, whitelisted branch conditions evaluated by the engine."""

    periods_remaining = "periods_remaining"  # the agreement has more publication periods


class Branch(Frozen):
    when: Condition | None = None
    to: int | Literal["end"]


class Action(Frozen):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,15}$")
    label: str = Field(min_length=1, max_length=40)
    kind: ActionKind = ActionKind.forward
    to: int | Literal["end"] | None = None
    branches: tuple[Branch, ...] = ()
    outcome: str | None = None  # for finish/ends: completed, archived, ...
    note: Literal["none", "optional", "required"] = "optional"
    effects: tuple[Effect, ...] = ()
    confirm: str | None = None  # a question asked before the action is taken
    # What happened, past tense, for status lines and history ("Diterima", "Diparaf"); empty:
    # a word for the action's kind (templates/messages/labels.txt.j2, done_of_kind).
    done: str = Field(default="", max_length=40)

    @property
    def needs_reason(self) -> bool:
        return self.kind in (ActionKind.return_, ActionKind.reject) or self.note == "required"


class Kelengkapan(Frozen):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,15}$")
    label: str
    required: bool = True
    document: str | None = None  # a document kind that must be attached (e.g. press_card)
    # Ticked by the step's evaluation form once every criterion is answered (the form is the
    # paper: a second tap on "Semua lengkap" would only repeat it). Only on `evaluation` steps.
    evaluation: bool = False


class Step(Frozen):
    number: int = Field(ge=1)
    role: str
    activity: str  # the sheet's own wording, shown in full behind "Rincian"
    # A short name for phones ("Terima permohonan"); empty: the activity, shortened.
    title: str = Field(default="", max_length=40)
    # The applicant's own step in her words (second person); empty: the activity.
    applicant_text: str = Field(default="", max_length=400)
    kelengkapan: tuple[Kelengkapan, ...] = ()
    time: DurationField
    clock: Literal["working", "calendar"] = "working"
    output: str = ""
    actions: tuple[Action, ...] = Field(min_length=1)
    sla: SlaPolicy | None = None
    starts_period: bool = False  # entering this step opens a new publication period
    drafts: bool = False  # the MoU/PKS draft (.docx) is made here; holders may upload versions
    # The lembar isian evaluasi (qualification.evaluation) is filled at this step.
    evaluation: bool = False

    def action(self, name: str) -> Action | None:
        return next((a for a in self.actions if a.name == name), None)

    @property
    def name(self) -> str:
        """The step's short name: its title, or the first words of the sheet's activity."""
        if self.title:
            return self.title
        return self.activity if len(self.activity) <= 40 else self.activity[:39].rstrip() + "…"


class Role(Frozen):
    name: str
    short: str | None = None
    applicant: bool = False  # the outside party (Pers) rather than an official


class SlaPolicy(Frozen):
    warn_at: float = Field(default=0.75, gt=0, le=1)
    overdue_at: float = Field(default=1.0, gt=0)
    escalate_at: float = Field(default=2.0, gt=0)
    repeat_every: DurationField = Duration(minutes=4 * 60)
    warn_min_standard: DurationField = Duration(minutes=60)


class OfficeHours(Frozen):
    monday: tuple[str, str] | None = ("07:30", "16:00")
    tuesday: tuple[str, str] | None = ("07:30", "16:00")
    wednesday: tuple[str, str] | None = ("07:30", "16:00")
    thursday: tuple[str, str] | None = ("07:30", "16:00")
    friday: tuple[str, str] | None = ("07:30", "16:30")
    saturday: tuple[str, str] | None = None
    sunday: tuple[str, str] | None = None


class Office(Frozen):
    name: str
    unit: str = ""
    regency: str = ""
    timezone: str = "Asia/Jakarta"
    hours: OfficeHours = OfficeHours()
    days_off: tuple[date, ...] = ()  # office-declared extra days off (cuti bersama of its own)
    # Letterhead and the first party of an agreement (documents under templates/documents/).
    address: str = ""
    head_name: str = ""  # the head of office, as signed under documents
    head_title: str = "Kepala"  # "Kepala" + the office name
    head_nip: str = ""  # empty: taken from the SOP header's approved_by ("NIP ...")
    # How a visitor finds and reaches the office (/bantuan, "come to the office" messages).
    # All optional: empty means unknown, and the bot then says whom to ask instead.
    hours_text: str = Field(default="", max_length=200)  # "Senin–Kamis 07.30–16.00, ..."
    phone: str = ""
    whatsapp: str = ""
    email: str = ""
    map_url: str = ""

    @field_validator("phone", "whatsapp")
    @classmethod
    def _phone(cls, value: str) -> str:
        if value and not _PHONE.match(value):
            raise ValueError(
                f"nomor {value!r} tidak sah (tulis angka saja, boleh diawali +, "
                "misalnya 0564 21234 atau +62812 3456 7890)"
            )
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if value and not _EMAIL.match(value):
            raise ValueError(f"alamat surel {value!r} tidak sah (misalnya diskominfo@contoh.go.id)")
        return value

    @field_validator("map_url")
    @classmethod
    def _map(cls, value: str) -> str:
        if value and not _URL.match(value):
            raise ValueError(f"tautan peta {value!r} harus diawali https://")
        return value

    @property
    def has_contact(self) -> bool:
        return any((self.address, self.phone, self.whatsapp, self.email, self.map_url))

    @property
    def whatsapp_url(self) -> str:
        """wa.me wants the number in international form without "+" (0812… becomes 62812…)."""
        digits = "".join(c for c in self.whatsapp if c.isdigit())
        if digits.startswith("0"):
            digits = "62" + digits[1:]
        return f"https://wa.me/{digits}" if digits else ""


class Numbering(Frozen):
    agenda: str = "{seq:03d}/AGENDA/{year}"
    agreement: str = "{seq:03d}/PKS/{year}"

    @field_validator("agenda", "agreement")
    @classmethod
    def _known_fields(cls, value: str) -> str:
        names = {f for _, f, _, _ in string.Formatter().parse(value) if f is not None}
        unknown = names - NUMBER_FIELDS
        if unknown:
            raise ValueError(
                f"kolom nomor tidak dikenal: {', '.join(sorted(unknown))} "
                f"(yang boleh: {', '.join(sorted(NUMBER_FIELDS))})"
            )
        if "seq" not in names:
            raise ValueError("format nomor harus memuat {seq}")
        return value


class Agreement(Frozen):
    """Defaults of a partnership agreement (publication periods, news per period)."""

    periods: int = Field(default=1, ge=1, le=24)
    news_per_period: int = Field(default=4, ge=1, le=100)
    period_label: str = "bulan"
    tariff_per_item: int = Field(default=0, ge=0)  # rupiah per news item published
    # Days after publication by which proof must be reported, per media type; later is late.
    proof_days: dict[str, int] = Field(
        default_factory=lambda: {"online": 2, "cetak": 2, "elektronik": 7}
    )


class Retention(Frozen):
    """How long a journalist's identity files are kept (UU 27/2022: no longer than needed).

    `id_documents_years`: the files a journalist uploaded about themselves rather than into a
    case (press card / ID card, proof of owning their media, other registration uploads) are
    erased this many years after their last case closed, or after registration when they never
    applied; a case's own file stays with the case. None: kept until the person asks for
    erasure."""

    id_documents_years: int | None = Field(default=None, ge=1, le=30)


class Header(Frozen):
    number: str
    name: str
    made: str = ""
    revised: str = ""
    effective: str = ""
    approved_by: str = ""
    legal_basis: tuple[str, ...] = ()
    qualifications: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    equipment: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    records: tuple[str, ...] = ()


class SopSpec(Frozen):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")
    title: str
    office: Office
    sop: Header
    roles: dict[str, Role]
    applicant_role: str
    escalation: tuple[str, ...] = ()  # chain of roles, lowest first
    reports_to: dict[str, str] = Field(default_factory=dict)  # a role's superior, off the chain
    numbering: Numbering = Numbering()
    agreement: Agreement = Agreement()
    sla: SlaPolicy = SlaPolicy()
    revision_time: DurationField = Duration(days=3)  # how long the applicant has to revise
    digest_roles: tuple[str, ...] = ()  # who gets the morning digest (role keys)
    # Who may ask for /laporan (the SLA compliance report): the office's heads, by role key.
    report_roles: tuple[str, ...] = ()
    # Who may open any case's records and files (heads of office, the desk), besides the roles
    # holding an open task on it; and who may manage officials in the chat (/petugas).
    records_roles: tuple[str, ...] = ()
    manager_roles: tuple[str, ...] = ()
    # How a deputy's title is written before the role's name ("Plh." or "Plt.").
    deputy_prefix: str = Field(default="Plh.", min_length=1, max_length=10)
    retention: Retention = Retention()
    # Registration rules for outlets (documents, facts, validity, grades, evaluation form).
    qualification: Qualification = Qualification()
    start: int
    steps: tuple[Step, ...] = Field(min_length=1)

    def step(self, number: int) -> Step:
        for step in self.steps:
            if step.number == number:
                return step
        raise KeyError(number)

    @property
    def total_steps(self) -> int:
        return len(self.steps)

    def role_name(self, role: str) -> str:
        return self.roles[role].name if role in self.roles else role

    def role_title(self, role: str, deputy: bool = False) -> str:
        """The role's name as records show it: "Plh. Kepala Dinas" when a deputy acted."""
        name = self.role_name(role)
        return f"{self.deputy_prefix} {name}" if deputy else name

    def sla_for(self, step: Step) -> SlaPolicy:
        return step.sla or self.sla

    @property
    def desk_role(self) -> str | None:
        """Who answers a journalist's free question ("Tanya petugas"): the role the applicant
        reports to, else the admin desk, else the lowest role of the escalation chain."""
        for role in (self.reports_to.get(self.applicant_role), "admin", *self.escalation):
            if role and role in self.roles and role != self.applicant_role:
                return role
        return None

    def next_role_up(self, role: str) -> str | None:
        """Who hears about a task overdue twice over: reports_to first, then the chain."""
        if role in self.reports_to:
            return self.reports_to[role]
        if role not in self.escalation:
            return self.escalation[0] if self.escalation else None
        index = self.escalation.index(role)
        return self.escalation[index + 1] if index + 1 < len(self.escalation) else None


Step.model_rebuild()

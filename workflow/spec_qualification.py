"""An office's qualification rules for media outlets (`qualification:` in the SOP YAML).

Every regency decides its own registration rules (and changes them with each Perbup), so they
are data: which papers and facts each media type must give, how long a paper stays valid, how
an outlet's grade follows from what it gave, and what the evaluation form asks at the step
that evaluates. Conditions are named and whitelisted (never code from YAML).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

# The media types registration knows (handlers/parsing.MEDIA_KINDS uses the same keys).
MEDIA_TYPES = ("cetak", "online", "elektronik")
KEY_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OutletField(StrEnum):
    """Facts about the company the registry keeps in its own columns (typed, not free keys)."""

    legal_form = "legal_form"  # PT / yayasan / koperasi
    nib = "nib"  # Nomor Induk Berusaha (with a press KBLI)
    npwp = "npwp"  # the company's tax number
    address = "address"  # office address
    website = "website"  # site, or the channel/account of a broadcaster
    dewan_pers = "dewan_pers"  # Dewan Pers verification: faktual / administrasi / proses / belum
    dewan_pers_date = "dewan_pers_date"  # date of that verification
    bank_account = "bank_account"  # an account in the company's name
    chief_editor_ukw = "chief_editor_ukw"  # UKW level of the chief editor: utama/madya/muda
    publishing_months = "publishing_months"  # months of unbroken publication (print)


class DewanPers(StrEnum):
    faktual = "faktual"
    administrasi = "administrasi"
    proses = "proses"  # under way
    belum = "belum"  # not started


class GradeCondition(StrEnum):
    """Named tests an outlet's record passes or not (workflow/qualification.py evaluates them)."""

    dewan_pers_faktual = "dewan_pers_faktual"  # verified factually by Dewan Pers
    dewan_pers_administrasi = "dewan_pers_administrasi"  # verified administratively
    dewan_pers_proses = "dewan_pers_proses"  # verification under way
    sworn_statement = "sworn_statement"  # a valid `surat_pernyataan` document is on file
    documents_complete = "documents_complete"  # every required paper given and unexpired
    fields_complete = "fields_complete"  # every required fact given
    ukw_utama = "ukw_utama"  # chief editor holds UKW utama
    ukw_madya = "ukw_madya"  # chief editor holds UKW madya or utama
    publishing_enough = "publishing_enough"  # print: at least min_publishing_months


class DocumentRule(_Frozen):
    label: str = Field(min_length=1, max_length=120)
    valid_months: int | None = Field(default=None, ge=1, le=120)  # None: never expires
    hint: str = ""  # what the paper is, for the person who must find it


class MediaTypeRules(_Frozen):
    label: str = Field(min_length=1, max_length=60)
    # Documents (keys of `documents`) and facts (OutletField names), in the order the
    # registration wizard asks them: the order a person has the papers at hand.
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    min_publishing_months: int = Field(default=0, ge=0, le=120)


class GradeRule(_Frozen):
    grade: str = Field(min_length=1, max_length=8)
    label: str = ""
    all: tuple[GradeCondition, ...] = ()  # every condition holds
    any: tuple[GradeCondition, ...] = ()  # and at least one of these (when given)


class Criterion(_Frozen):
    key: str = Field(pattern=KEY_PATTERN)
    label: str = Field(min_length=1, max_length=200)
    weight: int = Field(default=1, ge=0, le=100)


class Qualification(_Frozen):
    registration_valid_months: int = Field(default=12, ge=1, le=60)
    # Days before a registration or a paper lapses on which the journalist is reminded.
    remind_days: tuple[Annotated[int, Field(ge=1, le=365)], ...] = (30, 7)
    legal_forms: tuple[str, ...] = ("pt", "yayasan", "koperasi")
    documents: dict[str, DocumentRule] = Field(default_factory=dict)
    media_types: dict[str, MediaTypeRules] = Field(default_factory=dict)
    grades: tuple[GradeRule, ...] = ()  # first rule that holds gives the grade
    accept_grades: tuple[str, ...] = ()  # grades that may partner (empty: all)
    evaluation: tuple[Criterion, ...] = ()  # the lembar isian evaluasi's criteria

    def rules_for(self, media_type: str) -> MediaTypeRules | None:
        return self.media_types.get(media_type)

    def is_field(self, name: str) -> bool:
        return name in OutletField.__members__

    def is_document(self, name: str) -> bool:
        return name in self.documents

    def required(self, media_type: str) -> tuple[str, ...]:
        rules = self.rules_for(media_type)
        return rules.required if rules else ()

    def asked(self, media_type: str) -> tuple[str, ...]:
        """Everything the wizard asks for a media type, required first, in the YAML's order."""
        rules = self.rules_for(media_type)
        return (*rules.required, *rules.optional) if rules else ()

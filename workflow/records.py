"""The SOP's records as data: what each document shows, read from the case and its audit events.

Nothing here draws a file (see ``workflow.documents``): these functions read inside a short
transaction and return plain data, so the slow rendering can happen after the commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Agreement,
    AuditEvent,
    Case,
    Document,
    Evaluation,
    MediaOutlet,
    NewsItem,
    User,
)
from workflow import delegation, terms
from workflow.registry import spec_of
from workflow.spec import Effect, SopSpec, Step

# Audit actions that are not a step being handled (they add to a row, or are the applicant's).
_NOT_STEPS = {"check", "note", "news", "submit", "resubmit"}
# Files Mitra Media draws (the SOP's records), as opposed to what people upload.
GENERATED = (
    "receipt",
    "evaluation",
    "disposition",
    "draft",
    "draft_pdf",
    "agreement",
    "agreement_docx",
    "recap_pdf",
    "recap_xlsx",
)
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_NIP = re.compile(r"NIP\.?\s*([0-9][0-9 ]{8,30}[0-9])")


@dataclass(frozen=True)
class OfficeInfo:
    name: str
    unit: str
    regency: str
    address: str
    head_name: str
    head_title: str
    head_nip: str
    timezone: str

    @classmethod
    def of(cls, spec: SopSpec) -> OfficeInfo:
        office = spec.office
        nip = office.head_nip
        if not nip and (found := _NIP.search(spec.sop.approved_by)):
            nip = found.group(1)
        return cls(
            name=office.name,
            unit=office.unit,
            regency=office.regency,
            address=office.address,
            head_name=office.head_name,
            head_title=office.head_title,
            head_nip=nip,
            timezone=office.timezone,
        )


@dataclass(frozen=True)
class CaseHead:
    """What every record of a case starts with."""

    case_id: int
    agenda_number: str | None
    subject: str
    sop_title: str
    sop_number: str
    created_at: datetime
    received_at: datetime | None
    applicant_name: str
    applicant_phone: str
    outlet_name: str
    outlet_kind: str
    outlet_website: str
    status: str
    outcome: str | None
    current_step: int | None
    closed_at: datetime | None


@dataclass(frozen=True)
class ReceivedDoc:
    label: str
    file_name: str
    kind: str


@dataclass(frozen=True)
class Receipt:
    office: OfficeInfo
    case: CaseHead
    received_by: str
    received_role: str
    documents: tuple[ReceivedDoc, ...]


@dataclass(frozen=True)
class DispositionRow:
    step: int
    role: str
    actor: str
    paraf: str  # the official's initials
    action: str  # the SOP's button label ("Paraf & teruskan")
    forwarded_to: str  # "Diteruskan kepada"
    notes: tuple[str, ...]  # "Isi disposisi", in the order written
    at: datetime


@dataclass(frozen=True)
class Disposition:
    office: OfficeInfo
    case: CaseHead
    rows: tuple[DispositionRow, ...]


@dataclass(frozen=True)
class Terms:
    """An agreement's terms. The tariff is per news item, or per period (``tariff_per_period``
    set): a period below its agreed count is then paid pro rata. The total is always
    periods x the value of a period, so the draft, the recap and the SPJ agree."""

    periods: int
    news_per_period: int
    period_label: str
    tariff_per_item: int  # on a per-period tariff: one item's share, rounded down
    tariff_per_period: int | None = None

    @property
    def per_period(self) -> int:
        if self.tariff_per_period is not None:
            return self.tariff_per_period
        return self.news_per_period * self.tariff_per_item

    @property
    def total(self) -> int:
        return self.periods * self.per_period

    def due_for(self, counted: int) -> int:
        counted = min(counted, self.news_per_period)
        if self.tariff_per_period is not None:
            return self.tariff_per_period * counted // self.news_per_period
        return counted * self.tariff_per_item


@dataclass(frozen=True)
class Draft:
    """The context of the MoU/PKS draft (.docx) and of its numbered, final form."""

    office: OfficeInfo
    case: CaseHead
    terms: Terms
    proof_days: int
    drafted_on: date
    number: str | None = None
    signed_on: date | None = None
    signed_by: str = ""
    signed_as: str = ""  # "Plh." when a deputy signed for the head of office


@dataclass(frozen=True)
class AgendaRow:
    agenda_number: str
    received_at: datetime | None
    applicant: str
    outlet: str
    subject: str
    step: str
    status: str
    closed_at: datetime | None


@dataclass(frozen=True)
class NewsLine:
    title: str
    url: str
    published_on: date
    reported_on: date
    due_on: date
    late: bool
    classification: str
    included: str = ""  # why a late item is counted after all (an official's override)

    @property
    def counts(self) -> bool:
        return not self.late or bool(self.included)


@dataclass(frozen=True)
class Recap:
    office: OfficeInfo
    case: CaseHead
    terms: Terms
    agreement_number: str | None
    period: int
    items: tuple[NewsLine, ...] = field(default=())

    @property
    def on_time(self) -> int:
        return sum(1 for item in self.items if not item.late)

    @property
    def counted(self) -> int:
        """Items paid for: on time (or late and included with a reason), at most what the
        agreement buys per period."""
        return min(sum(1 for item in self.items if item.counts), self.terms.news_per_period)

    @property
    def amount_due(self) -> int:
        return self.terms.due_for(self.counted)


# ---------------------------------------------------------------- reading


async def case_head(session: AsyncSession, spec: SopSpec, case: Case) -> CaseHead:
    applicant = await session.get(User, case.applicant_id)
    outlet = await session.get(MediaOutlet, case.outlet_id) if case.outlet_id else None
    received = await _received_event(session, spec, case)
    return CaseHead(
        case_id=case.id,
        agenda_number=case.agenda_number,
        subject=case.subject,
        sop_title=spec.sop.name,
        sop_number=spec.sop.number,
        created_at=case.created_at,
        received_at=received.at if received else None,
        applicant_name=applicant.name if applicant else "-",
        applicant_phone=(applicant.phone or "") if applicant else "",
        outlet_name=outlet.name if outlet else "-",
        outlet_kind=outlet.kind if outlet else "",
        outlet_website=outlet.website if outlet else "",
        status=case.status,
        outcome=case.outcome,
        current_step=case.current_step,
        closed_at=case.closed_at,
    )


async def _received_event(session: AsyncSession, spec: SopSpec, case: Case) -> AuditEvent | None:
    """The event that gave the case its agenda number (the request was received)."""
    events = await session.scalars(
        select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id)
    )
    for event in events:
        if "agenda_number" in (event.data or {}):
            return event
    return None


async def receipt(session: AsyncSession, case: Case) -> Receipt:
    spec = await spec_of(session, case.sop_version_id)
    event = await _received_event(session, spec, case)
    actor = await session.get(User, event.actor_id) if event and event.actor_id else None
    labels = {k.document: k.label for s in spec.steps for k in s.kelengkapan if k.document}
    docs = await session.scalars(
        select(Document)
        .where(
            Document.owner_id == case.applicant_id,
            (Document.case_id == case.id) | Document.case_id.is_(None),
        )
        .order_by(Document.id)
    )
    return Receipt(
        office=OfficeInfo.of(spec),
        case=await case_head(session, spec, case),
        received_by=actor.name if actor else "-",
        received_role=delegation.title_of(spec, event.role, event.data) if event else "-",
        documents=tuple(ReceivedDoc(labels.get(d.kind, ""), d.file_name, d.kind) for d in docs),
    )


@dataclass(frozen=True)
class EvaluationRow:
    number: int
    label: str
    weight: int
    met: bool | None
    note: str


@dataclass(frozen=True)
class EvaluationSheet:
    """The lembar isian evaluasi: the outlet's record, each criterion, the result, who."""

    office: OfficeInfo
    case: CaseHead
    outlet: dict[str, Any]
    rows: tuple[EvaluationRow, ...]
    score: int
    grade: str | None
    evaluator: str
    evaluator_role: str
    at: datetime


async def evaluation_sheet(
    session: AsyncSession,
    spec: SopSpec,
    case: Case,
    row: Evaluation,
    outlet: MediaOutlet | None,
    evaluator: User,
    step: Step,
) -> EvaluationSheet:
    answers = dict(row.answers or {})
    fields = ("code", "legal_form", "nib", "npwp", "address", "dewan_pers", "dewan_pers_date")
    return EvaluationSheet(
        office=OfficeInfo.of(spec),
        case=await case_head(session, spec, case),
        outlet={f: getattr(outlet, f) for f in fields} if outlet else {},
        rows=tuple(
            EvaluationRow(
                i + 1,
                c.label,
                c.weight,
                (answers.get(c.key) or {}).get("met"),
                str((answers.get(c.key) or {}).get("note") or ""),
            )
            for i, c in enumerate(spec.qualification.evaluation)
        ),
        score=row.score or 0,
        grade=row.grade,
        evaluator=evaluator.name,
        evaluator_role=spec.role_name(step.role),
        at=row.completed_at or row.updated_at,
    )


def initials(name: str) -> str:
    words = [w for w in re.split(r"[\s.,]+", name) if w and w[0].isalpha()]
    return "".join(w[0].upper() for w in words[:3]) or "-"


async def disposition(session: AsyncSession, case: Case) -> Disposition:
    """Every handled step in order: who, in which role, what was decided, for whom, the notes
    written on that task and the note of the action itself (the sheet is always current)."""
    spec = await spec_of(session, case.sop_version_id)
    rows = await session.execute(
        select(AuditEvent, User.name)
        .join(User, User.id == AuditEvent.actor_id, isouter=True)
        .where(AuditEvent.case_id == case.id)
        .order_by(AuditEvent.id)
    )
    events = list(rows.all())
    notes: dict[int, list[str]] = {}
    for event, _name in events:
        if event.action == "note" and event.task_id is not None and event.note:
            notes.setdefault(event.task_id, []).append(event.note)
    steps = [
        (event, name or "-")
        for event, name in events
        if event.action not in _NOT_STEPS
        and event.task_id is not None
        and event.role != spec.applicant_role
    ]
    out: list[DispositionRow] = []
    for index, (event, name) in enumerate(steps):
        step = spec.step(event.step_number or 0)
        action = step.action(event.action)
        written = [*notes.get(event.task_id or 0, [])]
        if event.note:
            written.append(event.note)
        out.append(
            DispositionRow(
                step=step.number,
                role=_short_role(spec, event.role or step.role, event.data),
                actor=name,
                paraf=initials(name),
                action=action.label if action else event.action,
                forwarded_to=_forwarded_to(spec, event, steps[index + 1 :]),
                notes=tuple(written),
                at=event.at,
            )
        )
    return Disposition(
        office=OfficeInfo.of(spec), case=await case_head(session, spec, case), rows=tuple(out)
    )


def _forwarded_to(spec: SopSpec, event: AuditEvent, later: list[tuple[AuditEvent, str]]) -> str:
    kind = (event.data or {}).get("kind")
    if kind == "return":
        return spec.role_name(spec.applicant_role) + " (dikembalikan)"
    if kind in ("reject", "finish"):
        return "-"
    step = spec.step(event.step_number or 0)
    action = step.action(event.action)
    if action is not None and isinstance(action.to, int):
        return _short_role(spec, spec.step(action.to).role)
    if later:
        return _short_role(spec, later[0][0].role or "")
    return "-"


def _short_role(spec: SopSpec, key: str, data: dict[str, Any] | None = None) -> str:
    role = spec.roles.get(key)
    name = (role.short or role.name) if role else key
    if (data or {}).get(delegation.AS_DEPUTY):  # a deputy signed this row: "Plh. Kadis"
        return f"{spec.deputy_prefix} {name}"
    return name


def terms_of(spec: SopSpec, agreement: Agreement | None) -> Terms:
    """The case's terms: what the Fungsional set at the drafting step, else the SOP's defaults."""
    deal = spec.agreement
    news = agreement.news_per_period if agreement else deal.news_per_period
    per_item = agreement.tariff_per_item if agreement else None
    per_period = agreement.tariff_per_period if agreement else None
    if per_period is not None:
        per_item = per_period // news
    return Terms(
        periods=agreement.periods if agreement else deal.periods,
        news_per_period=news,
        period_label=agreement.period_label if agreement else deal.period_label,
        tariff_per_item=per_item if per_item is not None else deal.tariff_per_item,
        tariff_per_period=per_period,
    )


async def draft(session: AsyncSession, case: Case, today: datetime) -> Draft:
    spec = await spec_of(session, case.sop_version_id)
    agreement = await session.scalar(select(Agreement).where(Agreement.case_id == case.id))
    head = await case_head(session, spec, case)
    tz = ZoneInfo(spec.office.timezone)
    signer = (
        await session.get(User, agreement.signed_by) if agreement and agreement.signed_by else None
    )
    signs = any(Effect.sign in a.effects for s in spec.steps for a in s.actions)
    return Draft(
        office=OfficeInfo.of(spec),
        case=head,
        terms=terms_of(spec, agreement),
        proof_days=spec.agreement.proof_days.get(head.outlet_kind, 2),
        drafted_on=today.astimezone(tz).date(),
        number=agreement.number if agreement else None,
        signed_on=(
            agreement.signed_at.astimezone(tz).date()
            if signs and agreement and agreement.signed_at
            else None
        ),
        signed_by=signer.name if signer else "",
        signed_as=spec.deputy_prefix if await _signed_by_deputy(session, case) else "",
    )


async def _signed_by_deputy(session: AsyncSession, case: Case) -> bool:
    events = await session.scalars(
        select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id.desc())
    )
    for event in events:
        if Effect.sign.value in (event.data or {}).get("effects", []):
            return bool(event.data.get(delegation.AS_DEPUTY))
    return False


async def agenda(session: AsyncSession, year: int) -> list[AgendaRow]:
    """Every request numbered in ``year`` (by the office's agenda numbering), in number order."""
    out: list[tuple[datetime, AgendaRow]] = []
    cases = await session.scalars(
        select(Case).where(Case.agenda_number.is_not(None)).order_by(Case.id)
    )
    for case in cases:
        spec = await spec_of(session, case.sop_version_id)
        head = await case_head(session, spec, case)
        when = head.received_at or head.created_at
        if when.astimezone(ZoneInfo(spec.office.timezone)).year != year:
            continue
        if case.current_step is not None:
            step = spec.step(case.current_step)
            where = f"{step.number}. {spec.role_name(step.role)}"
        else:
            where = "-"
        out.append(
            (
                when,
                AgendaRow(
                    agenda_number=case.agenda_number or "",
                    received_at=head.received_at,
                    applicant=head.applicant_name,
                    outlet=head.outlet_name,
                    subject=case.subject,
                    step=where,
                    status=case.outcome or case.status,
                    closed_at=case.closed_at,
                ),
            )
        )
    out.sort(key=lambda pair: pair[0])
    return [row for _when, row in out]


async def recap(session: AsyncSession, case: Case, period: int | None = None) -> Recap:
    """The news of one agreement period against its terms: what is paid is on time, up to the
    agreed number per period."""
    spec = await spec_of(session, case.sop_version_id)
    agreement = await session.scalar(select(Agreement).where(Agreement.case_id == case.id))
    head = await case_head(session, spec, case)
    which = period if period is not None else case.period
    tz = ZoneInfo(spec.office.timezone)
    days = spec.agreement.proof_days.get(head.outlet_kind, 2)
    items = await session.scalars(
        select(NewsItem)
        .where(NewsItem.case_id == case.id, NewsItem.period == which)
        .order_by(NewsItem.published_on, NewsItem.id)
    )
    included = await terms.overrides(session, case.id)
    lines = []
    for item in items:
        reported = item.submitted_at.astimezone(tz).date()
        due = item.published_on + timedelta(days=days)
        lines.append(
            NewsLine(
                title=item.title,
                url=item.url,
                published_on=item.published_on,
                reported_on=reported,
                due_on=due,
                late=reported > due,
                classification="",
                included=included.get(item.id, "") if reported > due else "",
            )
        )
    return Recap(
        office=OfficeInfo.of(spec),
        case=head,
        terms=terms_of(spec, agreement),
        agreement_number=agreement.number if agreement else None,
        period=which,
        items=tuple(lines),
    )


async def draft_versions(session: AsyncSession, case_id: int) -> list[Document]:
    """The MoU/PKS drafts of a case, oldest first: the generated one, then every edited .docx
    an official uploaded (who: owner, when: uploaded_at)."""
    rows = await session.scalars(
        select(Document)
        .where(
            Document.case_id == case_id,
            (Document.kind == "draft")
            | ((Document.kind == "attachment") & (Document.mime_type == DOCX_MIME)),
        )
        .order_by(Document.id)
    )
    return list(rows)

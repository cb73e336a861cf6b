"""Agreement terms in force: the periods, news per period and tariff the Fungsional sets at the
drafting step (from the SOP's `agreement:` defaults, each change an audit event), and late news
items, out of the payment claim unless an official includes one again with a reason (an audit
event, so the recap and SPJ show why)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Agreement, AuditEvent, Case, NewsItem, Task, User
from workflow.errors import NotAllowed, NotFound, ReasonRequired
from workflow.spec import SopSpec

INCLUDE_LATE = "include_late"


async def include_late(
    session: AsyncSession, *, news_id: int, actor: User, reason: str, now: datetime
) -> AuditEvent:
    """Count a late item in its period's claim after all; the reason is kept and shown."""
    item = await session.get(NewsItem, news_id)
    case = await session.get(Case, item.case_id) if item else None
    if item is None or case is None:
        raise NotFound("news_not_found")
    text = (reason or "").strip()[:1000]
    if not text:
        raise ReasonRequired("late_news_reason")
    worked = await session.scalar(
        select(Task.id)
        .where(Task.case_id == case.id, Task.role.in_(actor.role_keys or {""}))
        .limit(1)
    )
    if worked is None:
        raise NotAllowed("terms_handlers_only")
    event = AuditEvent(
        case_id=case.id,
        actor_id=actor.id,
        role=sorted(actor.role_keys)[0],
        action=INCLUDE_LATE,
        note=text,
        attachments=[],
        data={"news_id": item.id, "period": item.period},
        at=now.astimezone(UTC),
    )
    session.add(event)
    await session.flush()
    return event


async def overrides(session: AsyncSession, case_id: int) -> dict[int, str]:
    """news id -> the reason it is counted although late (the latest override wins)."""
    rows = await session.scalars(
        select(AuditEvent)
        .where(AuditEvent.case_id == case_id, AuditEvent.action == INCLUDE_LATE)
        .order_by(AuditEvent.id)
    )
    return {int(e.data["news_id"]): e.note or "" for e in rows}


# ---------------------------------------------------------------- the terms of one agreement

TERMS_CHANGED = "terms"
# What the Fungsional may set at the drafting step; "total" is kept as a tariff per period
# (total / periods), so the draft, the recap and the SPJ never disagree.
FIELDS = ("periods", "news_per_period", "tariff_per_item", "tariff_per_period", "total")
LIMITS = {
    "periods": (1, 24),
    "news_per_period": (1, 100),
    "tariff_per_item": (0, 10**12),
    "tariff_per_period": (0, 10**12),
    "total": (0, 10**13),
}


async def ensure_agreement(session: AsyncSession, spec: SopSpec, case: Case) -> Agreement:
    """The case's agreement row, made with the SOP's defaults the first time it is needed."""
    agreement = await session.scalar(select(Agreement).where(Agreement.case_id == case.id))
    if agreement is None:
        agreement = Agreement(
            case_id=case.id,
            periods=spec.agreement.periods,
            news_per_period=spec.agreement.news_per_period,
            period_label=spec.agreement.period_label,
        )
        session.add(agreement)
        await session.flush()
    return agreement


class TermsRefused(Exception):
    """A value the terms cannot take: ``code`` names the reason (its words are a template)."""

    def __init__(self, code: str, **data: object) -> None:
        super().__init__(code)
        self.code = code
        self.data = data


def apply_term(agreement: Agreement, field: str, value: int) -> None:
    """Set one term on the agreement row (``value`` already within LIMITS)."""
    low, high = LIMITS[field]
    if not low <= value <= high:
        raise TermsRefused("range", low=low, high=high)
    if field == "periods":
        agreement.periods = value
    elif field == "news_per_period":
        agreement.news_per_period = value
    elif field == "tariff_per_item":
        agreement.tariff_per_item, agreement.tariff_per_period = value, None
    elif field == "tariff_per_period":
        agreement.tariff_per_item, agreement.tariff_per_period = None, value
    elif field == "total":
        if value % agreement.periods:
            raise TermsRefused("total_split", periods=agreement.periods)
        agreement.tariff_per_item, agreement.tariff_per_period = None, value // agreement.periods
    else:
        raise ValueError(field)


async def set_term(
    session: AsyncSession,
    *,
    spec: SopSpec,
    case: Case,
    task: Task,
    actor: User,
    field: str,
    value: int,
    now: datetime,
) -> AuditEvent:
    """One term changed by the holder of the drafting step (checked by the caller), logged with
    the old and new terms; refused once the agreement is numbered."""
    from workflow.records import terms_of

    agreement = await ensure_agreement(session, spec, case)
    if agreement.number is not None:
        raise TermsRefused("numbered")
    before = terms_of(spec, agreement)
    apply_term(agreement, field, value)
    after = terms_of(spec, agreement)
    event = AuditEvent(
        case_id=case.id,
        task_id=None,  # not a step handled: the disposition sheet leaves it out
        step_number=task.step_number,
        actor_id=actor.id,
        role=task.role,
        action=TERMS_CHANGED,
        note=None,
        attachments=[],
        data={"field": field, "value": value, "before": _plain(before), "after": _plain(after)},
        at=now.astimezone(UTC),
    )
    session.add(event)
    await session.flush()
    return event


def _plain(terms: Any) -> dict[str, int | None]:
    return {
        "periods": terms.periods,
        "news_per_period": terms.news_per_period,
        "tariff_per_item": terms.tariff_per_item,
        "tariff_per_period": terms.tariff_per_period,
        "total": terms.total,
    }


async def changed_since(session: AsyncSession, case_id: int, since: datetime) -> bool:
    """Whether the terms changed after ``since`` (the newest draft was made before them)."""
    found = await session.scalar(
        select(AuditEvent.id)
        .where(
            AuditEvent.case_id == case_id,
            AuditEvent.action == TERMS_CHANGED,
            AuditEvent.at >= since.astimezone(UTC),
        )
        .limit(1)
    )
    return found is not None


async def news_target(session: AsyncSession, spec: SopSpec, case: Case) -> int:
    """News items agreed per period for this case (its terms, else the SOP's default)."""
    agreed = await session.scalar(
        select(Agreement.news_per_period).where(Agreement.case_id == case.id)
    )
    return int(agreed) if agreed is not None else spec.agreement.news_per_period

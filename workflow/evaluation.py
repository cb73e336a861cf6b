"""The lembar isian evaluasi: the SOP's criteria (qualification.evaluation), each answered met
or not met with an optional note; the score is the weighted share met (0-100)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Case, Evaluation
from workflow.spec_qualification import Criterion


def answered(answers: dict[str, Any], key: str) -> bool:
    return isinstance(answers.get(key), dict) and answers[key].get("met") in (True, False)


def next_open(criteria: tuple[Criterion, ...], answers: dict[str, Any]) -> int | None:
    """Index of the first criterion not answered yet (None: the form is complete)."""
    return next((i for i, c in enumerate(criteria) if not answered(answers, c.key)), None)


def score(criteria: tuple[Criterion, ...], answers: dict[str, Any]) -> int:
    total = sum(c.weight for c in criteria)
    met = sum(c.weight for c in criteria if answered(answers, c.key) and answers[c.key]["met"])
    return round(100 * met / total) if total else 0


async def of_case(session: AsyncSession, case_id: int) -> Evaluation | None:
    return await session.scalar(select(Evaluation).where(Evaluation.case_id == case_id))


async def answer(
    session: AsyncSession,
    case: Case,
    key: str,
    *,
    met: bool | None = None,
    note: str | None = None,
    actor_id: int,
    now: datetime,
) -> Evaluation:
    """Record one criterion's answer (met/not met and/or a note); the rest is kept."""
    row = await of_case(session, case.id)
    if row is None:
        row = Evaluation(case_id=case.id, answers={}, updated_at=now)
        session.add(row)
    answers = dict(row.answers or {})
    entry = dict(answers.get(key) or {})
    if met is not None:
        entry["met"] = met
    if note is not None:
        entry["note"] = note
    answers[key] = entry
    row.answers, row.filled_by, row.updated_at = answers, actor_id, now
    row.completed_at = None  # changed: completed again by the step's action
    await session.flush()
    return row

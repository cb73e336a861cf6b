"""Yearly running numbers (agenda, MoU/PKS): an atomic counter row, never duplicated."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Counter

ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]


async def next_value(session: AsyncSession, scope: str, year: int) -> int:
    """Increment and return the sequence; concurrent callers wait on the row lock, never share."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    await session.execute(
        insert(Counter)
        .values(scope=scope, year=year, value=0)
        .on_conflict_do_nothing(index_elements=["scope", "year"])
    )
    result = await session.execute(
        update(Counter)
        .where(Counter.scope == scope, Counter.year == year)
        .values(value=Counter.value + 1)
        .returning(Counter.value)
    )
    return int(result.scalar_one())


def format_number(template: str, seq: int, year: int, month: int) -> str:
    return template.format(seq=seq, year=year, month=month, roman_month=ROMAN[month - 1])

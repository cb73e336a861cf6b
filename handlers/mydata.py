"""A journalist's own data (/datasaya) and the dossier an authorised official opens."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Case, MediaOutlet, User


async def dossier(session: AsyncSession, case: Case) -> dict[str, Any]:
    """The applicant's identity in full, for an official allowed to see the case's files."""
    applicant = await session.get(User, case.applicant_id)
    outlet = await session.get(MediaOutlet, case.outlet_id) if case.outlet_id else None
    return {
        "applicant": applicant.name if applicant else "-",
        "nik": (applicant.nik if applicant else None) or "-",
        "phone": (applicant.phone if applicant else None) or "-",
        "outlet": outlet.name if outlet else "-",
    }

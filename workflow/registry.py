"""SOP versions in the database and their parsed specs, cached by version id."""

from __future__ import annotations

import hashlib
import json
import weakref
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import SopVersion
from workflow.calendar import WorkingCalendar
from workflow.clock import Clock
from workflow.spec import Office, SopSpec

_specs: dict[str, SopSpec] = {}
_by_database: weakref.WeakKeyDictionary[Any, dict[int, SopSpec]] = weakref.WeakKeyDictionary()


async def install(session: AsyncSession, spec: SopSpec, clock: Clock) -> SopVersion:
    """Store the spec as a version (once per distinct content) and return it."""
    definition = spec.model_dump(mode="json")
    canonical = json.dumps(definition, sort_keys=True, ensure_ascii=False)
    fingerprint = hashlib.sha256(canonical.encode()).hexdigest()
    return await ensure_version(session, definition, fingerprint, clock)


async def ensure_version(
    session: AsyncSession, definition: dict[str, Any], fingerprint: str, clock: Clock
) -> SopVersion:
    """The stored version of this exact definition, added on first sight."""
    spec = SopSpec.model_validate(definition)
    version = await session.scalar(
        select(SopVersion).where(
            SopVersion.sop_id == spec.id, SopVersion.fingerprint == fingerprint
        )
    )
    if version is None:
        version = SopVersion(
            sop_id=spec.id, fingerprint=fingerprint, definition=definition, loaded_at=clock.now()
        )
        session.add(version)
        await session.flush()
    _specs.setdefault(fingerprint, spec)
    return version


async def spec_of(session: AsyncSession, version_id: int) -> SopSpec:
    # A version row never changes, so its spec is remembered per database (the engine or
    # connection the session is bound to: ids differ between databases) and version id; the
    # parsed spec itself is shared by content.
    bound = _by_database.get(session.bind) if session.bind is not None else None
    if bound is not None and (known := bound.get(version_id)) is not None:
        return known
    version = await session.get(SopVersion, version_id)
    if version is None:
        raise KeyError(version_id)
    spec = _specs.get(version.fingerprint)
    if spec is None:
        spec = SopSpec.model_validate(version.definition)
        _specs[version.fingerprint] = spec
    if session.bind is not None:
        _by_database.setdefault(session.bind, {})[version_id] = spec
    return spec


def calendar_of(spec: SopSpec) -> WorkingCalendar:
    return _calendar(spec.office.model_dump_json())


@lru_cache(maxsize=64)
def _calendar(office_json: str) -> WorkingCalendar:
    return WorkingCalendar.from_office(Office.model_validate_json(office_json))

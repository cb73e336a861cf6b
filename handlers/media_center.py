"""Notes to the Media Center group (workflow.media_center) for every new, received, rejected,
signed and numbered cooperation: outlet, agenda number, step, who. No personal data beyond the
outlet and the applicant's name. Queued through the outbox like every message (it paces groups
at 20 a minute)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.render import render
from handlers.replies import Reply, SendMessage
from storage.models import MediaOutlet, User
from workflow import media_center
from workflow.engine import Transition
from workflow.spec import Effect


def kind_of(result: Transition) -> str | None:
    """Which of the moments the Media Center hears about this transition is, if any."""
    action = result.action
    effects = action.effects if action else ()
    if result.event.action == "submit":
        return "new"
    if "agreement_number" in result.numbers:
        return "numbered"
    if Effect.sign in effects:
        return "signed"
    if "agenda_number" in result.numbers:
        return "received"
    if result.case_closed and result.case.outcome in ("rejected", "archived"):
        return result.case.outcome
    return None


async def notes(session: AsyncSession, result: Transition) -> list[Reply]:
    kind = kind_of(result)
    if kind is None:
        return []
    group = await media_center.current(session)
    if group is None:
        return []
    case, spec = result.case, result.spec
    outlet = await session.get(MediaOutlet, case.outlet_id) if case.outlet_id else None
    applicant = await session.get(User, case.applicant_id)
    actor = await session.get(User, result.event.actor_id) if result.event.actor_id else None
    step = spec.step(result.event.step_number) if result.event.step_number else None
    text = render(
        "media_center_note",
        tz=spec.office.timezone,
        kind=kind,
        case=case,
        outlet=outlet,
        applicant=applicant.name if applicant else "-",
        actor=actor.name if actor else "-",
        role=spec.role_name(result.event.role or ""),
        step=step,
        total=spec.total_steps,
        number=result.numbers.get("agreement_number"),
        at=result.event.at,
    )
    return [SendMessage(int(group["chat_id"]), text)]

"""The agreement's terms, set by the Fungsional at the drafting step (the SOP's `drafts: true`).

"✏️ Ketentuan" on the drafting prompt shows the terms in force (the SOP's `agreement:` defaults
until changed) with a button per term; a term is typed as the next message, checked, stored on
the case's agreement and logged as an audit event (old and new terms). "Selesai" makes a new
version of the MoU/PKS draft from the new terms; later officials get that newest version, and
the recap, the SPJ and the period loop read the same terms.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from handlers import documents
from handlers.callbacks import Callback, Op
from handlers.context import Ctx
from handlers.parsing import InputError
from handlers.render import label, toast, words
from handlers.replies import Button, InlineKeyboard
from storage.models import Case, Task
from workflow import engine, records, terms
from workflow.errors import NotAllowed, NotFound
from workflow.registry import spec_of
from workflow.spec import SopSpec

STATE = "terms"
# Button codes (callback data is short) -> the term they set.
CODES = {
    "p": "periods",
    "n": "news_per_period",
    "i": "tariff_per_item",
    "r": "tariff_per_period",
    "t": "total",
}
DONE = "ok"
_SCALE = {"juta": 1_000_000, "jt": 1_000_000, "ribu": 1_000, "rb": 1_000, "k": 1_000}
_AMOUNT = re.compile(r"^(?P<number>[0-9][0-9.,]*)(?P<scale>juta|jt|ribu|rb|k)?$")
_GROUPED = re.compile(r"^[0-9]{1,3}([.,][0-9]{3})+$")


def parse_amount(text: str) -> int:
    """A whole number as people type it: 3, 1500000, 1.500.000, Rp1.500.000, 1,5 juta, 375rb."""
    raw = re.sub(r"\s+", "", text.lower()).removeprefix("rp").removesuffix(",-")
    found = _AMOUNT.match(raw)
    if not found:
        raise InputError("terms_number")
    number, scale = found["number"], found["scale"]
    if scale:
        try:
            value = Decimal(number.replace(".", "").replace(",", ".")) * _SCALE[scale]
        except InvalidOperation:
            raise InputError("terms_number") from None
        if value != value.to_integral_value():
            raise InputError("terms_number")
        return int(value)
    if number.isdigit():
        return int(number)
    if _GROUPED.match(number) and len(set(re.sub(r"[0-9]", "", number))) == 1:
        return int(re.sub(r"[.,]", "", number))
    raise InputError("terms_number")


async def drafting_task(ctx: Ctx, task_id: int) -> tuple[Task, Case, SopSpec]:
    """The open drafting task the presser holds (checked here, whatever the button said)."""
    task = await ctx.session.get(Task, task_id)
    case = await ctx.session.get(Case, task.case_id) if task else None
    if task is None or case is None:
        raise NotFound("not_drafting")
    spec = await spec_of(ctx.session, case.sop_version_id)
    if ctx.user is None:
        raise NotAllowed("not_drafting")
    engine.check_actor(spec, case, task, ctx.user)
    if task.status != engine.OPEN or not spec.step(task.step_number).drafts:
        raise NotAllowed("not_drafting")
    return task, case, spec


def _keyboard(task_id: int) -> InlineKeyboard:
    def button(code: str) -> Button:
        return Button(label(f"term_{code}"), Callback(Op.terms, task_id, code).pack())

    return InlineKeyboard(
        (
            (button("p"), button("n")),
            (button("i"), button("r")),
            (button("t"), Button(label("terms_done"), Callback(Op.terms, task_id, DONE).pack())),
        )
    )


async def show(ctx: Ctx, task: Task, case: Case, spec: SopSpec, saved: str = "") -> None:
    agreement = await terms.ensure_agreement(ctx.session, spec, case)
    ctx.say(
        "terms",
        case=case,
        t=records.terms_of(spec, agreement),
        defaults=spec.agreement,
        saved=saved,
        markup=_keyboard(task.id),
    )


async def on_button(ctx: Ctx, cb: Callback) -> None:
    task, case, spec = await drafting_task(ctx, cb.id)
    if cb.arg in CODES:
        ctx.answer()
        field = CODES[cb.arg]
        low, high = terms.LIMITS[field]
        await ctx.set_state(STATE, task_id=task.id, field=field)
        agreement = await terms.ensure_agreement(ctx.session, spec, case)
        cancel = InlineKeyboard(((Button(label("cancel"), Callback(Op.cancel).pack()),),))
        ctx.say(
            "terms_ask",
            field=field,
            t=records.terms_of(spec, agreement),
            low=low,
            high=high,
            case=case,
            markup=cancel,
        )
    elif cb.arg == DONE:
        await ctx.clear_state()
        if await documents.redraft_if_stale(ctx, spec, case, task):
            ctx.answer(toast("terms_redrafted"))
        else:
            ctx.answer(toast("terms_unchanged"))
    else:
        ctx.answer()
        await show(ctx, task, case, spec)


async def take(ctx: Ctx, text: str) -> None:
    """The typed value of the term asked for: stored and logged, or a clear error (kept asking)."""
    task_id, field = int(ctx.state.data["task_id"]), str(ctx.state.data["field"])
    task, case, spec = await drafting_task(ctx, task_id)
    assert ctx.user is not None
    try:
        value = parse_amount(text)
        await terms.set_term(
            ctx.session,
            spec=spec,
            case=case,
            task=task,
            actor=ctx.user,
            field=field,
            value=value,
            now=ctx.now,
        )
    except InputError as error:
        ctx.say("invalid", message=error.message)
        return
    except terms.TermsRefused as refused:
        ctx.say("invalid", message=words(f"terms_{refused.code}", *refused.data.values()))
        if refused.code == "numbered":
            await ctx.clear_state()
        return
    await ctx.clear_state()
    await show(ctx, task, case, spec, saved=field)

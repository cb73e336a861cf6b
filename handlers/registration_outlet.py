"""Registering a new outlet: exactly the facts and papers the office's rules ask of its media
type, one at a time, in the YAML's order; optional ones can be skipped, and "Nanti saja" keeps
what was given (the conversation row) and lists what is still missing.

Progress lives in the conversation data: `fields` (fact -> value), `docs` (paper -> document
id) and `skipped` (optional items passed over). Papers are archived as they arrive and tied to
the outlet once it exists.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from handlers import parsing
from handlers.callbacks import Callback, Op
from handlers.context import Ctx
from handlers.events import MessageEvent
from handlers.menus import commands_for
from handlers.render import label, toast
from handlers.replies import Button, InlineKeyboard, RemoveKeyboard
from handlers.uploads import receive
from storage import crypto
from storage.models import Document, MediaOutlet, User
from workflow import outlets
from workflow.qualification import expiry
from workflow.spec_qualification import DewanPers, Qualification

UKW = ("muda", "madya", "utama")


def _rules(ctx: Ctx) -> Qualification:
    return ctx.deps.spec.qualification


def _choices(rules: Qualification, item: str) -> tuple[str, ...]:
    if item == "legal_form":
        return rules.legal_forms
    if item == "dewan_pers":
        return tuple(d.value for d in DewanPers)
    if item == "chief_editor_ukw":
        return UKW
    return ()


def _progress(ctx: Ctx) -> tuple[dict[str, Any], dict[str, int], list[str]]:
    data = ctx.state.data
    return dict(data.get("fields", {})), dict(data.get("docs", {})), list(data.get("skipped", []))


def _next_item(ctx: Ctx) -> str | None:
    fields, docs, skipped = _progress(ctx)
    done = set(fields) | set(docs) | set(skipped)
    kind = str(ctx.state.data.get("kind", ""))
    return next((item for item in _rules(ctx).asked(kind) if item not in done), None)


def missing_now(ctx: Ctx) -> list[str]:
    fields, docs, _ = _progress(ctx)
    kind = str(ctx.state.data.get("kind", ""))
    return [n for n in _rules(ctx).required(kind) if n not in fields and n not in docs]


async def ask_pick(ctx: Ctx) -> None:
    typed = str(ctx.state.data.get("outlet", ""))
    found = await outlets.search(ctx.session, typed)
    rows = tuple(
        (Button(label("join_outlet", o.name[:24], o.code), Callback(Op.outlet, o.id).pack()),)
        for o in found
    )
    rows += ((Button(label("new_outlet"), Callback(Op.outlet, 0).pack()),),)
    ctx.say("outlet_matches", typed=typed, outlets=found, markup=InlineKeyboard(rows))


async def ask_next(ctx: Ctx) -> None:
    """Ask the next item, or register the outlet once nothing is left to ask."""
    if not ctx.state.data.get("kind"):  # an older wizard's state, or the name is missing
        step = "kind" if ctx.state.data.get("outlet") else "outlet"
        await ctx.set_state(f"reg:{step}", **ctx.state.data)
        from handlers.registration import ask

        await ask(ctx, step)
        return
    item = _next_item(ctx)
    if item is None:
        await _create(ctx)
        return
    if ctx.state.name != "reg:item" or ctx.state.data.get("item") != item:
        await ctx.set_state("reg:item", **{**ctx.state.data, "item": item})
    rules = _rules(ctx)
    kind = str(ctx.state.data["kind"])
    asked = rules.asked(kind)
    optional = item not in rules.required(kind)
    choices = _choices(rules, item)
    rows: list[tuple[Button, ...]] = []
    if choices:
        rows.append(
            tuple(Button(label("choice", c), Callback(Op.pick, 0, c).pack()) for c in choices)
        )
    tail = [Button(label("later"), Callback(Op.later).pack())]
    if optional:
        tail.insert(0, Button(label("skip"), Callback(Op.skip).pack()))
    rows.append(tuple(tail))
    ctx.say(
        "ask_item",
        rules=rules,
        item=item,
        position=asked.index(item) + 1,
        total=len(asked),
        optional=optional,
        document=rules.is_document(item),
        choices=choices,
        max_mb=ctx.deps.max_upload_bytes // 1048576,
        markup=InlineKeyboard(tuple(rows)),
    )


async def take(ctx: Ctx, user: User, event: MessageEvent) -> None:
    """An answer typed or uploaded for the item asked (raises InputError to ask again)."""
    item = ctx.state.data.get("item")
    if ctx.state.name != "reg:item" or not isinstance(item, str):
        await ask_next(ctx)
        return
    rules = _rules(ctx)
    fields, docs, skipped = _progress(ctx)
    if rules.is_document(item):
        document = await receive(ctx, event, "attachment", item)
        ctx.say(
            "file_saved",
            slot=item,
            rules=rules,
            name=document.file_name,
            size=parsing.human_size(document.size),
        )
        docs[item] = document.id
    elif _choices(rules, item):
        raise parsing.InputError("pick_buttons")
    else:
        fields[item] = _field_value(item, (event.text or "").strip(), ctx)
    await _save(ctx, fields, docs, skipped)
    await ask_next(ctx)


def _field_value(item: str, text: str, ctx: Ctx) -> Any:
    if not text:
        raise parsing.InputError("text_answer")
    if item == "website":
        return parsing.website(text)
    if item == "dewan_pers_date":
        return parsing.past_date(text, ctx.now.date()).isoformat()
    if item == "nib":
        return parsing.digits(text, (13,), "NIB")
    if item == "npwp":
        return parsing.digits(text, (15, 16), "NPWP")
    if item == "publishing_months":
        return parsing.months(text)
    return parsing.free_text(text, 300)


async def _save(ctx: Ctx, fields: dict[str, Any], docs: dict[str, int], skipped: list[str]) -> None:
    await ctx.set_state(
        "reg:item", **{**ctx.state.data, "fields": fields, "docs": docs, "skipped": skipped}
    )


async def on_choice(ctx: Ctx, value: str) -> None:
    item = ctx.state.data.get("item")
    if ctx.state.name != "reg:item" or value not in _choices(_rules(ctx), str(item)):
        ctx.answer(toast("stale"))
        return
    ctx.answer(label("choice", value))
    fields, docs, skipped = _progress(ctx)
    fields[str(item)] = value
    await _save(ctx, fields, docs, skipped)
    await ask_next(ctx)


async def on_skip(ctx: Ctx) -> None:
    item = ctx.state.data.get("item")
    kind = str(ctx.state.data.get("kind", ""))
    if ctx.state.name != "reg:item" or item in _rules(ctx).required(kind):
        ctx.answer(toast("stale"))
        return
    ctx.answer()
    fields, docs, skipped = _progress(ctx)
    await _save(ctx, fields, docs, [*skipped, str(item)])
    await ask_next(ctx)


async def on_later(ctx: Ctx) -> None:
    """'Nanti saja': everything given stays; the person is told what is still needed."""
    if not ctx.state.name.startswith("reg:"):
        ctx.answer(toast("stale"))
        return
    ctx.answer()
    rules = _rules(ctx)
    kind = str(ctx.state.data.get("kind", ""))
    media = rules.rules_for(kind)
    ctx.say(
        "registration_later",
        rules=rules,
        missing=missing_now(ctx),
        kind_label=media.label if media else kind,
        markup=RemoveKeyboard(),
    )


async def _create(ctx: Ctx) -> None:
    user = ctx.user
    assert user is not None
    data = ctx.state.data
    rules = _rules(ctx)
    fields, docs, _ = _progress(ctx)
    today = ctx.now.date()
    outlet = await outlets.create(
        ctx.session,
        user,
        name=str(data.get("outlet", "")),
        kind=str(data["kind"]),
        fields=fields,
        rules=rules,
        now=ctx.now,
        today=today,
    )
    issued = fields.get("dewan_pers_date")
    for key, doc_id in docs.items():
        document = await ctx.session.get(Document, int(doc_id))
        if document is None or document.owner_id != user.id:
            continue
        # A Dewan Pers certificate counts from its verification date when that was given.
        start = date.fromisoformat(issued) if key == "sertifikat_dewan_pers" and issued else today
        document.outlet_id, document.expires_on = outlet.id, expiry(rules, key, start)
    await ctx.session.flush()
    await finish(ctx, user, outlet, joined=False)


async def finish(ctx: Ctx, user: User, outlet: MediaOutlet, joined: bool) -> None:
    rules = _rules(ctx)
    user.is_journalist, user.registered_at = True, ctx.now
    standing = await outlets.standing(ctx.session, outlet, rules, ctx.now.date())
    await ctx.clear_state()
    ctx.say(
        "registered",
        user=user,
        outlet=outlet,
        nik_masked=crypto.mask(user.nik),
        joined=joined,
        grade=standing.grade,
        missing=standing.missing,
        rules=rules,
        markup=RemoveKeyboard(),
    )
    ctx.send(commands_for(ctx.chat, user.role_keys, True, ctx.deps.spec))

"""Who gets /laporan and the morning digest is SOP data (report_roles, digest_roles), shown with
another office's SOP whose heads are `sekdin` and `kabid_ikp`, role keys no code names."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from handlers.context import Ctx, Deps
from handlers.events import Sender
from handlers.menus import commands_for
from handlers.platforms import Chat
from handlers.replies import SendMessage
from handlers.reports import laporan, on_period
from handlers.sla import sweep
from storage.archive import Archive
from storage.models import User
from tests.factories import make_officials
from workflow.clock import ManualClock
from workflow.loader import load_spec
from workflow.registry import install

OTHER = Path(__file__).parent / "sops" / "lain-hubungan-media.yaml"
WIB = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 11, 24, 7, 31, tzinfo=WIB).astimezone(UTC)  # Tuesday, just after opening


def test_the_report_command_is_offered_to_the_sops_report_roles() -> None:
    spec = load_spec(OTHER)
    assert spec.report_roles == ("sekdin", "kabid_ikp")
    for role, offered in (
        ("sekdin", True),
        ("kabid_ikp", True),
        ("kadis", False),
        ("admin", False),
    ):
        menu = commands_for(Chat("telegram", 1), {role}, False, spec)
        assert ("laporan" in dict(menu.commands)) is offered, role


async def test_laporan_and_digest_reach_the_heads_the_sop_names(sessions, tmp_path) -> None:
    spec = load_spec(OTHER)
    async with sessions() as s, s.begin():
        version = await install(s, spec, ManualClock(NOW))
        who = await make_officials(s, spec, NOW)
    deps = Deps(archive=Archive(tmp_path), version_id=version.id, spec=spec, files_dir=tmp_path)
    for key, allowed in (("sekdin", True), ("kabid_ikp", True), ("fungsional", False)):
        async with sessions() as s, s.begin():
            user = await s.get(User, who[key].id)
            ctx = Ctx(s, NOW, Sender(who[key].telegram_id, key), 5, deps, files=None, user=user)
            await laporan(ctx)
            (message,) = ctx.out
            assert isinstance(message, SendMessage)
            ctx.out.clear()
            await on_period(ctx, "bulan_lalu")  # a forwarded or old button authorises nothing
        if allowed:
            assert message.markup is not None  # the period buttons
            assert len(ctx.later) == 1  # the chart and workbook, drawn after the commit
        else:
            assert "hanya untuk pimpinan (Sekretaris, Kabid PIKP)" in message.text
            assert ctx.later == [] and "hanya untuk pimpinan" in ctx.out[-1].text

    result = await sweep(sessions, NOW, spec)
    digests = [r for r in result.replies if isinstance(r, SendMessage)]
    assert sorted(m.chat_id for m in digests) == sorted(
        [who["sekdin"].telegram_id, who["kabid_ikp"].telegram_id]
    )

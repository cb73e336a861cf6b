"""`mitramedia official list|revoke|invites|cancel-invite` on the configured database."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli_official import official_app
from handlers.officials import create_invite
from storage.accounts import find_user
from storage.db import create_engine, session_factory, transaction
from storage.migrate import upgrade
from storage.models import Invite, Outbox, User, UserRole

runner = CliRunner()


async def _seed(url: str) -> str:
    engine = create_engine(url)
    now = datetime.now(UTC)
    try:
        async with transaction(session_factory(engine)) as s:
            for telegram_id, name in ((11, "Budi Admin"), (12, "Ani Admin")):
                user = User(
                    telegram_id=telegram_id,
                    name=name,
                    username=name[:4].lower(),
                    created_at=now,
                    roles=[],
                )
                user.roles.append(UserRole(role="admin", granted_at=now))
                s.add(user)
            invite = await create_invite(s, "kabid", "Agus Kabid", now, 72, phone="081200001111")
            return invite.code
    finally:
        await engine.dispose()


async def _state(url: str) -> tuple[set[str], list[int], bool]:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as s:
            budi = await find_user(s, "telegram", 11)
            told = list(await s.scalars(select(Outbox.chat_id).where(Outbox.kind == "message")))
            invite = await s.scalar(select(Invite))
            assert budi is not None and invite is not None
            return budi.role_keys, sorted(told), invite.cancelled_at is not None
    finally:
        await engine.dispose()


def test_list_revoke_and_cancel_an_invite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    url = f"sqlite+aiosqlite:///{tmp_path / 'mm.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("FILES_DIR", str(tmp_path / "files"))
    monkeypatch.setenv("SOP", "sanggau-hubungan-media")
    upgrade(url)
    code = asyncio.run(_seed(url))

    listed = runner.invoke(official_app, ["list"])
    assert listed.exit_code == 0, listed.output
    assert (
        "Budi Admin" in listed.output
        and "Petugas Admin" in listed.output
        and "@budi" in listed.output
    )
    invites = runner.invoke(official_app, ["invites"])
    assert code in invites.output and "terikat" in invites.output and "1111" not in invites.output

    revoked = runner.invoke(official_app, ["revoke", "budi", "--role", "admin"])
    assert revoked.exit_code == 0, revoked.output
    assert "dicabut dari Budi Admin" in revoked.output
    missing = runner.invoke(official_app, ["revoke", "Sari"])
    assert missing.exit_code == 1 and "Tidak ada petugas" in missing.output

    assert runner.invoke(official_app, ["cancel-invite", code]).exit_code == 0
    roles, told, cancelled = asyncio.run(_state(url))
    assert roles == set() and told == [11, 12] and cancelled  # Budi and the other admin told
    assert code not in runner.invoke(official_app, ["invites"]).output


def test_user_export_and_erase(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from bot.cli_user import user_app

    url = f"sqlite+aiosqlite:///{tmp_path / 'mm.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("FILES_DIR", str(tmp_path / "files"))
    upgrade(url)

    async def seed() -> int:
        engine = create_engine(url)
        try:
            async with transaction(session_factory(engine)) as s:
                user = User(
                    telegram_id=31,
                    name="Rina Wartawati",
                    phone="+6281234567890",
                    is_journalist=True,
                    created_at=datetime.now(UTC),
                    roles=[],
                )
                user.nik = "6171054501900001"
                s.add(user)
                await s.flush()
                return user.id
        finally:
            await engine.dispose()

    user_id = asyncio.run(seed())
    out = tmp_path / "out.zip"
    exported = runner.invoke(user_app, ["export", str(user_id), "--output", str(out)])
    assert exported.exit_code == 0, exported.output
    import json
    import zipfile

    assert (
        json.loads(zipfile.ZipFile(out).read("data.json"))["pengguna"]["nik"] == "6171054501900001"
    )
    erased = runner.invoke(user_app, ["erase", str(user_id)])
    assert erased.exit_code == 0 and "dihapus" in erased.output, erased.output
    assert (
        "Rina" not in runner.invoke(user_app, ["export", str(user_id), "--output", str(out)]).output
    )
    assert "Rina" not in zipfile.ZipFile(out).read("data.json").decode()


def test_delegate_list_and_end_a_deputy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    url = f"sqlite+aiosqlite:///{tmp_path / 'mm.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("FILES_DIR", str(tmp_path / "files"))
    monkeypatch.setenv("SOP", "sanggau-hubungan-media")
    upgrade(url)
    asyncio.run(_seed(url))  # Budi Admin (11), Ani Admin (12)
    today = datetime.now(UTC).date()
    until = today.replace(year=today.year + 1)
    args = ["delegate", "--role", "kadis", "--to", "Ani", "--from", str(today)]

    made = runner.invoke(official_app, [*args, "--until", until.strftime("%d-%m-%Y")])
    assert made.exit_code == 0, made.output
    assert "Ani Admin sebagai Plh. Kepala Dinas" in made.output
    again = runner.invoke(official_app, [*args, "--until", str(today)])
    assert again.exit_code == 1 and "sudah ditunjuk" in again.output  # overlapping period
    wrong = runner.invoke(official_app, [*args[:2], "bupati", *args[3:], "--until", str(today)])
    assert wrong.exit_code == 1 and "tidak dikenal" in wrong.output
    back = ["delegate", "--role", "kadis", "--to", "Budi", "--from", str(until)]
    backwards = runner.invoke(official_app, [*back, "--until", str(today)])
    assert backwards.exit_code == 1 and "sesudah tanggal mulai" in backwards.output

    listed = runner.invoke(official_app, ["delegations"])
    assert "Ani Admin — Plh. Kepala Dinas" in listed.output and "bertugas" in listed.output
    assert runner.invoke(official_app, ["end-delegation", "1"]).exit_code == 0
    assert "berakhir" in runner.invoke(official_app, ["delegations"]).output
    ended = runner.invoke(official_app, ["end-delegation", "1"])
    assert ended.exit_code == 1 and "sudah berakhir" in ended.output

    async def told() -> list[str]:
        engine = create_engine(url)
        try:
            async with session_factory(engine)() as s:
                rows = await s.scalars(select(Outbox).where(Outbox.chat_id == 12))
                return [str(r.payload.get("text", "")) for r in rows]
        finally:
            await engine.dispose()

    assert any("Plh. Kepala Dinas" in text for text in asyncio.run(told()))  # Ani was told

    budi = ["delegate", "--role", "kadis", "--to", "Budi", "--from", str(today)]
    assert runner.invoke(official_app, [*budi, "--until", str(until)]).exit_code == 0
    assert runner.invoke(official_app, ["revoke", "Budi"]).exit_code == 0
    lines = runner.invoke(official_app, ["delegations"]).output.splitlines()
    assert [line.rsplit("· ", 1)[-1] for line in lines if "Budi" in line] == ["berakhir"]

"""Personal data at rest (issue 9): the NIK encrypted with a blind index, the key file 0600."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from storage import crypto
from storage.db import create_engine
from storage.migrate import downgrade, upgrade


def _sql(url: str, statement: str) -> list:
    async def run() -> list:
        engine = create_engine(url)
        try:
            async with engine.begin() as conn:
                result = await conn.execute(text(statement))
                return list(result.all()) if result.returns_rows else []
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_the_migration_encrypts_the_niks_already_stored(db_url: str) -> None:
    upgrade(db_url)
    if db_url.startswith("postgresql"):  # shared with other tests: start from no users
        _sql(db_url, "TRUNCATE app_user RESTART IDENTITY CASCADE")
    downgrade(db_url, "0004")
    _sql(
        db_url,
        "INSERT INTO app_user (telegram_id, name, nik, is_journalist, created_at) "
        "VALUES (77, 'Rina', '6171054501900001', true, CURRENT_TIMESTAMP)",
    )
    upgrade(db_url)
    [(cipher, index)] = _sql(db_url, "SELECT nik_cipher, nik_index FROM app_user")
    assert "6171054501900001" not in cipher
    vault = crypto.current()
    assert vault.decrypt(cipher) == "6171054501900001"
    assert index == vault.index("6171054501900001")
    columns = _sql(db_url, "SELECT * FROM app_user")
    assert not any("6171054501900001" in str(v) for row in columns for v in row)


def test_the_key_file_is_made_once_readable_by_the_service_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite_vault = crypto.current()
    monkeypatch.delenv(crypto.KEY_ENV)
    before = os.umask(0o022)
    try:
        first = crypto.load(tmp_path / "data")
        again = crypto.load(tmp_path / "data")
    finally:
        os.umask(before)
        crypto.configure(suite_vault)
    key_file = tmp_path / "data" / crypto.KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700
    assert again.decrypt(first.encrypt("x")) == "x"  # the same key after a restart


def test_a_nik_is_masked_to_its_region_and_last_digits() -> None:
    assert crypto.mask("6171054501900001") == "6171**********01"
    assert crypto.mask(None) == "-"


def test_a_failed_statement_does_not_carry_its_values(db_url: str) -> None:
    upgrade(db_url)
    insert = (
        "INSERT INTO app_user (id, name, phone, is_journalist, created_at) "
        "VALUES (:t, 'Rina', :phone, true, CURRENT_TIMESTAMP)"
    )
    values = {"t": 78, "phone": "+6281299998888"}

    async def run() -> str:
        engine = create_engine(db_url)
        try:
            async with engine.begin() as conn:
                await conn.execute(text(insert), values)
                await conn.execute(text(insert), values)  # the id is unique
        except Exception as error:
            return str(error)
        finally:
            await engine.dispose()
        return ""

    message = asyncio.run(run())
    assert message and "+6281299998888" not in message


TOKEN = "123456789:AAHk-fake_token_for_the_test_abcdefg"
URL = f"https://api.telegram.org/bot{TOKEN}/sendMessage"


def test_adapter_error_texts_never_carry_the_token() -> None:
    import aiohttp
    from telegram.error import NetworkError

    from bot.adapters import aiogram_adapter, ptb_adapter
    from bot.delivery import ApiError

    raised: list[BaseException] = []
    for errors, failure in (
        (aiogram_adapter.api_errors, aiohttp.InvalidURL(URL)),
        (ptb_adapter.api_errors, NetworkError(f"httpx.ConnectError: {URL}")),
    ):
        with pytest.raises(ApiError) as caught, errors("sendMessage"):
            raise failure
        raised.append(caught.value)
    for error in raised:
        assert TOKEN not in str(error) and "<token>" in str(error)
        assert error.__cause__ is None and error.__suppress_context__  # not printed with it


def test_database_archive_and_key_are_private_whatever_the_umask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What `make run` builds (bot.factory), under the usual umask 022."""
    from bot.config import Settings
    from bot.factory import build_product

    suite_vault = crypto.current()
    monkeypatch.delenv(crypto.KEY_ENV)
    data = tmp_path / "data"
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{data / 'mitramedia.db'}", files_dir=data / "files"
    )
    before = os.umask(0o022)

    async def run() -> None:
        product = await build_product(settings)
        try:
            product.app.deps.archive.store(b"%PDF-1.4 ktp", "ktp.pdf")
        finally:
            await product.close()

    try:
        asyncio.run(run())
    finally:
        os.umask(before)
        crypto.configure(suite_vault)
    files = [p for p in data.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"mitramedia.db", crypto.KEY_FILE}
    assert any(p.suffix == ".pdf" for p in files)
    for path in [data, *data.rglob("*")]:
        expected = 0o700 if path.is_dir() else 0o600
        assert stat.S_IMODE(path.stat().st_mode) == expected, path

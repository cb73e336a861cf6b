"""The suite itself is safe to run on a developer's machine: it refuses to wipe a database
not named for tests, and a stray .env in the working directory changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings
from tests.conftest import NotATestDatabase, check_test_database


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+asyncpg://postgres@127.0.0.1:5432/mitramedia",
        "postgresql+asyncpg://kominfo:secret@db.example/production",
        "postgresql+asyncpg://postgres@127.0.0.1:5432/",
    ],
)
def test_a_database_not_named_for_tests_is_refused_before_anything_is_dropped(url: str) -> None:
    with pytest.raises(NotATestDatabase, match="contains 'test'"):
        check_test_database(url)


def test_a_test_database_is_accepted() -> None:
    check_test_database("postgresql+asyncpg://postgres@127.0.0.1:5432/test_h14")
    check_test_database("postgresql+asyncpg://ci@db/mitramedia_TEST")


def test_a_stray_env_file_does_not_change_the_suites_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text(
        "SOP=nonexistent\nDATABASE_URL=postgresql+asyncpg://prod@db/mitramedia\nBOT_TOKEN=1:x\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    for name in ("SOP", "DATABASE_URL", "BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.sop == "sanggau-hubungan-media"
    assert settings.database_url.startswith("sqlite")
    assert settings.bot_token is None
    # The product itself still reads .env (an operator's configuration); only tests do not.
    assert Settings(_env_file=".env").sop == "nonexistent"  # type: ignore[call-arg]

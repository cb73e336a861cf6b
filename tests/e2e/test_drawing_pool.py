"""The records drawn in a worker process (DRAW_WORKERS=1, as `mitramedia run` does by default;
the rest of the suite draws in a thread): the receipt, the draft and the disposition sheet
arrive, and a drawing worker killed between two documents loses neither."""

from __future__ import annotations

import os
import signal

import pytest

from tests.e2e.conftest import PDF, BotUnderTest
from tests.e2e.helpers import approve
from tests.e2e.test_records import docx_text, newest, pdf_text
from tests.e2e.test_sanggau import SANGGAU


@pytest.fixture(params=["aiogram"])  # the pool sits below the adapters: one is enough
def framework(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def test_records_are_drawn_in_a_worker_and_survive_its_death(bot: BotUnderTest) -> None:
    bot.settings = bot.settings.model_copy(update={"draw_workers": 1})
    await bot.restart()
    who = await bot.officials(SANGGAU)
    rina = await bot.seeded_journalist(3101)
    await rina.send("/ajukan")
    await rina.upload_document(PDF, "surat-permohonan.pdf", "application/pdf")
    await approve(who["admin"], "Terima")
    assert "TANDA TERIMA" in pdf_text(newest(rina, ".pdf"))
    fungsional = who["fungsional"]
    assert "NOTA KESEPAHAMAN" in docx_text(newest(fungsional, ".docx"))

    pool = bot.product.app.deps.drawing._pool
    assert pool is not None  # drawn in the worker, not in a thread of the bot
    assert pool._processes
    for worker in list(pool._processes):  # e.g. killed by the kernel for memory
        os.kill(worker, signal.SIGKILL)

    await fungsional.press("📄 Lembar disposisi")
    assert "LEMBAR DISPOSISI" in pdf_text(newest(fungsional, ".pdf"))
    kinds = [doc.kind for doc in await bot.documents()]
    assert kinds.count("disposition") == 1 and "receipt" in kinds
    bot.assert_clean()

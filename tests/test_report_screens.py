"""The /laporan screens as a head of office gets them, for both SOPs: the caption against a
reviewed snapshot (tests/snapshots/), and the chart written to data/screenshots/ to look at.

UPDATE_SNAPSHOTS=1 rewrites the snapshots; read the diff as the Kepala Dinas would.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from tests.factories import builtin
from workflow import compliance_export as export
from workflow.compliance import PersonRow, Report, StepRow
from workflow.spec import SopSpec

WIB = ZoneInfo("Asia/Jakarta")
SNAPSHOTS = Path(__file__).parent / "snapshots"
SCREENSHOTS = Path(__file__).parents[1] / "data" / "screenshots"
SOPS = ("sanggau-hubungan-media", "trenggalek-kerjasama-media")


def month_report(spec: SopSpec) -> Report:
    """A November with one slow desk official, one head with a rare slip, one always on time,
    and the applicant's own late step (which must not count against the office). The office's
    steps add up to the people's figures: 9 closed, 6 on time, 1 overdue now."""
    office = [s.number for s in spec.steps if s.role != spec.applicant_role]
    figures = {office[0]: (3, 1, 1), office[1]: (2, 1, 0), office[2]: (4, 4, 0)}
    steps = [
        StepRow(
            sop_id=spec.id,
            step_number=step.number,
            role=step.role,
            role_name=spec.role_name(step.role),
            role_label=spec.roles[step.role].short or spec.roles[step.role].name,
            activity=step.activity[:60],
            standard=str(step.time),
            clock=step.clock,
            standard_span=timedelta(minutes=30),
            applicant=applicant,
            closed=(2 if applicant else figures.get(step.number, (0, 0, 0))[0]),
            on_time=(1 if applicant else figures.get(step.number, (0, 0, 0))[1]),
            median=timedelta(minutes=20),
            p90=timedelta(minutes=40),
            overdue_now=0 if applicant else figures.get(step.number, (0, 0, 0))[2],
            sop_title=spec.title,
        )
        for step in spec.steps
        for applicant in [step.role == spec.applicant_role]
    ]
    desk = spec.desk_role or "fungsional"
    people = (
        PersonRow(
            1,
            "Budi Santoso",
            (spec.role_name(desk),),
            3,
            1,
            1.9,
            1,
            typical_delay=timedelta(hours=2, minutes=4),
            worst_delay=timedelta(hours=3, minutes=20),
        ),
        PersonRow(
            2,
            "Hendra Wijaya",
            (spec.role_name("kadis"),),
            2,
            1,
            0.8,
            0,
            typical_delay=timedelta(0),
            worst_delay=timedelta(minutes=25),
        ),
        PersonRow(
            3, "Sari Dewi", (spec.role_name("kabid"),), 4, 4, 0.4, 0, timedelta(0), timedelta(0)
        ),
    )
    return Report(
        since=datetime(2026, 11, 1, tzinfo=WIB),
        until=datetime(2026, 12, 1, tzinfo=WIB),
        now=datetime(2026, 11, 30, 12, 0, tzinfo=WIB),
        timezone="Asia/Jakarta",
        steps=tuple(steps),
        people=people,
    )


@pytest.mark.parametrize("sop_id", SOPS)
def test_report_caption_snapshot(sop_id: str) -> None:
    text = export.caption(month_report(builtin(sop_id)), "Asia/Jakarta")
    snapshot = SNAPSHOTS / f"report_caption_{sop_id}.html"
    if os.environ.get("UPDATE_SNAPSHOTS") or not snapshot.exists():
        snapshot.write_text(text + "\n", encoding="utf-8")
    assert text + "\n" == snapshot.read_text(encoding="utf-8")
    # What the head must never read again: a late official summed up as "0 terlambat".
    assert "3 jam 20 menit" in text and "0 terlambat kini" not in text
    assert text.index("Budi Santoso") < text.index("Hendra") < text.index("Sari Dewi")
    # The headline is the office's work: the applicant's own steps are counted apart.
    assert "Petugas menyelesaikan 9 tugas: 6 tepat waktu (67%)" in text


@pytest.mark.parametrize("sop_id", SOPS)
def test_report_chart_is_written_for_a_look(sop_id: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = export.as_png(month_report(builtin(sop_id)), SCREENSHOTS / f"laporan-{sop_id}.png")
    print(f"chart: {path}")
    with Image.open(path) as image:
        assert image.width == 900  # shown about 360 px wide on a phone

"""Speed budget of the working-time calendar (not a test: timing belongs to no test).

    .venv/bin/python bench/bench_calendar.py

Adds five working days and ten hours to a start 200 times, the SLA sweep's worst everyday
case, and prints how long it took against the budget; exit status 1 when over it.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from workflow.calendar import WorkingCalendar
from workflow.durations import Duration

BUDGET_SECONDS = 1.0
ROUNDS = 200


def main() -> int:
    calendar = WorkingCalendar()
    start = datetime(2026, 11, 23, 10, tzinfo=ZoneInfo("Asia/Jakarta"))
    calendar.add(start, Duration(days=5, minutes=600))  # warm the holiday cache first
    began = time.perf_counter()
    for _ in range(ROUNDS):
        calendar.add(start, Duration(days=5, minutes=600))
    took = time.perf_counter() - began
    verdict = "ok" if took < BUDGET_SECONDS else "OVER BUDGET"
    print(f"calendar.add 5d+600m x{ROUNDS}: {took:.3f}s (budget {BUDGET_SECONDS:.1f}s) {verdict}")
    return 0 if took < BUDGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())

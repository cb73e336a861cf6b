"""Every module of ours imports on its own, whichever is imported first: a cycle between two
handlers (prompts <-> evaluation) once broke `import bot.scheduler` while the whole suite, which
imports them in another order, stayed green."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]
PACKAGES = ("handlers", "workflow", "storage")

PROBE = """
import importlib, sys
ours = {"handlers", "workflow", "storage", "bot"}
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m.split(".")[0] in ours]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as error:
        failed.append(f"{name}: {error!r}")
print("\\n".join(failed))
"""


def _modules() -> list[str]:
    names = ["bot.scheduler", "bot.runtime", "bot.cli"]
    for package in PACKAGES:
        for path in sorted((ROOT / package).glob("*.py")):
            if path.stem != "__init__":
                names.append(f"{package}.{path.stem}")
    return names


def test_each_module_imports_first() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *_modules()],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert result.stdout.strip() == "", result.stdout

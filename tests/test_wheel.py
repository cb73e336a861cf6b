"""The package as a deployment installs it: a wheel, apart from the checkout.

Builds the wheel (offline: no build isolation, no dependency download), unpacks it with
`pip install --no-deps --target`, and runs `mitramedia demo` from a directory that is not the
checkout, with the checkout kept off sys.path (-P). The demo must print a real transcript
(templates and SOP files found as package data, migrations run from it), write only under its
own ./data/demo/, and leave the deployment's DATABASE_URL and FILES_DIR untouched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGED = ("pyproject.toml", "README.md", "bot", "handlers", "workflow", "storage", "templates")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc")

# Runs the installed entry point with only DIR (the unpacked wheel) and the venv's
# site-packages on sys.path, and reports where each package was imported from.
LAUNCH = """
import sys
sys.argv = ["mitramedia", *sys.argv[1:]]
from bot.cli import app
try:
    app()
finally:
    import bot, handlers, storage, templates, workflow
    for m in (bot, handlers, storage, templates, workflow):
        print("imported-from", m.__name__, m.__file__, file=sys.stderr)
"""

REFUSE_AIOGRAM = """
import sys
class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name == "aiogram" or name.startswith("aiogram."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, Refuse())
sys.argv = ["mitramedia", "demo"]
from bot.cli import app
app()
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # A copy of the sources: setuptools writes build/ next to them, and a second suite may be
    # building at the same time.
    source = tmp_path_factory.mktemp("source")
    for name in PACKAGED:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=IGNORED)
        else:
            shutil.copy(ROOT / name, source / name)
    dist = tmp_path_factory.mktemp("dist")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "wheel", str(source), "--no-deps", "--no-build-isolation", "-w", str(dist)],
        check=True,
        cwd=dist,
    )
    [wheel] = dist.glob("mitramedia-*.whl")
    target = tmp_path_factory.mktemp("site")
    subprocess.run([*pip, "install", "--no-deps", "--target", str(target), str(wheel)], check=True)
    return target


def _run(code: str, target: Path, cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "BOT_", "SOP"))}
    clean.update(PYTHONPATH=str(target), **env)
    return subprocess.run(
        [sys.executable, "-P", "-c", code, *args],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_the_installed_wheel_plays_the_demo_in_its_own_database(
    installed: Path, tmp_path: Path
) -> None:
    deployment = tmp_path / "deployment"
    result = _run(
        LAUNCH,
        installed,
        tmp_path,
        "demo",
        DATABASE_URL=f"sqlite+aiosqlite:///{deployment / 'real.db'}",
        FILES_DIR=str(deployment / "files"),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    origins = [line.split()[2] for line in result.stderr.splitlines() if "imported-from" in line]
    assert len(origins) == 5 and all(o.startswith(str(installed)) for o in origins), origins
    out = result.stdout
    assert "0 ditolak server" in out and ": selesai, 3 periode." in out  # the whole case
    assert "Rina Wartawati — Pers (pemohon)" in out
    assert "Selamat" in out  # a rendered template, not a bare code
    assert "data/demo/mitramedia.db" in out  # the header names the demo's own database
    assert not deployment.exists(), "the demo wrote into the deployment's DATABASE_URL/FILES_DIR"
    assert (tmp_path / "data" / "demo" / "mitramedia.db").is_file()
    assert (tmp_path / "data" / "demo" / "files").is_dir()


def test_a_missing_framework_is_one_line_naming_the_extra(installed: Path, tmp_path: Path) -> None:
    result = _run(REFUSE_AIOGRAM, installed, tmp_path, BOT_FRAMEWORK="aiogram")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [
        "Kerangka aiogram belum terpasang: pip install 'mitramedia[aiogram]' "
        "(atau atur BOT_FRAMEWORK ke kerangka yang terpasang)."
    ]
    assert not (tmp_path / "data").exists()  # refused before any database was made

"""The Alembic revisions ship inside the package: the command migrates from there, and a wheel
built from the repository carries them, so an installed copy (the image) needs no source tree."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import app
from app.cli import alembic_config

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = Path(app.__file__).resolve().parent


def _revisions(names: list[str]) -> list[str]:
    return sorted(name.rsplit("/", 1)[-1] for name in names if name.endswith(".py"))


def test_the_command_migrates_from_inside_the_package() -> None:
    location = Path(str(alembic_config("sqlite://").get_main_option("script_location")))
    assert location == PACKAGE / "migrations"
    assert (location / "env.py").is_file()
    # the very revisions alembic.ini's migrations/ holds for developers
    packaged = _revisions([str(p) for p in (location / "versions").iterdir()])
    assert packaged
    assert packaged == _revisions([str(p) for p in (ROOT / "migrations" / "versions").iterdir()])


@pytest.mark.slow  # builds a wheel (pip fetches the build backend)
def test_a_wheel_built_from_the_repository_carries_the_migrations(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    skipped = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "app", source / "app", symlinks=True, ignore=skipped)
    shutil.copytree(ROOT / "migrations", source / "migrations", ignore=skipped)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {"app/migrations/env.py", "app/migrations/script.py.mako"} <= set(names)
    packaged = _revisions([n for n in names if n.startswith("app/migrations/versions/")])
    assert packaged
    assert packaged == _revisions([str(p) for p in (ROOT / "migrations" / "versions").iterdir()])

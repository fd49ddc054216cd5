"""A TypeScript client, as most TypeScript front ends make one (openapi-typescript types from the
live /openapi.json of a real server process, openapi-fetch calls), compiles under `strict` and
runs compute → diff → validate → evaluate against that server, reading typed fields only.

The harness (tests/e2e/ts_client: pinned package.json and package-lock.json, tsconfig, the
scenario and the type checks) is installed with `npm ci` into a cache folder named by the lock
file's hash, so it is downloaded once per version. Without node or npm the test is skipped,
except under CI=true, where it fails.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ..servers import prepare_database, running_server

pytestmark = pytest.mark.slow  # real server processes: left out of `make test-fast`

HARNESS = Path(__file__).parent / "ts_client"
HARNESS_FILES = ("package.json", "package-lock.json", "tsconfig.json", "scenario.ts", "typing.ts")
STEP_TIMEOUT = 300  # seconds, for each command
# Named in README.md: a field with a default is optional in a request, as the document says.
GENERATOR_FLAGS = ("--default-non-nullable", "false")


def _tools() -> tuple[str, str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        reason = "node and npm are needed for the TypeScript client test"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}, and CI must run it")
        pytest.skip(reason)
    return node, npm


def _run(command: list[str], cwd: Path) -> str:
    done = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=STEP_TIMEOUT, check=False
    )
    assert done.returncode == 0, f"{command} exited {done.returncode}:\n{done.stdout}{done.stderr}"
    return done.stdout


def _installed(npm: str) -> Path:
    """node_modules of the harness, installed with `npm ci` once per lock file."""
    lock = (HARNESS / "package-lock.json").read_bytes()
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    home = cache / "pipeline-policy" / "ts-client" / hashlib.sha256(lock).hexdigest()[:16]
    modules = home / "node_modules"
    if (modules / ".package-lock.json").is_file():
        return modules
    home.parent.mkdir(parents=True, exist_ok=True)
    # Installed aside and moved in whole: an interrupted install leaves no half folder behind.
    staging = Path(tempfile.mkdtemp(dir=home.parent))
    for name in ("package.json", "package-lock.json"):
        shutil.copy(HARNESS / name, staging / name)
    _run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"], staging)
    try:
        staging.rename(home)
    except OSError:  # another run installed it meanwhile
        shutil.rmtree(staging)
    return modules


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'e2e.db'}"
    prepare_database(url)
    with running_server(url, tmp_path / "server.log") as running:
        yield running.base


def test_the_scenario_has_no_casts_and_no_any() -> None:
    """The point is typed fields: a cast or `any` would let anything compile."""
    for name in ("scenario.ts", "typing.ts"):
        code = re.sub(r"//.*", "", (HARNESS / name).read_text())
        assert not re.search(r"\bany\b", code), name
        assert not re.search(r"\bas\s+(?!const\b)[\w{\[(]", code), name  # `x as T`
        assert not re.search(r"<\w+>\s*\w", code.replace("createClient<paths>", "")), name
        assert not re.search(r"\w!\s*[.;,)\]]", code), name  # non-null assertions


def test_compute_diff_validate_evaluate_through_a_typescript_client(
    server: str, tmp_path: Path, shared_dir: Path
) -> None:
    node, npm = _tools()
    modules = _installed(npm)
    work = tmp_path / "client"
    work.mkdir()
    for name in HARNESS_FILES:
        shutil.copy(HARNESS / name, work / name)
    (work / "node_modules").symlink_to(modules, target_is_directory=True)
    spec = httpx.get(f"{server}/openapi.json", timeout=30)
    assert spec.status_code == 200
    (work / "openapi.json").write_bytes(spec.content)

    generator = modules / "openapi-typescript" / "bin" / "cli.js"
    _run([node, str(generator), "openapi.json", *GENERATOR_FLAGS, "-o", "api.d.ts"], work)
    # tsconfig.json: strict (and stricter), the scenario and the type checks, emitted to dist/.
    _run([node, str(modules / "typescript" / "bin" / "tsc"), "-p", "tsconfig.json"], work)

    examples = shared_dir / "examples"
    out = _run(
        [
            node,
            "dist/scenario.js",
            server,
            str(examples / "reference-pipeline.json"),
            str(examples / "legacy-default-policy-2019.json"),
        ],
        work,
    )
    assert out.rstrip().endswith("scenario passed"), out
    assert out.count("ok: ") == 18, out

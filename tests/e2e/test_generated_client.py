"""A Python client generated with openapi-python-client from the live spec of a real server
process (SQLite, migrated and seeded with the CLI) runs compute → diff → validate."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PACKAGE = "pp_generated_client"
VALIDATE_PATH = "/v1/policies/validate"
STEP_TIMEOUT = 300  # seconds, for each command
READY_TIMEOUT = 60


def _command(name: str, module: str, *args: str) -> list[str]:
    script = shutil.which(name, path=str(BIN))
    return [script, *args] if script else [sys.executable, "-m", module, *args]


def _environment(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REQUIRE_KEYS_FOR_READS", "PRODUCTION")}
    # The generator runs ruff on what it writes: the venv's, not whatever PATH has.
    env.update(DATABASE_URL=url, LOG_LEVEL="warning", PATH=f"{BIN}{os.pathsep}{env['PATH']}")
    return env


def _run(command: list[str], env: dict[str, str], cwd: Path) -> None:
    done = subprocess.run(
        command, env=env, cwd=cwd, capture_output=True, text=True, timeout=STEP_TIMEOUT, check=False
    )
    assert done.returncode == 0, f"{command} exited {done.returncode}:\n{done.stdout}{done.stderr}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """A migrated and seeded SQLite database, and a server process on it, until ready."""
    env = _environment(f"sqlite:///{tmp_path / 'e2e.db'}")
    _run(_command("pipeline-policy", "app.cli", "db", "upgrade"), env, ROOT)
    _run(_command("pipeline-policy", "app.cli", "seed"), env, ROOT)
    port = _free_port()
    log = tmp_path / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            _command("pipeline-policy", "app.cli", "serve", "--no-prepare", "--port", str(port)),
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            assert process.poll() is None, f"server exited:\n{log.read_text()}"
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"server never ready:\n{log.read_text()}"
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture
def generated(server: str, tmp_path: Path) -> Iterator[tuple[ModuleType, dict[str, Any]]]:
    """The client package generated from the server's /openapi.json, imported, and the spec."""
    response = httpx.get(f"{server}/openapi.json", timeout=30)
    assert response.status_code == 200
    spec: dict[str, Any] = response.json()
    spec_file = tmp_path / "openapi.json"
    spec_file.write_text(json.dumps(spec))
    out = tmp_path / "client"
    out.mkdir()
    _run(
        [
            *_command("openapi-python-client", "openapi_python_client", "generate"),
            *("--path", str(spec_file), "--output-path", str(out / PACKAGE), "--meta", "none"),
            "--fail-on-warning",
        ],
        _environment("sqlite://"),
        tmp_path,
    )
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(PACKAGE), spec
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def _operation(package: ModuleType, spec: dict[str, Any], method: str, path: str) -> ModuleType:
    """The generated module of an operation: api/<tag>/<operationId>.py."""
    operation = spec["paths"][path][method]
    return importlib.import_module(
        f"{package.__name__}.api.{operation['tags'][0]}.{operation['operationId']}"
    )


def _body_model(package: ModuleType, spec: dict[str, Any], method: str, path: str) -> Any:
    body = spec["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    return getattr(
        importlib.import_module(f"{package.__name__}.models"), body["$ref"].split("/")[-1]
    )


def test_compute_diff_validate_through_the_generated_client(
    server: str,
    generated: tuple[ModuleType, dict[str, Any]],
    shared_dir: Path,
) -> None:
    package, spec = generated
    models = importlib.import_module(f"{package.__name__}.models")
    reference = json.loads((shared_dir / "examples" / "reference-pipeline.json").read_text())
    legacy = json.loads((shared_dir / "examples" / "legacy-default-policy-2019.json").read_text())
    client = package.Client(
        base_url=server, timeout=httpx.Timeout(60), raise_on_unexpected_status=True
    )

    with client:
        # compute
        compute = _operation(package, spec, "post", "/v1/policies/compute")
        answer = compute.sync_detailed(
            client=client, body=models.ComputeRequest.from_dict({"pipelines": [reference]})
        )
        assert answer.status_code == 200, answer.content
        computed = answer.parsed
        assert isinstance(computed, models.ComputeResponse)
        policy = computed.policy.to_dict()
        actions = {a for s in policy["Statement"] for a in s["Action"]}
        assert {"codecommit:GetRepository", "codebuild:StartBuild"} <= actions
        assert computed.statements[0].required_by[0].citation.url.startswith("https://")
        assert computed.provenance.profile_set_revision >= 1

        # a problem comes back typed
        bad = compute.sync_detailed(
            client=client, body=models.ComputeRequest.from_dict({"pipelines": []})
        )
        assert bad.status_code == 422
        assert isinstance(bad.parsed, models.Problem)
        assert bad.parsed.errors[0].pointer == ""

        # diff: the legacy 2019 default policy against the reference pipeline
        diff = _operation(package, spec, "post", "/v1/policies/diff")
        answer = diff.sync_detailed(
            client=client,
            body=models.DiffRequest.from_dict(
                {"current": {"documents": [legacy]}, "required": {"pipelines": [reference]}}
            ),
        )
        assert answer.status_code == 200, answer.content
        diffed = answer.parsed
        assert isinstance(diffed, models.DiffResponse)
        assert diffed.verdict.value == "insufficient"
        assert diffed.patched_verdict.value == "sufficient"
        missing = {a for m in diffed.missing for a in m.actions}
        assert "codecommit:GetRepository" in missing
        assert diffed.excess.total_actions > 1000

        # validate the computed policy
        if "post" not in spec["paths"].get(VALIDATE_PATH, {}):
            pytest.skip(
                f"POST {VALIDATE_PATH} is not in the spec yet (being added, issue 3): compute and "
                "diff passed through the generated client; the validate step did not run"
            )
        validate = _operation(package, spec, "post", VALIDATE_PATH)
        body = _body_model(package, spec, "post", VALIDATE_PATH)
        answer = validate.sync_detailed(
            client=client,
            body=body.from_dict({"policy": {"documents": [policy]}, "policy_type": "managed"}),
        )
        assert answer.status_code == 200, answer.content
        report = answer.parsed.to_dict()
        errors = [f for f in report["findings"] if f["finding_type"] == "ERROR"]
        assert not errors, errors
        if "valid" in report:
            assert report["valid"] is True

"""A Python client generated with openapi-python-client from the live spec of a real server
process (SQLite, migrated and seeded with the CLI) runs compute → diff → validate → evaluate,
and gets the policy as a CloudFormation snippet (text) or, past an ERROR, a typed problem."""

from __future__ import annotations

import copy
import importlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from ..servers import prepare_database, running_server

pytestmark = pytest.mark.slow  # real server processes: left out of `make test-fast`

BIN = Path(sys.executable).parent
PACKAGE = "pp_generated_client"
VALIDATE_PATH = "/v1/policies/validate"
EVALUATE_PATH = "/v1/policies/evaluate"
STEP_TIMEOUT = 300  # seconds, for each command


def _generator_command(*args: str) -> list[str]:
    script = shutil.which("openapi-python-client", path=str(BIN))
    return [script, *args] if script else [sys.executable, "-m", "openapi_python_client", *args]


def _run(command: list[str], cwd: Path) -> None:
    # The generator runs ruff on what it writes: the venv's, not whatever PATH has.
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        command, env=env, cwd=cwd, capture_output=True, text=True, timeout=STEP_TIMEOUT, check=False
    )
    assert done.returncode == 0, f"{command} exited {done.returncode}:\n{done.stdout}{done.stderr}"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """A migrated and seeded SQLite database, and a server process on it, until ready."""
    url = f"sqlite:///{tmp_path / 'e2e.db'}"
    prepare_database(url)
    with running_server(url, tmp_path / "server.log") as running:
        yield running.base


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
            *_generator_command("generate"),
            *("--path", str(spec_file), "--output-path", str(out / PACKAGE), "--meta", "none"),
            "--fail-on-warning",
        ],
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


def test_compute_diff_validate_evaluate_through_the_generated_client(
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

        # the same policy as a CloudFormation snippet: text, the findings at its top
        snippet = _operation(package, spec, "post", "/v1/policies/compute/cloudformation")
        answer = snippet.sync_detailed(
            client=client, body=models.ComputeRequest.from_dict({"pipelines": [reference]})
        )
        assert answer.status_code == 200, answer.content
        assert isinstance(answer.parsed, str)
        assert answer.parsed.startswith(f"# Findings: {len(computed.findings)}")
        assert "Type: AWS::IAM::ManagedPolicy" in answer.parsed
        assert answer.headers["X-Findings"] == str(len(computed.findings))
        # past an ERROR, a problem that lists the findings
        storeless = copy.deepcopy(reference)
        del storeless["pipeline"]["artifactStore"]
        refused = snippet.sync_detailed(
            client=client, body=models.ComputeRequest.from_dict({"pipelines": [storeless]})
        )
        assert refused.status_code == 422
        assert isinstance(refused.parsed, models.FindingsProblem)
        assert "NO_ARTIFACT_STORE" in {f.code for f in refused.parsed.findings}

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
        validate = _operation(package, spec, "post", VALIDATE_PATH)
        body = _body_model(package, spec, "post", VALIDATE_PATH)
        answer = validate.sync_detailed(
            client=client,
            body=body.from_dict({"policy": {"documents": [policy]}, "policy_type": "managed"}),
        )
        assert answer.status_code == 200, answer.content
        report = answer.parsed
        assert isinstance(report, models.ValidateResponse)
        errors = [f for f in report.findings if f.finding_type.value == "ERROR"]
        assert not errors, errors
        assert report.valid is True

        # evaluate requests against the computed policy
        evaluate = _operation(package, spec, "post", EVALUATE_PATH)
        body = _body_model(package, spec, "post", EVALUATE_PATH)
        answer = evaluate.sync_detailed(
            client=client,
            body=body.from_dict(
                {
                    "policy": {"documents": [policy]},
                    "requests": [
                        {
                            "action": "codebuild:StartBuild",
                            "resource": "arn:aws:codebuild:eu-west-2:111122223333:project/my-build",
                        },
                        {"action": "codebuild:DeleteProject"},
                    ],
                }
            ),
        )
        assert answer.status_code == 200, answer.content
        evaluated = answer.parsed
        assert isinstance(evaluated, models.EvaluateResponse)
        assert [r.decision.value for r in evaluated.results] == ["allowed", "implicitly_denied"]

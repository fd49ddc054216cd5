"""Helpers shared by the bench scripts: inputs, timing statistics, tables and server processes.

Not a test module and not part of the product; the scripts import it from their own folder.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import httpx

from app.engine.profiles import ProfileSet
from app.service.profile_files import compiled_files, profile_files

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
EXAMPLES = ROOT.parent / "shared" / "examples"
REFERENCE = EXAMPLES / "reference-pipeline.json"
LEGACY = EXAMPLES / "legacy-default-policy-2019.json"
VENV_BIN = ROOT / ".venv" / "bin"
CLI = VENV_BIN / "pipeline-policy"
PYTHON = VENV_BIN / "python"
START_LOAD = os.getloadavg()


def load_json(path: Path) -> Any:
    return json.loads(path.read_text())


def reference_pipeline() -> dict[str, Any]:
    doc: dict[str, Any] = load_json(REFERENCE)
    return doc


def legacy_policy() -> dict[str, Any]:
    doc: dict[str, Any] = load_json(LEGACY)
    return doc


@cache
def shipped_profile_set() -> Any:
    """The shipped profiles compiled once, as tests/unit/engine/profile_fixtures.py does."""
    _files, compiled = compiled_files(profile_files(), revision=1)
    return ProfileSet(revision=1, profiles=compiled.profiles)


# -- statistics ----------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def time_runs(fn: Callable[[], object], *, runs: int, warmup: int = 2) -> list[float]:
    """Wall time of `fn` in milliseconds, `runs` times after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def fmt_ms(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A GitHub-flavoured Markdown table, so it can be pasted into bench/README.md."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
        if n == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


def yardstick_ms() -> float:
    """A fixed pure-Python workload, best of 5: how fast this machine runs Python right now.

    Figures from different runs compare only in proportion to it (a shared machine's speed
    changes from hour to hour); the ratios within one run do not depend on it.
    """
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        counts: dict[int, int] = {}
        for i in range(200_000):
            counts[i % 997] = counts.get(i % 997, 0) + i
        best = min(best, time.perf_counter() - start)
    return best * 1000


def banner(title: str) -> None:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"\n## {title}\n")
    print(
        f"{stamp}; {os.cpu_count()} cores; Python {sys.version.split()[0]}; 1-minute load "
        f"average {START_LOAD[0]:.1f} when the script started, {os.getloadavg()[0]:.1f} now "
        "(the machine is shared: other work runs beside the bench); yardstick "
        f"{yardstick_ms():.1f} ms (a fixed pure-Python loop, best of 5)\n"
    )


# -- pipelines -----------------------------------------------------------------------------------

ACCOUNT = "111122223333"
REGION = "eu-west-2"


def pipeline_action(
    name: str, category: str, provider: str, config: dict[str, str], **extra: Any
) -> Any:
    """An AWS action of the get-pipeline document: `inputs`, `outputs` and `run_order` as
    keywords; any other keyword (`roleArn`, `region`) is the action's own field."""
    return {
        "name": name,
        "actionTypeId": {
            "category": category,
            "owner": "AWS",
            "provider": provider,
            "version": "1",
        },
        "runOrder": extra.pop("run_order", 1),
        "configuration": config,
        "inputArtifacts": [{"name": n} for n in extra.pop("inputs", [])],
        "outputArtifacts": [{"name": n} for n in extra.pop("outputs", [])],
        **extra,
    }


def _unit(i: int) -> list[tuple[str, Any]]:
    """Ten realistic actions of ten kinds, every resource name distinct per unit `i`."""
    arn = f"{REGION}:{ACCOUNT}"
    src, bld = f"Src{i}", f"Bld{i}"
    return [
        (
            "Source",
            pipeline_action(
                f"Source-{i}",
                "Source",
                "CodeCommit",
                {"RepositoryName": f"repo-{i}", "BranchName": "main"},
                outputs=[src],
            ),
        ),
        (
            "Build",
            pipeline_action(
                f"Build-{i}",
                "Build",
                "CodeBuild",
                {"ProjectName": f"build-{i}"},
                inputs=[src],
                outputs=[bld],
            ),
        ),
        (
            "Build",
            pipeline_action(
                f"Test-{i}",
                "Test",
                "CodeBuild",
                {"ProjectName": f"test-{i}"},
                inputs=[src],
                run_order=2,
            ),
        ),
        (
            "Deploy",
            pipeline_action(
                f"Stack-{i}",
                "Deploy",
                "CloudFormation",
                {
                    "ActionMode": "CREATE_UPDATE",
                    "StackName": f"stack-{i}",
                    "TemplatePath": f"{bld}::template.yml",
                    "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/cfn-deploy-{i}",
                    "Capabilities": "CAPABILITY_IAM",
                },
                inputs=[bld],
            ),
        ),
        (
            "Deploy",
            pipeline_action(
                f"Approve-{i}",
                "Approval",
                "Manual",
                {"NotificationArn": f"arn:aws:sns:{arn}:approvals-{i}"},
                run_order=2,
            ),
        ),
        (
            "Deploy",
            pipeline_action(
                f"Service-{i}",
                "Deploy",
                "ECS",
                {
                    "ClusterName": f"cluster-{i}",
                    "ServiceName": f"web-{i}",
                    "FileName": "imagedefinitions.json",
                },
                inputs=[bld],
                run_order=3,
            ),
        ),
        (
            "Deploy",
            pipeline_action(
                f"Site-{i}",
                "Deploy",
                "S3",
                {"BucketName": f"site-{i}-{ACCOUNT}", "Extract": "true"},
                inputs=[bld],
                run_order=3,
            ),
        ),
        (
            "Deploy",
            pipeline_action(
                f"Notify-{i}", "Invoke", "Lambda", {"FunctionName": f"notify-{i}"}, run_order=4
            ),
        ),
        (
            "Deploy",
            pipeline_action(
                f"Workflow-{i}",
                "Invoke",
                "StepFunctions",
                {"StateMachineArn": f"arn:aws:states:{arn}:stateMachine:release-{i}"},
                run_order=4,
            ),
        ),
        (
            "Deploy",
            pipeline_action(
                f"Fleet-{i}",
                "Deploy",
                "CodeDeploy",
                {"ApplicationName": f"app-{i}", "DeploymentGroupName": f"group-{i}"},
                inputs=[bld],
                run_order=5,
            ),
        ),
    ]


def synthetic_pipeline(actions: int, name: str = "Synthetic") -> dict[str, Any]:
    """One get-pipeline document with `actions` actions: units of ten kinds (CodeCommit,
    CodeBuild build and test, CloudFormation, Manual, ECS, S3 deploy, Lambda, Step Functions,
    CodeDeploy), each unit with its own repository, projects, stack, service, bucket, function,
    state machine and deployment group; one Source, Build and Deploy stage per unit."""
    reference = reference_pipeline()
    pipeline = reference["pipeline"]
    stages: list[dict[str, Any]] = []
    count = 0
    unit = 0
    while count < actions:
        by_stage: dict[str, list[Any]] = {}
        for stage, action in _unit(unit):
            if count == actions:
                break
            by_stage.setdefault(stage, []).append(action)
            count += 1
        stages.extend({"name": f"{s}-{unit}", "actions": a} for s, a in by_stage.items())
        unit += 1
    return {
        "pipeline": {
            "name": name,
            "roleArn": f"arn:aws:iam::{ACCOUNT}:role/service-role/shared-pipeline-role",
            "artifactStore": copy.deepcopy(pipeline["artifactStore"]),
            "stages": stages,
            "version": 1,
        },
        "metadata": {"pipelineArn": f"arn:aws:codepipeline:{REGION}:{ACCOUNT}:{name}"},
    }


def reference_variant(i: int) -> dict[str, Any]:
    """The reference pipeline with every name made distinct (pipeline, repository, project,
    stack, topic, cluster, service) and the shared role: one of a fleet of similar pipelines."""
    doc = reference_pipeline()
    pipeline = doc["pipeline"]
    pipeline["name"] = f"service-{i}"
    pipeline["roleArn"] = f"arn:aws:iam::{ACCOUNT}:role/service-role/shared-pipeline-role"
    doc["metadata"]["pipelineArn"] = f"arn:aws:codepipeline:{REGION}:{ACCOUNT}:service-{i}"
    renames = {
        "RepositoryName": f"repo-{i}",
        "ProjectName": f"build-{i}",
        "StackName": f"stack-{i}",
        "NotificationArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:approvals-{i}",
        "ClusterName": f"cluster-{i % 10}",
        "ServiceName": f"web-{i}",
    }
    for stage in pipeline["stages"]:
        for action in stage["actions"]:
            config = action["configuration"]
            for key, value in renames.items():
                if key in config:
                    config[key] = value
    return doc


# -- server processes ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def database_env(tmp: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp}/bench.db",
        "LOG_LEVEL": "warning",
    }


def prepare_database(env: dict[str, str]) -> None:
    """Migrate and seed, as `make run` does, so `serve --no-prepare` starts from a ready DB."""
    for args in (["db", "upgrade"], ["seed"]):
        subprocess.run(
            [str(CLI), *args],
            env=env,
            cwd=ROOT,
            check=True,
            timeout=120,
            stdout=subprocess.DEVNULL,
        )


def wait_http_ok(url: str, timeout: float = 30.0) -> float:
    """Poll `url` until it answers 200; the monotonic time it did. Raises on timeout."""
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            try:
                if client.get(url).status_code == 200:
                    return time.monotonic()
            except httpx.TransportError:
                pass
            time.sleep(0.01)
    raise TimeoutError(f"{url} did not answer 200 within {timeout} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a server started by `serve()`: SIGTERM to its own process group, then SIGKILL."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def start(args: Sequence[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start a process in its own session (so `stop` reaches its uvicorn workers too)."""
    return subprocess.Popen(
        list(args), env=env, cwd=ROOT, stdout=subprocess.DEVNULL, start_new_session=True
    )


@contextlib.contextmanager
def running(args: Sequence[str], env: dict[str, str], ready_url: str) -> Iterator[Any]:
    process = start(args, env)
    try:
        wait_http_ok(ready_url)
        yield process
    finally:
        stop(process)


def product_command(port: int, workers: int) -> list[str]:
    return [str(CLI), "serve", "--no-prepare", "--port", str(port), "--workers", str(workers)]


def echo_command(port: int, workers: int, *, in_product: bool = False) -> list[str]:
    """bench/echo_app.py under uvicorn with the settings `pipeline-policy serve` uses: the bare
    echo app, or (`in_product`) the product's app with the echo route added."""
    target = ["--factory", "echo_app:product_with_echo"] if in_product else ["echo_app:app"]
    return [
        str(PYTHON), "-m", "uvicorn", *target, "--app-dir", str(BENCH),
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--log-level", "warning", "--no-proxy-headers",
    ]  # fmt: skip


def worker_pids(pid: int) -> list[int]:
    """uvicorn's worker processes under the supervisor `pid` (children spawned by
    multiprocessing; its resource tracker is left out), from /proc."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    out = []
    for child in (int(p) for p in text.split()):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if b"resource_tracker" not in cmdline:
            out.append(child)
    return out


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None

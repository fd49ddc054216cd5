"""Load and soak: a server at saturation on loopback with a mixed load (compute, diff, evaluate),
counting errors and watching the server's resident memory.

Run:  .venv/bin/python bench/soak.py [--seconds 60] [--warmup 10] [--connections 16]
                                      [--base http://127.0.0.1:8000 --pid PID]

Without --base, a temporary SQLite database is migrated and seeded by the CLI and one
`pipeline-policy serve` process is started for the run (and stopped after). The load generator is
asyncio + httpx in this process: `--connections` workers, each with a keep-alive connection,
send requests back to back, cycling through the three kinds. Every non-200 answer and every
transport error counts as an error. RSS is read from /proc/<pid>/status after the warm-up and
every few seconds during the run; the exit status is 1 when any request failed.
Only loopback addresses are accepted as targets.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

ACCOUNT = "111122223333"


def _pipeline(name: str) -> dict[str, Any]:
    def action(category: str, provider: str, config: dict[str, str], **io: Any) -> dict[str, Any]:
        return {
            "name": f"{provider}Action",
            "actionTypeId": {
                "category": category,
                "owner": "AWS",
                "provider": provider,
                "version": "1",
            },
            "configuration": config,
            **io,
        }

    return {
        "pipeline": {
            "name": name,
            "roleArn": f"arn:aws:iam::{ACCOUNT}:role/{name}-pipeline",
            "artifactStore": {"type": "S3", "location": f"{name}-artifacts"},
            "stages": [
                {
                    "name": "Source",
                    "actions": [
                        action(
                            "Source",
                            "CodeCommit",
                            {"RepositoryName": name, "BranchName": "main"},
                            outputArtifacts=[{"name": "src"}],
                        )
                    ],
                },
                {
                    "name": "Build",
                    "actions": [
                        action(
                            "Build",
                            "CodeBuild",
                            {"ProjectName": f"{name}-build"},
                            inputArtifacts=[{"name": "src"}],
                            outputArtifacts=[{"name": "out"}],
                        )
                    ],
                },
                {
                    "name": "Deploy",
                    "actions": [
                        action(
                            "Deploy",
                            "ECS",
                            {"ClusterName": f"{name}-cluster", "ServiceName": name},
                            inputArtifacts=[{"name": "out"}],
                        )
                    ],
                },
            ],
        },
        "metadata": {"pipelineArn": f"arn:aws:codepipeline:eu-west-2:{ACCOUNT}:{name}"},
    }


def mixed_requests() -> list[tuple[str, str, dict[str, Any]]]:
    """(kind, path, body) for the three kinds; names vary so nothing is one cached answer."""
    out: list[tuple[str, str, dict[str, Any]]] = []
    for i in range(8):
        pipeline = _pipeline(f"app{i}")
        out.append(("compute", "/v1/policies/compute", {"pipelines": [pipeline]}))
        out.append(
            (
                "diff",
                "/v1/policies/diff",
                {"current": {"baseline": "legacy-2019"}, "required": {"pipelines": [pipeline]}},
            )
        )
        out.append(
            (
                "evaluate",
                "/v1/policies/evaluate",
                {
                    "policy": {"baseline": "legacy-2019"},
                    "requests": [
                        {"action": "codebuild:StartBuild", "resource": "*"},
                        {
                            "action": "iam:PassRole",
                            "resource": f"arn:aws:iam::{ACCOUNT}:role/app{i}",
                            "context": {"iam:PassedToService": "ecs-tasks.amazonaws.com"},
                        },
                        {"action": "s3:PutObject", "resource": f"arn:aws:s3:::app{i}/x"},
                    ],
                },
            )
        )
    return out


@dataclass
class LoadResult:
    seconds: float
    requests: int = 0
    errors: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)
    rss_samples_kib: list[tuple[float, int]] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def summary(self) -> str:
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(self.by_kind.items()))
        mean = statistics.fmean(self.latencies_ms) if self.latencies_ms else 0.0
        return (
            f"{self.requests} requests in {self.seconds:.1f} s ({self.rate:.0f}/s; {kinds}); "
            f"errors: {self.errors}; latency ms mean {mean:.1f}, p50 {self.percentile(0.5):.1f}, "
            f"p99 {self.percentile(0.99):.1f}, max {self.percentile(1.0):.1f}"
        )


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def _loopback_only(base: str) -> None:
    host = urlsplit(base).hostname or ""
    if not (host == "localhost" or host.startswith("127.") or host == "::1"):
        raise SystemExit(f"refusing to load {host!r}: only loopback addresses are targets")


async def run_load(
    base: str,
    seconds: float,
    connections: int = 16,
    *,
    pid: int | None = None,
    rss_every: float = 5.0,
    on_sample: Callable[[float, int], None] | None = None,
) -> LoadResult:
    """`connections` workers sending requests back to back for `seconds`; bounded in time."""
    _loopback_only(base)
    bodies = mixed_requests()
    result = LoadResult(seconds=seconds)
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)

    async def worker(http: httpx.AsyncClient, offset: int) -> None:
        i = offset
        while time.monotonic() < deadline:
            kind, path, body = bodies[i % len(bodies)]
            i += 1
            started = time.perf_counter()
            try:
                response = await http.post(path, json=body)
                ok = response.status_code == 200
                detail = f"{kind}: {response.status_code} {response.text[:200]}"
            except httpx.HTTPError as exc:
                ok, detail = False, f"{kind}: {exc!r}"
            result.latencies_ms.append((time.perf_counter() - started) * 1000)
            result.requests += 1
            result.by_kind[kind] = result.by_kind.get(kind, 0) + 1
            if not ok:
                result.errors += 1
                if len(result.error_samples) < 5:
                    result.error_samples.append(detail)

    async def sampler() -> None:
        started = time.monotonic()
        while pid is not None and time.monotonic() < deadline:
            await asyncio.sleep(min(rss_every, max(0.0, deadline - time.monotonic())))
            sample = (time.monotonic() - started, rss_kib(pid))
            result.rss_samples_kib.append(sample)
            if on_sample:
                on_sample(*sample)

    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:
        began = time.monotonic()
        await asyncio.gather(sampler(), *(worker(http, n * 5) for n in range(connections)))
        result.seconds = time.monotonic() - began
    return result


@contextmanager
def own_server(port: int) -> Iterator[tuple[str, int]]:
    """A migrated and seeded SQLite database and one server on it, for this run only."""
    # Imported here: tests load this module by path, without bench/ on sys.path, and use
    # only the load generator.
    from _common import database_env, prepare_database, product_command, running  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="soak-") as work:
        env = database_env(Path(work))
        prepare_database(env)
        base = f"http://127.0.0.1:{port}"
        with running(product_command(port, 1), env, f"{base}/readyz") as process:
            yield base, process.pid


def soak(base: str, pid: int, seconds: float, warmup: float, connections: int) -> LoadResult:
    warm = asyncio.run(run_load(base, warmup, connections))
    before = rss_kib(pid)
    print(f"warm-up: {warm.summary()}")
    print(f"RSS after warm-up: {before / 1024:.1f} MiB")

    def show(at: float, kib: int) -> None:
        print(f"  t={at:5.1f} s  RSS {kib / 1024:.1f} MiB ({(kib - before) / 1024:+.1f})")

    result = asyncio.run(run_load(base, seconds, connections, pid=pid, on_sample=show))
    after = rss_kib(pid)
    print(f"soak: {result.summary()}")
    print(
        f"RSS: {before / 1024:.1f} MiB after warm-up, {after / 1024:.1f} MiB after the run "
        f"({(after - before) / 1024:+.1f} MiB)"
    )
    for sample in result.error_samples:
        print(f"  error: {sample}")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--base", help="a running server (loopback only); needs --pid")
    parser.add_argument("--pid", type=int, help="the pid of that server, for its RSS")
    parser.add_argument("--port", type=int, default=18765, help="port of the server started here")
    args = parser.parse_args()
    if args.base:
        if args.pid is None:
            parser.error("--base needs --pid")
        result = soak(args.base, args.pid, args.seconds, args.warmup, args.connections)
    else:
        with own_server(args.port) as (base, pid):
            result = soak(base, pid, args.seconds, args.warmup, args.connections)
    return 1 if result.errors else 0


if __name__ == "__main__":
    sys.exit(main())

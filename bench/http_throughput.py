"""HTTP throughput: POST /v1/policies/compute (reference pipeline) against a bare echo endpoint
that parses the same request model and returns it, same uvicorn settings, same payload, same run.

Run:  .venv/bin/python bench/http_throughput.py [--duration 10] [--warmup 2] [--connections 16]
                                                 [--workers 1,N] [--loadgen auto|wrk|python]

A temporary folder holds a migrated and seeded SQLite database; the product is served by
`pipeline-policy serve --no-prepare --workers W`, the echo app (bench/echo_app.py) by uvicorn with
the same host, log level, proxy-header setting and worker count (with several workers, the echo
in the product app gets a shared metrics folder, as `serve` gives the product's workers). Both
run for the whole of a worker setting and are loaded one after the other (never at once) over
loopback. The load
generator is wrk (`apt-get install wrk`; a Lua script posts the body and prints the latency
percentiles as JSON) or, when wrk is absent, a keep-alive HTTP/1.1 client on asyncio streams in
this process. Every server started here is stopped (its process group) before the script exits.
Nothing here asserts on time.

Compute is loaded twice: with the same body every time, and with the pipeline renamed in every
request (`MyFirstPipeline` becomes `MyFirstPipelineN<run>x1`, `x2`, …, a new run tag per load;
the body grows by a few bytes). The service keeps no answers, so both compute every request.
bench/targets.py measures the targets themselves (against a typed echo).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from _common import (
    REFERENCE,
    banner,
    database_env,
    echo_command,
    free_port,
    percentile,
    prepare_database,
    print_table,
    product_command,
    running,
)

COMPUTE_PATH = "/v1/policies/compute"
ECHO_PATH = "/echo"
ECHO_SYNC_PATH = "/echo-sync"

WRK_SCRIPT = r"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.body = f:read("*a")
f:close()

-- BENCH_RENAME set: every request renames the pipeline (a new name each time, BENCH_RUN tells the
-- runs apart): a new pipeline in every request.
local rename = os.getenv("BENCH_RENAME")
if rename and rename ~= "" then
  local counter = 0
  local run = os.getenv("BENCH_RUN")
  request = function()
    counter = counter + 1
    local body = string.gsub(wrk.body, rename, rename .. "N" .. run .. "x" .. counter)
    return wrk.format(nil, nil, nil, body)
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "status_errors": %d, "socket_errors": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


@dataclass
class LoadResult:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


# -- load generators -----------------------------------------------------------------------------


def run_wrk(
    url: str, body_file: Path, script: Path, seconds: float, connections: int, rename: str
) -> LoadResult:
    env = {
        **os.environ,
        "BENCH_BODY": str(body_file),
        "BENCH_RENAME": rename,
        "BENCH_RUN": uuid.uuid4().hex[:8],
    }
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s", "-s",
         str(script), url],
        env=env, capture_output=True, text=True, check=True, timeout=seconds + 60,
    )  # fmt: skip
    line = next(ln for ln in reversed(out.stdout.splitlines()) if ln.startswith("{"))
    data = json.loads(line)
    return LoadResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        errors=data["status_errors"] + data["socket_errors"],
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
    )


async def _client(
    port: int,
    request: Callable[[], bytes],
    deadline: float,
    latencies: list[float],
    errors: list[int],
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < deadline:
            message = request()
            start = time.perf_counter()
            writer.write(message)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            latencies.append((time.perf_counter() - start) * 1000)
            if not head.startswith(b"HTTP/1.1 2"):
                errors.append(1)
    finally:
        writer.close()


def run_python(
    port: int, path: str, body: bytes, seconds: float, connections: int, rename: str
) -> LoadResult:
    def message(body: bytes) -> bytes:
        return (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body

    fixed = message(body)
    counter = itertools.count(1)
    run = uuid.uuid4().hex[:8]  # the names of one run differ from every other run's

    def request() -> bytes:
        if not rename:
            return fixed
        renamed = f"{rename}N{run}x{next(counter)}"
        return message(body.replace(rename.encode(), renamed.encode()))

    latencies: list[float] = []
    errors: list[int] = []

    async def main() -> float:
        start = time.perf_counter()
        deadline = start + seconds
        await asyncio.gather(
            *(_client(port, request, deadline, latencies, errors) for _ in range(connections))
        )
        return time.perf_counter() - start

    elapsed = asyncio.run(main())
    return LoadResult(
        requests=len(latencies),
        seconds=elapsed,
        errors=len(errors),
        p50_ms=percentile(latencies, 0.50),
        p90_ms=percentile(latencies, 0.90),
        p99_ms=percentile(latencies, 0.99),
    )


# -- the run -------------------------------------------------------------------------------------


def check_answers(base: str, path: str, body: bytes, compute: bool) -> None:
    response = httpx.post(
        base + path, content=body, headers={"content-type": "application/json"}, timeout=30
    )
    response.raise_for_status()
    answer = response.json()
    if compute and not answer.get("policy", {}).get("Statement"):
        raise RuntimeError(f"compute answered without a policy: {answer}")
    if not compute and len(answer.get("pipelines", [])) != 1:
        raise RuntimeError("echo did not return the request")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of untimed load first")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--workers", default=f"1,{os.cpu_count() or 1}", help="comma-separated worker counts"
    )
    parser.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto")
    args = parser.parse_args()

    loadgen = args.loadgen
    if loadgen == "auto":
        loadgen = "wrk" if shutil.which("wrk") else "python"
    if loadgen == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk, or --loadgen python")
    worker_counts = list(dict.fromkeys(int(w) for w in args.workers.split(",")))
    reference = json.loads(REFERENCE.read_text())
    body = json.dumps({"pipelines": [reference]}).encode()
    pipeline_name = reference["pipeline"]["name"]

    rows = []
    verdicts = []
    with tempfile.TemporaryDirectory(prefix="pp-bench-http-") as tmp_name:
        tmp = Path(tmp_name)
        env = database_env(tmp)
        prepare_database(env)
        body_file = tmp / "body.json"
        body_file.write_bytes(body)
        script = tmp / "post.lua"
        script.write_text(WRK_SCRIPT)

        def load(port: int, path: str, seconds: float, rename: str) -> LoadResult:
            if loadgen == "wrk":
                url = f"http://127.0.0.1:{port}{path}"
                return run_wrk(url, body_file, script, seconds, args.connections, rename)
            return run_python(port, path, body, seconds, args.connections, rename)

        for workers in worker_counts:
            results: dict[str, LoadResult] = {}
            servers_named = ("compute", "echo", "echo in product app")
            ports = {name: free_port() for name in servers_named}
            commands = {
                "compute": product_command(ports["compute"], workers),
                "echo": echo_command(ports["echo"], workers),
                "echo in product app": echo_command(
                    ports["echo in product app"], workers, in_product=True
                ),
            }
            # endpoint -> (the server that answers it, path, the name renamed in each request)
            endpoints = {
                "compute": ("compute", COMPUTE_PATH, ""),
                "compute, new pipeline name each request": ("compute", COMPUTE_PATH, pipeline_name),
                "echo": ("echo", ECHO_PATH, ""),
                "echo, sync handler": ("echo", ECHO_SYNC_PATH, ""),
                "echo in product app": ("echo in product app", ECHO_PATH, ""),
            }
            envs = dict.fromkeys(servers_named, env)
            if workers > 1:
                # As `pipeline-policy serve` does for the product's workers: one metrics folder.
                shared = tmp / f"metrics-echo-in-product-{workers}"
                shared.mkdir()
                envs["echo in product app"] = {**env, "PROMETHEUS_MULTIPROC_DIR": str(shared)}
            with contextlib.ExitStack() as servers:
                for server_name in servers_named:
                    servers.enter_context(
                        running(
                            commands[server_name],
                            envs[server_name],
                            f"http://127.0.0.1:{ports[server_name]}/readyz",
                        )
                    )
                for endpoint, (server, path, rename) in endpoints.items():
                    base = f"http://127.0.0.1:{ports[server]}"
                    check_answers(base, path, body, compute=server == "compute")
                    load(ports[server], path, args.warmup, rename)
                    results[endpoint] = load(ports[server], path, args.duration, rename)
            for endpoint, r in results.items():
                rows.append(
                    [
                        workers, endpoint, f"{r.rps:,.0f}", f"{r.p50_ms:.1f}", f"{r.p90_ms:.1f}",
                        f"{r.p99_ms:.1f}", f"{r.requests:,}", r.errors,
                    ]
                )  # fmt: skip
            echo = results["echo"]
            for endpoint in ("compute", "compute, new pipeline name each request"):
                compute = results[endpoint]
                verdicts.append(
                    [
                        f"{workers} worker(s)",
                        endpoint,
                        f"{compute.rps / echo.rps:.0%}",
                        f"{compute.rps / results['echo, sync handler'].rps:.0%}",
                        f"{compute.rps / results['echo in product app'].rps:.0%}",
                        f"{compute.p99_ms:.1f} ms",
                    ]
                )

    banner(
        f"HTTP throughput: compute vs echo, {args.connections} connections, "
        f"{args.duration:g} s after {args.warmup:g} s warm-up, load generator {loadgen}"
    )
    print(f'body: {len(body):,} bytes ({REFERENCE.name} as {{"pipelines": [doc]}})\n')
    print_table(
        [
            "workers",
            "endpoint",
            "req/s",
            "p50 ms",
            "p90 ms",
            "p99 ms",
            "requests",
            "errors",
        ],
        rows,
    )
    print()
    print("targets: compute >= 75 % of the bare echo's req/s; p99 <= 25 ms on 1 worker\n")
    print_table(
        [
            "setting",
            "endpoint",
            "/ bare echo req/s",
            "/ bare sync echo",
            "/ echo in product app",
            "p99",
        ],
        verdicts,
    )


if __name__ == "__main__":
    main()

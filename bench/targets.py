"""The service's speed targets, side by side in one run, every request a new pipeline.

Run:  .venv/bin/python bench/targets.py [--duration 10] [--warmup 2] [--rounds 2]
                                        [--loadgen auto|wrk|python] [--peer-runs 30] [--no-peers]

1. HTTP compute against a plain FastAPI endpoint that parses the same request into typed pipeline
   models (bench/echo_app.py, `/echo-typed`) and returns them: 1 worker each, 16 connections,
   both bodies renamed in every request (nothing reusable), loaded in turn over `--rounds`
   rounds; throughput ratio (target >= 0.75) and compute's p99 (target <= 25 ms, the worst
   round's). wrk when installed, else the asyncio load generator of http_throughput.py.
2. The whole POST /v1/policies/diff path (the legacy 2019 policy against the reference
   pipeline: decode, request model, compute the needs, diff, re-check the patch, the answer
   encoded) through the product's ASGI app in this process, against parliament's and
   cloudsplaining's analysis of the same policy in their own venv (bench/peers_setup.sh; see
   peers.py). Ours is timed in two halves around the peers. Target >= 10x.
3. Compute cost per action at 1,000 actions against 10 (the engine in process, parse included).
   Target: no more per action at 1,000 (linear).
4. Start-up to /readyz (median of 5, target <= 1.5 s) and RSS after the HTTP load of part 1
   (target <= 200 MB).

A temporary folder holds a migrated and seeded SQLite database; every server started here runs
in its own process group and is stopped before the script exits. Nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from _common import (
    LEGACY,
    PYTHON,
    REFERENCE,
    ROOT,
    banner,
    database_env,
    echo_command,
    free_port,
    median,
    prepare_database,
    print_table,
    product_command,
    rss_mb,
    running,
    synthetic_pipeline,
    time_runs,
)
from http_throughput import WRK_SCRIPT, LoadResult, run_python, run_wrk
from in_process import compute_case
from peers import run_peers
from request_stages import asgi_post
from startup_memory import time_to_ready, vm_hwm_mb

COMPUTE_PATH = "/v1/policies/compute"
ECHO_PATH = "/echo-typed"


def http_part(
    env: dict[str, str], tmp: Path, args: argparse.Namespace, loadgen: str
) -> tuple[dict[str, LoadResult], dict[str, list[float]], dict[str, float | None]]:
    reference = json.loads(REFERENCE.read_text())
    body = json.dumps({"pipelines": [reference]}).encode()
    name = reference["pipeline"]["name"]
    body_file = tmp / "body.json"
    body_file.write_bytes(body)
    script = tmp / "post.lua"
    script.write_text(WRK_SCRIPT)

    def load(port: int, path: str, seconds: float) -> LoadResult:
        if loadgen == "wrk":
            url = f"http://127.0.0.1:{port}{path}"
            return run_wrk(url, body_file, script, seconds, args.connections, name)
        return run_python(port, path, body, seconds, args.connections, name)

    ports = {"compute": free_port(), "echo": free_port()}
    totals: dict[str, LoadResult] = {}
    p99s: dict[str, list[float]] = {"compute": [], "echo": []}
    memory: dict[str, float | None] = {}
    with contextlib.ExitStack() as servers:
        product = servers.enter_context(
            running(
                product_command(ports["compute"], 1),
                env,
                f"http://127.0.0.1:{ports['compute']}/readyz",
            )
        )
        servers.enter_context(
            running(echo_command(ports["echo"], 1), env, f"http://127.0.0.1:{ports['echo']}/readyz")
        )
        memory["at ready"] = rss_mb(product.pid)
        paths = {"compute": COMPUTE_PATH, "echo": ECHO_PATH}
        for which in ("echo", "compute"):
            load(ports[which], paths[which], args.warmup)
        for _ in range(args.rounds):
            for which in ("echo", "compute"):
                r = load(ports[which], paths[which], args.duration)
                p99s[which].append(r.p99_ms)
                before = totals.get(which)
                totals[which] = (
                    r
                    if before is None
                    else LoadResult(
                        before.requests + r.requests,
                        before.seconds + r.seconds,
                        before.errors + r.errors,
                        max(before.p50_ms, r.p50_ms),
                        max(before.p90_ms, r.p90_ms),
                        max(before.p99_ms, r.p99_ms),
                    )
                )
        memory["after load"] = rss_mb(product.pid)
        memory["peak"] = vm_hwm_mb(product.pid)
    return totals, p99s, memory


def diff_body() -> bytes:
    reference = json.loads(REFERENCE.read_text())
    legacy = json.loads(LEGACY.read_text())
    return json.dumps(
        {"current": {"documents": [legacy]}, "required": {"pipelines": [reference]}}
    ).encode()


@contextlib.contextmanager
def product_app(env: dict[str, str]) -> Iterator[Callable[[int], list[float]]]:
    """Timings (ms) of calls of the whole POST /v1/policies/diff through the product's ASGI app,
    lifespan entered, in this process. The calls of one batch run in one task, as a server's
    requests do: the thread pool's workers stop with the task that started them."""
    os.environ.update(env)
    from app.main import create_app  # noqa: PLC0415 - after the database is in the environment

    app = create_app()
    loop = asyncio.new_event_loop()
    lifespan = app.router.lifespan_context(app)
    loop.run_until_complete(lifespan.__aenter__())
    body = diff_body()

    async def batch(runs: int) -> list[float]:
        for _ in range(2):  # warm-up
            await asgi_post(app, "/v1/policies/diff", body)
        out = []
        for _ in range(runs):
            start = time.perf_counter()
            await asgi_post(app, "/v1/policies/diff", body)
            out.append((time.perf_counter() - start) * 1000)
        return out

    try:
        yield lambda runs: loop.run_until_complete(batch(runs))
    finally:
        loop.run_until_complete(lifespan.__aexit__(None, None, None))
        loop.close()


def per_action_part() -> dict[int, float]:
    """Median ms of one compute at each size (parse + compute, in process)."""
    out = {}
    for actions, runs in ((10, 200), (1000, 15)):
        run = compute_case([synthetic_pipeline(actions, name=f"Scale{actions}")])
        out[actions] = median(time_runs(run, runs=runs))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per load")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=2, help="loads of each endpoint, in turn")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--peer-runs", type=int, default=30)
    parser.add_argument("--no-peers", action="store_true", help="leave the peers out")
    args = parser.parse_args()
    loadgen = args.loadgen
    if loadgen == "auto":
        loadgen = "wrk" if shutil.which("wrk") else "python"

    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="pp-bench-targets-") as tmp_name:
        tmp = Path(tmp_name)
        env = database_env(tmp)
        prepare_database(env)
        subprocess.run([str(PYTHON), "-m", "compileall", "-q", str(ROOT / "app")], check=True)
        time_to_ready(env)  # one untimed start: file-system caches warm
        ready = [time_to_ready(env) for _ in range(5)]
        http, p99s, memory = http_part(env, tmp, args, loadgen)
        per_action = per_action_part()
        peers: dict[str, Any] | None = None
        peers_note = ""
        with product_app(env) as whole_diff:
            first = max(1, args.peer_runs // 2)
            ours = whole_diff(first)
            if not args.no_peers:
                try:
                    peers = run_peers(args.peer_runs, setup=True)
                except (SystemExit, subprocess.SubprocessError) as exc:
                    peers_note = f"peers not run: {exc}"
            ours += whole_diff(args.peer_runs - first)
    elapsed = time.perf_counter() - began

    banner("Targets, every request a new pipeline (one run)")
    compute, echo = http["compute"], http["echo"]
    print(
        f"one run, {elapsed:.0f} s; HTTP: 1 worker each, {args.connections} connections, "
        f"{args.rounds} rounds of {args.duration:g} s per endpoint in turn after "
        f"{args.warmup:g} s warm-up, load generator {loadgen}, pipeline renamed in every "
        f"request\n"
    )
    print_table(
        ["endpoint", "req/s", "p50 ms", "p99 ms (per round)", "requests", "errors"],
        [
            [
                label,
                f"{r.rps:,.0f}",
                f"{r.p50_ms:.1f}",
                " / ".join(f"{p:.1f}" for p in p99s[key]),
                f"{r.requests:,}",
                r.errors,
            ]
            for label, key, r in (
                ("POST /v1/policies/compute", "compute", compute),
                ("plain FastAPI typed echo (/echo-typed)", "echo", echo),
            )
        ],
    )
    print()
    ours_ms = median(ours)
    rows = [
        [
            "HTTP compute / typed echo throughput",
            ">= 0.75",
            f"{compute.rps / echo.rps:.2f} ({compute.rps:,.0f} vs {echo.rps:,.0f} req/s)",
            "yes" if compute.rps / echo.rps >= 0.75 else "no",
        ],
        [
            f"HTTP compute p99, {args.connections} connections, 1 worker",
            "<= 25 ms",
            f"{max(p99s['compute']):.1f} ms",
            "yes" if max(p99s["compute"]) <= 25 else "no",
        ],
    ]
    if peers is not None:
        for tool, body in peers["tools"].items():
            theirs = median(body["times_ms"])
            ratio = theirs / ours_ms
            rows.append(
                [
                    f"whole POST /diff vs {tool} {body['version']}",
                    ">= 10x",
                    f"{ratio:.1f}x ({ours_ms:.2f} vs {theirs:.2f} ms)",
                    "yes" if ratio >= 10 else "no",
                ]
            )
    else:
        rows.append(
            ["whole POST /diff vs the peers", ">= 10x", f"{ours_ms:.2f} ms; {peers_note}", "-"]
        )
    small, large = per_action[10] / 10, per_action[1000] / 1000
    rows.append(
        [
            "compute per action, 1,000 vs 10 actions",
            "<= 1.0",
            f"{large / small:.2f} ({large * 1000:.0f} vs {small * 1000:.0f} µs per action; "
            f"{per_action[1000]:.1f} vs {per_action[10]:.2f} ms)",
            "yes" if large <= small else "no",
        ]
    )
    ready_s = statistics.median(ready)
    rows.append(
        [
            "start -> /readyz 200 (median of 5)",
            "<= 1.5 s",
            f"{ready_s:.2f} s ({min(ready):.2f}-{max(ready):.2f})",
            "yes" if ready_s <= 1.5 else "no",
        ]
    )
    after = memory["after load"]
    rows.append(
        [
            "RSS after the compute load (1 worker)",
            "<= 200 MB",
            f"{after or 0:.0f} MB (at ready {memory['at ready'] or 0:.0f}, "
            f"peak {memory['peak'] or 0:.0f})",
            "yes" if after is not None and after <= 200 else "no",
        ]
    )
    print_table(["figure", "target", "measured", "met"], rows)
    print(f"\nPOST /diff: the median of {len(ours)} calls through the ASGI app in process.")


if __name__ == "__main__":
    main()

"""Start-up time and memory: process start to GET /readyz 200, and RSS per worker after load.

Run:  .venv/bin/python bench/startup_memory.py [--starts 5] [--load-seconds 5] [--workers 1,N]

A temporary folder holds a migrated and seeded SQLite database. "Ready" is timed from just
before `pipeline-policy serve --no-prepare --workers 1` is spawned to the first 200 of /readyz
(polled every 10 ms; /readyz answers 200 once the database is reachable and the profile set is
loaded, and the lifespan has loaded the catalogue by then): median of N starts, with the app's
bytecode compiled first (as the image has it). Memory: for each
worker setting, a server is loaded with compute (reference pipeline; the same body, then the
pipeline renamed in each request) and diff (legacy
2019 policy against it) for a few seconds each, and one evaluate batch of 10,000 requests; then
VmRSS and VmHWM (peak) of every worker are read from /proc/<pid>/status. Every server started
here is stopped. Nothing here asserts on time or size.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
from _common import (
    LEGACY,
    PYTHON,
    REFERENCE,
    ROOT,
    banner,
    database_env,
    free_port,
    prepare_database,
    print_table,
    product_command,
    rss_mb,
    start,
    stop,
    wait_http_ok,
    worker_pids,
)
from http_throughput import WRK_SCRIPT, run_python, run_wrk


def vm_hwm_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _mb(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def time_to_ready(env: dict[str, str]) -> float:
    port = free_port()
    began = time.monotonic()
    process = start(product_command(port, 1), env)
    try:
        ready = wait_http_ok(f"http://127.0.0.1:{port}/readyz", timeout=60)
        return ready - began
    finally:
        stop(process)


def evaluate_body() -> bytes:
    legacy = json.loads(LEGACY.read_text())
    actions = ["s3:GetObject", "codebuild:StartBuild", "iam:PassRole", "ec2:RunInstances"]
    requests = [
        {
            "action": actions[i % len(actions)],
            "resource": f"arn:aws:s3:::bucket-{i}/key",
            "context": {"iam:PassedToService": "ecs-tasks.amazonaws.com"},
        }
        for i in range(10_000)
    ]
    return json.dumps({"policy": {"documents": [legacy]}, "requests": requests}).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--load-seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", default=f"1,{os.cpu_count() or 1}")
    args = parser.parse_args()
    use_wrk = shutil.which("wrk") is not None

    reference = json.loads(REFERENCE.read_text())
    legacy = json.loads(LEGACY.read_text())
    compute_body = json.dumps({"pipelines": [reference]}).encode()
    # (path, body, the name renamed in each request): a new pipeline in every request, as a
    # varied load would send.
    loads = [
        ("/v1/policies/compute", compute_body, ""),
        ("/v1/policies/compute", compute_body, reference["pipeline"]["name"]),
        (
            "/v1/policies/diff",
            json.dumps(
                {"current": {"documents": [legacy]}, "required": {"pipelines": [reference]}}
            ).encode(),
            "",
        ),
    ]
    memory_rows = []
    evaluate_seconds: list[float] = []
    with tempfile.TemporaryDirectory(prefix="pp-bench-start-") as tmp_name:
        tmp = Path(tmp_name)
        env = database_env(tmp)
        prepare_database(env)
        # The app's bytecode, as `pip install` writes it into the image: a checkout run under
        # PYTHONDONTWRITEBYTECODE=1 would otherwise compile every module at each start.
        subprocess.run([str(PYTHON), "-m", "compileall", "-q", str(ROOT / "app")], check=True)
        time_to_ready(env)  # one untimed start: file-system caches warm
        ready = [time_to_ready(env) for _ in range(args.starts)]

        script = tmp / "post.lua"
        script.write_text(WRK_SCRIPT)
        batch = evaluate_body()
        for workers in dict.fromkeys(int(w) for w in args.workers.split(",")):
            port = free_port()
            process = start(product_command(port, workers), env)
            try:
                base = f"http://127.0.0.1:{port}"
                wait_http_ok(base + "/readyz", timeout=60)
                pids = worker_pids(process.pid) if workers > 1 else [process.pid]
                before = {pid: rss_mb(pid) for pid in pids}
                requests = 0
                for path, body, rename in loads:
                    if use_wrk:
                        body_file = tmp / "body.json"
                        body_file.write_bytes(body)
                        result = run_wrk(
                            base + path,
                            body_file,
                            script,
                            args.load_seconds,
                            args.connections,
                            rename,
                        )
                    else:
                        result = run_python(
                            port, path, body, args.load_seconds, args.connections, rename
                        )
                    requests += result.requests
                loaded = {pid: (rss_mb(pid), vm_hwm_mb(pid)) for pid in pids}
                for _ in range(max(2, workers)):
                    began = time.perf_counter()
                    response = httpx.post(
                        base + "/v1/policies/evaluate",
                        content=batch,
                        headers={"content-type": "application/json"},
                        timeout=120,
                    )
                    response.raise_for_status()
                    evaluate_seconds.append(time.perf_counter() - began)
                    requests += 1
                for n, pid in enumerate(pids):
                    memory_rows.append(
                        [
                            workers,
                            f"worker {n + 1}",
                            _mb(before[pid]),
                            _mb(loaded[pid][0]),
                            _mb(loaded[pid][1]),
                            _mb(rss_mb(pid)),
                            _mb(vm_hwm_mb(pid)),
                            f"{requests:,}",
                        ]
                    )
                if workers > 1:
                    memory_rows.append(
                        [workers, "supervisor", "-", "-", "-", _mb(rss_mb(process.pid)), "-", ""]
                    )
            finally:
                stop(process)

    banner("Start-up and memory")
    print_table(
        ["measure", "median", "min", "max", "starts", "target"],
        [
            [
                "process start -> /readyz 200 (1 worker)",
                f"{statistics.median(ready):.2f} s",
                f"{min(ready):.2f} s",
                f"{max(ready):.2f} s",
                len(ready),
                "<= 1.5 s",
            ]
        ],
    )
    print()
    print(
        f"load: compute (the same body), compute (a new pipeline name each request), then "
        f"diff, {args.load_seconds:g} s each at {args.connections} "
        f"connections ({'wrk' if use_wrk else 'python'}), then evaluate batches of 10,000\n"
    )
    print_table(
        [
            "workers",
            "process",
            "RSS at ready",
            "RSS after compute+diff",
            "peak then",
            "RSS after evaluate 10k",
            "peak (VmHWM) then",
            "requests",
        ],
        memory_rows,
    )
    print(
        f"\nMB. One POST /v1/policies/evaluate of 10,000 requests over HTTP took "
        f"{statistics.median(evaluate_seconds):.2f} s (median of {len(evaluate_seconds)}; "
        "body and answer built and parsed included)."
    )
    print("\ntarget: RSS <= 200 MB per worker")


if __name__ == "__main__":
    main()

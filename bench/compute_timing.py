"""Quick timing of compute for the reference pipeline: in process, and over HTTP on loopback.

Run: .venv/bin/python bench/compute_timing.py [--requests N]
It starts a real server process (SQLite, migrated and seeded in a temporary folder) for the HTTP
figure, and prints medians and p99 in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from app.engine.compute import compute_policy
from app.engine.pipeline.api_json import parse_pipeline_json
from app.engine.profiles import ProfileSet
from app.service.profile_files import compiled_files, profile_files

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "examples" / "reference-pipeline.json"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def in_process(document: dict[str, object], runs: int) -> list[float]:
    _files, compiled = compiled_files(profile_files(), revision=1)
    profile_set = ProfileSet(1, compiled.profiles)
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        pipeline, _ = parse_pipeline_json(document)
        compute_policy([pipeline], profile_set)
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def over_http(document: dict[str, object], requests: int) -> list[float]:
    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp}/bench.db", "LOG_LEVEL": "warning"}
        cli = str(ROOT / ".venv" / "bin" / "pipeline-policy")
        server = subprocess.Popen(
            [cli, "serve", "--port", str(port)], env=env, cwd=ROOT, stdout=subprocess.DEVNULL
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    if httpx.get(base + "/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            body = json.dumps({"pipelines": [document]})
            timings = []
            with httpx.Client(base_url=base) as client:
                for _ in range(requests):
                    start = time.perf_counter()
                    response = client.post(
                        "/v1/policies/compute",
                        content=body,
                        headers={"content-type": "application/json"},
                    )
                    timings.append((time.perf_counter() - start) * 1000)
                    response.raise_for_status()
            return timings
        finally:
            server.terminate()
            server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    document = json.loads(REFERENCE.read_text())
    local = in_process(document, args.requests)
    remote = over_http(document, args.requests)
    for label, values in (("in-process", local), ("HTTP (1 client, keep-alive)", remote)):
        print(
            f"{label:30s} median {statistics.median(values):7.3f} ms   "
            f"p99 {_percentile(values, 0.99):7.3f} ms   n={len(values)}"
        )


if __name__ == "__main__":
    main()

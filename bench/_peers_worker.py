"""Run inside the peers' virtual environment by bench/peers.py (never imports `app`).

    <peers-venv>/bin/python bench/_peers_worker.py POLICY.json RUNS

Times, warm and in this process, parliament's `analyze_policy_string` (default auditors, and
with the community auditors) and cloudsplaining's `scan_policy` on the same policy, and prints
one JSON object: versions, import times, the timings in milliseconds and what each reported.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from importlib import metadata
from typing import Any


def timed(fn: Callable[[], Any], runs: int, warmup: int = 2) -> tuple[list[float], Any]:
    result = None
    for _ in range(warmup):
        result = fn()
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        out.append((time.perf_counter() - start) * 1000)
    return out, result


def parliament_findings(policy: Any) -> list[dict[str, Any]]:
    from parliament import config  # noqa: PLC0415 - imported (and timed) in main first

    out = []
    for f in policy.findings:
        # RESOURCE_STAR lists its actions in `detail`; the community auditors put theirs (and
        # the privilege-escalation method's `type`) in `location`.
        detail, location = f.detail, f.location if isinstance(f.location, dict) else {}
        raw = detail if isinstance(detail, list) else location.get("actions", [])
        out.append(
            {
                "issue": f.issue,
                "severity": config.get(f.issue, {}).get("severity", ""),
                "type": location.get("type"),
                "actions": [a for a in raw if isinstance(a, str)],
            }
        )
    return out


def cloudsplaining_findings(result: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for category, body in result.items():
        if isinstance(body, dict) and "findings" in body:
            out[category] = {"severity": body.get("severity"), "findings": body["findings"]}
    return out


def main() -> None:
    path, runs = sys.argv[1], int(sys.argv[2])
    with open(path, encoding="utf-8") as handle:
        source = handle.read()
    document = json.loads(source)
    report: dict[str, Any] = {"python": sys.version.split()[0], "tools": {}}

    start = time.perf_counter()
    from parliament import analyze_policy_string  # noqa: PLC0415 - the import is timed

    parliament_import = (time.perf_counter() - start) * 1000
    times, policy = timed(lambda: analyze_policy_string(source), runs)
    report["tools"]["parliament"] = {
        "version": metadata.version("parliament"),
        "call": "analyze_policy_string(policy_str)",
        "import_ms": parliament_import,
        "times_ms": times,
        "findings": parliament_findings(policy),
    }
    community_runs = max(3, runs // 10)
    times, policy = timed(
        lambda: analyze_policy_string(source, include_community_auditors=True),
        community_runs,
        warmup=1,
    )
    report["tools"]["parliament+community"] = {
        "version": metadata.version("parliament"),
        "call": "analyze_policy_string(policy_str, include_community_auditors=True)",
        "import_ms": parliament_import,
        "times_ms": times,
        "findings": parliament_findings(policy),
    }

    start = time.perf_counter()
    from cloudsplaining.command.scan_policy_file import scan_policy  # noqa: PLC0415 - timed

    cloudsplaining_import = (time.perf_counter() - start) * 1000
    times, result = timed(lambda: scan_policy(document), runs)
    report["tools"]["cloudsplaining"] = {
        "version": metadata.version("cloudsplaining"),
        "call": "scan_policy(policy_dict)",
        "import_ms": cloudsplaining_import,
        "times_ms": times,
        "findings": cloudsplaining_findings(result),
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()

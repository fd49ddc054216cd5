"""Ours vs the peers, side by side in one run, on the legacy 2019 CodePipeline policy.

Run:  .venv/bin/python bench/peers.py [--runs 50] [--no-setup]

Ours (in this process, warm, median of N): validate
(`app.engine.iam.validation.validate.validate_policy`, when it exists) and diff (as POST
/v1/policies/diff: the reference pipeline's requirements computed, the legacy policy diffed
against them, the patched policy re-diffed). The peers
(parliament `analyze_policy_string`, with and without the community auditors, and
cloudsplaining `scan_policy`) run right after, in their own virtual environment
(bench/peers_setup.sh installs it under /var/tmp/pipeline-policy-bench/peers-venv, or PEERS_DIR)
through bench/_peers_worker.py, which times them internally (warm, median of N) and prints JSON.

Printed: the timings and ratios (target: ours >= 10x faster than each), the findings each
produced, and, category by category, what a peer reports that we do not. Nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _common import (
    BENCH,
    LEGACY,
    banner,
    fmt_ms,
    legacy_policy,
    median,
    percentile,
    print_table,
    reference_pipeline,
    shipped_profile_set,
    time_runs,
)

from app.engine.compute import ComputeContext
from app.engine.hint_checks import GivenHints
from app.engine.iam.analysis.diff import diff_policy
from app.engine.iam.catalog import Catalog
from app.engine.iam.policy.view import read_policies
from app.service import diff as diff_service
from app.service.catalog_import import default_catalog
from app.service.compute import PipelineSource
from app.service.profile_cache import LoadedProfileSet
from app.service.provenance import catalog_info

PEERS_DIR = Path(os.environ.get("PEERS_DIR", "/var/tmp/pipeline-policy-bench/peers-venv"))
PERMISSIONS_MANAGEMENT = "Permissions management"


def _level(catalog: Catalog, action: str) -> str | None:
    info = catalog.action(action)
    if info is None:
        return None
    level = info.access_level
    return str(getattr(level, "value", level))


# -- ours ----------------------------------------------------------------------------------------


@dataclass
class Ours:
    """What our validate and diff said, as sets of lower-case action names and services."""

    validate_findings: list[Any] = field(default_factory=list)
    diff_counts: dict[str, int] = field(default_factory=dict)
    excess: set[str] = field(default_factory=set)
    broader: set[str] = field(default_factory=set)
    privesc: set[str] = field(default_factory=set)
    wildcard_services: set[str] = field(default_factory=set)
    resource_star: set[str] = field(default_factory=set)

    def flagged(self) -> set[str]:
        return self.excess | self.broader | self.privesc | self.resource_star


def validate_function() -> Callable[..., Any] | None:
    try:
        from app.engine.iam.validation.validate import validate_policy  # noqa: PLC0415 - may not exist yet
    except ImportError:
        return None
    fn: Callable[..., Any] = validate_policy
    return fn


def our_calls() -> dict[str, Callable[[], Any]]:
    """The calls we time: validate (when it exists), diff as the endpoint runs it, and the
    engine's diff alone (requirements computed once, outside the timing)."""
    catalog = default_catalog()
    info = catalog_info(catalog)
    loaded = LoadedProfileSet(profile_set=shipped_profile_set(), revisions=())
    legacy = legacy_policy()
    source_text = LEGACY.read_text()
    sources = [PipelineSource(body=reference_pipeline(), pointer="/required/pipelines/0")]

    def diff() -> diff_service.DiffOutcome:
        required = diff_service.required_from_pipelines(
            sources, loaded, catalog, context=ComputeContext(), hints=GivenHints()
        )
        return diff_service.diff([legacy], required, catalog, info, loaded, mode="segment")

    requirements = diff_service.required_from_pipelines(
        sources, loaded, catalog, context=ComputeContext(), hints=GivenHints()
    ).requirements

    def engine_diff() -> object:
        view = read_policies([legacy], pointer="")
        return diff_policy(view.statements, requirements, catalog)

    calls: dict[str, Callable[[], Any]] = {}
    validate = validate_function()
    if validate is not None:
        calls["validate"] = lambda: validate(source_text, catalog)
    calls["diff"] = diff
    calls["diff (engine only)"] = engine_diff
    return calls


def what_ours_said(calls: dict[str, Callable[[], Any]]) -> Ours:
    catalog = default_catalog()
    legacy = legacy_policy()
    ours = Ours()
    if "validate" in calls:
        ours.validate_findings = list(calls["validate"]().findings)
    diff = calls["diff"]
    outcome = diff()
    excess = outcome.result.excess
    ours.diff_counts = {
        "missing (grouped)": len(outcome.missing),
        "conditional (grouped)": len(outcome.conditional),
        "excess actions": excess.total_actions,
        "excess services": len(excess.services),
        "service-wide wildcards": len(excess.wildcards),
        "broader resources": len(excess.broader_resources),
        "privilege-escalation actions": len(excess.privilege_escalation),
    }
    # The diff's own excess, by name.
    ours.excess = {catalog.name_of(i).lower() for i in catalog.mask_to_ids(excess.actions)}
    ours.broader = {b.action.lower() for b in excess.broader_resources}
    ours.privesc = {a.lower() for a in excess.privilege_escalation}
    for w in excess.wildcards:
        ours.wildcard_services.update(s.lower() for s in w.services)
    view = read_policies([legacy], pointer="")
    for f in ours.validate_findings:
        detail = f.detail or {}
        if f.code == "PRIVILEGE_ESCALATION":
            ours.privesc.update(a.lower() for a in detail.get("actions", []))
        elif f.code == "RESOURCE_STAR":
            # The finding lists a few examples and counts the rest: take the named (not
            # service-wide) actions of the statement it points at.
            ours.resource_star.update(a.lower() for a in detail.get("examples", []))
            index = int(f.path.split("/")[2]) if f.path.startswith("/Statement/") else None
            if index is not None and index < len(view.statements):
                for pattern in view.statements[index].actions:
                    if not pattern.endswith(":*"):
                        ours.resource_star.update(a.lower() for a in catalog.expand(pattern))
        elif f.code == "SERVICE_WIDE_WILDCARD" and detail.get("service"):
            service = str(detail["service"]).lower()
            ours.wildcard_services.add(service)
            # A wildcard over a service on "*" is the stronger form of Resource "*".
            ours.resource_star.update(a.lower() for a in catalog.expand(f"{service}:*"))
    return ours


# -- peers ---------------------------------------------------------------------------------------


def run_peers(runs: int, setup: bool) -> dict[str, Any]:
    python = PEERS_DIR / "bin" / "python"
    if setup:
        subprocess.run(
            ["bash", str(BENCH / "peers_setup.sh")],
            env={**os.environ, "PEERS_DIR": str(PEERS_DIR)},
            check=True,
            timeout=900,
        )
    if not python.exists():
        raise SystemExit(f"no peers venv at {PEERS_DIR}: run bash bench/peers_setup.sh")
    out = subprocess.run(
        [str(python), str(BENCH / "_peers_worker.py"), str(LEGACY), str(runs)],
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
        cwd="/",
    )
    report: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return report


# -- comparison ----------------------------------------------------------------------------------


@dataclass
class Coverage:
    tool: str
    category: str
    theirs: str
    same: str
    any_form: str
    not_ours: list[str]
    other_category: list[str] = field(default_factory=list)


def _actions_coverage(
    tool: str,
    category: str,
    actions: Iterable[str],
    same: set[str] | None,
    ours: Ours,
    catalog: Catalog,
) -> Coverage:
    wanted = sorted({a.lower() for a in actions})
    flagged = ours.flagged()
    unknown = [a for a in wanted if catalog.action(a) is None]
    missing = [a for a in wanted if a not in flagged and a not in unknown]
    same_count = "-" if same is None else f"{sum(a in same for a in wanted)}/{len(wanted)}"
    not_ours = missing + [f"{a} (not in our catalogue)" for a in unknown]
    other = [] if same is None else [a for a in wanted if a not in same and a in flagged]
    return Coverage(
        tool,
        category,
        f"{len(wanted)} actions",
        same_count,
        f"{len(wanted) - len(missing) - len(unknown)}/{len(wanted)}",
        not_ours,
        [f"{a} ({_level(catalog, a)})" for a in other],
    )


def compare(peers: dict[str, Any], ours: Ours, catalog: Catalog) -> list[Coverage]:
    pm_ours = {
        a for a in ours.excess | ours.broader if _level(catalog, a) == PERMISSIONS_MANAGEMENT
    }
    rows: list[Coverage] = []
    for tool in ("parliament", "parliament+community"):
        by_issue: dict[str, list[dict[str, Any]]] = {}
        for f in peers["tools"][tool]["findings"]:
            by_issue.setdefault(f["issue"], []).append(f)
        for issue, findings in sorted(by_issue.items()):
            if tool == "parliament+community" and issue == "RESOURCE_STAR":
                continue  # the same as parliament's own auditors
            if issue == "PRIVILEGE_ESCALATION":
                rows.append(_methods(tool, issue, findings, ours))
                continue
            same = {
                "RESOURCE_STAR": ours.resource_star | ours.broader,
                "PERMISSIONS_MANAGEMENT_ACTIONS": pm_ours,
            }.get(issue)
            actions = [a for f in findings for a in f["actions"]]
            cov = _actions_coverage(tool, issue, actions, same, ours, catalog)
            cov.theirs = f"{len(findings)} findings, {cov.theirs}"
            rows.append(cov)
    for category, body in peers["tools"]["cloudsplaining"]["findings"].items():
        items = body["findings"]
        if category == "ServiceWildcard":
            services = sorted(s.lower() for s in items)
            absent = [s for s in services if s not in ours.wildcard_services]
            n = len(services)
            rows.append(
                Coverage(
                    "cloudsplaining",
                    category,
                    f"{n} services",
                    f"{n - len(absent)}/{n}",
                    f"{n - len(absent)}/{n}",
                    absent,
                )
            )
        elif category == "PrivilegeEscalation":
            rows.append(_methods("cloudsplaining", category, items, ours))
        else:
            same = pm_ours if category == "ResourceExposure" else None
            rows.append(_actions_coverage("cloudsplaining", category, items, same, ours, catalog))
    return rows


def _methods(tool: str, category: str, methods: list[dict[str, Any]], ours: Ours) -> Coverage:
    """A privilege-escalation method is a combination of actions; we flag single actions. A
    method counts as ours when we call at least one of its actions privilege escalation."""
    same = 0
    any_form = 0
    not_ours = []
    for m in methods:
        actions = [a.lower() for a in m.get("actions", [])]
        kind = m.get("type") or "?"
        if any(a in ours.privesc for a in actions):
            same += 1
        if all(a in ours.flagged() for a in actions):
            any_form += 1
        else:
            not_ours.append(f"{kind} ({', '.join(a for a in actions if a not in ours.flagged())})")
        if not any(a in ours.privesc for a in actions):
            not_ours.append(f"{kind}: none of {', '.join(actions)} called privilege escalation")
    n = len(methods)
    return Coverage(tool, category, f"{n} methods", f"{same}/{n}", f"{any_form}/{n}", not_ours)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=50, help="timed runs per tool (warm)")
    parser.add_argument("--no-setup", action="store_true", help="do not run peers_setup.sh")
    args = parser.parse_args()

    catalog = default_catalog()
    start = time.perf_counter()
    calls = our_calls()
    ours = what_ours_said(calls)
    # Ours is timed in two halves, before and after the peers, so that a change in the load of
    # this shared machine during the run weighs on both sides.
    first = args.runs // 2
    ours_times = {name: time_runs(fn, runs=first) for name, fn in calls.items()}
    peers = run_peers(args.runs, setup=not args.no_setup)
    for name, fn in calls.items():
        ours_times[name] += time_runs(fn, runs=args.runs - first)
    elapsed = time.perf_counter() - start

    banner(f"Ours vs parliament and cloudsplaining on {LEGACY.name} (warm, in process)")
    print(f"one run, {elapsed:.0f} s; peers in {PEERS_DIR} (Python {peers['python']})\n")
    rows = []
    for name, values in ours_times.items():
        call = {
            "validate": "validate_policy(text, catalog)",
            "diff": "as POST /diff: compute the reference's needs, diff, re-diff the patch",
            "diff (engine only)": "read_policies + diff_policy(statements, requirements, catalog)",
        }[name]
        rows.append(
            [f"ours: {name}", call, "-", fmt_ms(median(values)), fmt_ms(percentile(values, 0.95)),
             len(values)]
        )  # fmt: skip
    if "validate" not in ours_times:
        rows.append(
            [
                "ours: validate",
                "not available (iam.validation.validate)",
                "-",
                "-",
                "-",
                0,
            ]
        )
    for tool, body in peers["tools"].items():
        values = body["times_ms"]
        rows.append(
            [f"{tool} {body['version']}", body["call"], fmt_ms(body["import_ms"]),
             fmt_ms(median(values)), fmt_ms(percentile(values, 0.95)), len(values)]
        )  # fmt: skip
    print_table(["tool", "call", "import ms", "median ms", "p95 ms", "runs"], rows)

    print()
    ratio_rows = []
    ours_medians = {k: median(v) for k, v in ours_times.items()}
    if "validate" in ours_medians:
        ours_medians["validate + diff"] = ours_medians["validate"] + ours_medians["diff"]
    for tool, body in peers["tools"].items():
        theirs = median(body["times_ms"])
        for name, value in ours_medians.items():
            ratio_rows.append([tool, name, f"{theirs / value:.1f}x", ">= 10x"])
    print_table(["peer", "ours", "peer time / our time", "target"], ratio_rows)

    print("\nFindings on the legacy policy:\n")
    counts = []
    if ours.validate_findings:
        by_code: dict[str, int] = {}
        for f in ours.validate_findings:
            by_code[f.code] = by_code.get(f.code, 0) + 1
        detail = ", ".join(f"{k} {v}" for k, v in sorted(by_code.items()))
        counts.append(["ours: validate", len(ours.validate_findings), detail])
    counts.append(
        [
            "ours: diff",
            sum(v for k, v in ours.diff_counts.items() if k != "excess actions"),
            ", ".join(f"{k} {v}" for k, v in ours.diff_counts.items()),
        ]
    )
    for tool, body in peers["tools"].items():
        findings = body["findings"]
        if isinstance(findings, list):
            by_issue: dict[str, int] = {}
            for f in findings:
                by_issue[f["issue"]] = by_issue.get(f["issue"], 0) + 1
            detail = ", ".join(f"{k} {v}" for k, v in sorted(by_issue.items()))
            counts.append([tool, len(findings), detail])
        else:
            detail = ", ".join(f"{k} {len(v['findings'])}" for k, v in findings.items())
            counts.append([tool, sum(len(v["findings"]) for v in findings.values()), detail])
    print_table(["tool", "findings", "by kind"], counts)

    print("\nWhat the peers report, and whether we report it (same category / in any form):\n")
    coverage = compare(peers, ours, catalog)
    print_table(
        ["peer", "category", "they report", "ours, same category", "ours, any form"],
        [[c.tool, c.category, c.theirs, c.same, c.any_form] for c in coverage],
    )
    print("\nReported by a peer and not by us:")
    anything = False
    for c in coverage:
        if c.not_ours:
            anything = True
            shown = ", ".join(c.not_ours[:12]) + (" ..." if len(c.not_ours) > 12 else "")
            print(f"- {c.tool} {c.category} ({len(c.not_ours)}): {shown}")
    if not anything:
        print("- nothing")
    print("\nReported by both, in another category by us (our access level in brackets):")
    for c in coverage:
        if c.other_category:
            print(
                f"- {c.tool} {c.category} ({len(c.other_category)}): "
                + ", ".join(c.other_category[:12])
            )
    print(
        "\n'any form': the action is in our diff's excess (granted, not needed), broader-resource"
        " grants or privilege-escalation list, or in a validate RESOURCE_STAR / service-wide"
        " wildcard finding."
    )


if __name__ == "__main__":
    main()
